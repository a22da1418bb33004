"""The knowledge corpus (`corpus/`) and the code that chunks, embeds, indexes and retrieves it."""
