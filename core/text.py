"""Text helpers, one copy each: the fence around untrusted text, the template sandbox, Markdown escaping.

Every prompt that carries text a candidate (or a document) wrote fences it with a token derived
from that text, and every prompt template renders in the same sandbox, so a fix to either reaches
the judge, the interviewer and the ask chat at once. Likewise every page and report shows what a
candidate typed through one escape, and what a model wrote through one filter.
(Accent folding is `knowledge.language.fold_accents`, which the lexical index and the guards share.)
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<$])")
_INLINE_SPECIAL = re.compile(r"([\\`*_{}\[\]|>~<$])")
"""What means something in the middle of a line: `#`, `+`, `-`, `.`, `!` and `()` only do at its start
or after a `[` (escaped), so a one-line text keeps "e.g." and "(RAG)" readable in a downloaded report."""
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_HTML_TAG = re.compile(r"<[^>]*>")


def escape_markdown(text: str, *, one_line: bool = False) -> str:
    """Text someone typed, shown literally in Markdown: no links, headings, lists, HTML, LaTeX or table
    cells. `one_line` joins its lines first, for text placed after the start of a line (a table cell,
    after a list item's marker), and escapes only what means something there."""
    if one_line:
        return _INLINE_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def strip_images_and_html(text: str) -> str:
    """A model's Markdown minus images and HTML tags: it keeps its emphasis and lists, loads nothing."""
    return _HTML_TAG.sub("", _IMAGE.sub("", text))


def fence_token(text: str) -> str:
    """The tag of a fence around `text`: a hash of the text itself, so the text cannot contain it.

    Writing the fence into an answer would need the hash of the very text that contains it: out of
    reach. Derived rather than random, the prompt of an unchanged text is the same on every call,
    which repeatable grading and a server's prompt cache need (a random tag changed the small
    model's reasoning at temperature 0).
    """
    salt = 0
    while True:
        token = hashlib.sha256(f"{salt}:{text}".encode("utf-8", "surrogatepass")).hexdigest()[:12]
        if token not in text:
            return token
        salt += 1


def prompt_templates(folder: Path) -> SandboxedEnvironment:
    """The Jinja environment for the prompt files of `folder`: sandboxed, a missing variable is an error."""
    return SandboxedEnvironment(
        loader=FileSystemLoader(folder), undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
    )


_PROFILE_ALLOWED = re.compile(r"[^\w .@-]+", re.UNICODE)
DEFAULT_PROFILE = "default"


def clean_profile_name(raw: str | None) -> str:
    """Profile names are labels, not paths or markup: keep letters, digits, space . @ - _ (at most 40)."""
    name = _PROFILE_ALLOWED.sub("", (raw or "").strip())[:40].strip()
    return name or DEFAULT_PROFILE
