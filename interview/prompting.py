"""Templates shared by the interviewer and the ask chat: Jinja prompts and the fixed sentences.

Prompts are rendered in a sandbox with StrictUndefined (a missing variable is an error, not an
empty string); fixed sentences live in the one catalogue (`core/strings/interview.yaml`), in French and English.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from core.i18n import say
from core.text import prompt_templates

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
LANG_NAMES = {"fr": "French", "en": "English"}

templates = prompt_templates(PROMPTS_DIR)


def phrase(key: str, lang: str, variant: int = 0, **values: object) -> str:
    """A fixed sentence of the interviewer in `lang` (core/strings/interview.yaml); lists are variants."""
    return say(key, lang, variant, **values)


def plural_variant(n: float, lang: str) -> int:
    """0 for the singular, 1 for the plural: French counts 0 and 1 as singular, English only 1."""
    return 0 if (abs(n) < 2 if lang == "fr" else n == 1) else 1


def counted(key: str, lang: str, n: int) -> str:
    """A count with its noun, from a `[singular, plural]` entry: "1 question", "2 questions"."""
    return say(key, lang, plural_variant(n, lang), n=n)


def lower_first(text: str) -> str:
    """'Think about X' -> 'think about X', to follow "A hint:"; acronyms ('RAG ...') stay as written."""
    text = text.strip()
    return text[0].lower() + text[1:] if len(text) > 1 and not text[1].isupper() else text


def content_text(content: object) -> str:
    """The text of a LangChain message chunk, whether its content is a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return ""


def without_images(chunks: Iterator[str]) -> Iterator[str]:
    """Pass a streamed answer through with `![` neutralised, even when split across chunks.

    Streamed Markdown is rendered as it arrives, so an image link written by a model (perhaps told
    to by an uploaded document) would make the browser fetch a URL; a link or HTML is harmless.
    """
    held = ""
    for chunk in chunks:
        text = (held + chunk).replace("![", "!\\[")
        held = "!" if text.endswith("!") else ""
        if held:
            text = text[:-1]
        if text:
            yield text
    if held:
        yield held
