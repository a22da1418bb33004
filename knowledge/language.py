"""Small language helpers shared by retrieval and grading: French or English, and accent folding.

Only two languages matter here, so a stop-word vote is both faster and more predictable than a
general language-identification model, and it works offline.
"""

from __future__ import annotations

import re
import unicodedata

from core.types import Lang

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_FR_MARKERS = frozenset(
    [
        "le",
        "la",
        "les",
        "des",
        "du",
        "de",
        "un",
        "une",
        "et",
        "est",
        "sont",
        "dans",
        "pour",
        "par",
        "avec",
        "sur",
        "que",
        "qui",
        "quoi",
        "ce",
        "cette",
        "ces",
        "il",
        "elle",
        "ils",
        "elles",
        "nous",
        "vous",
        "je",
        "au",
        "aux",
        "pas",
        "plus",
        "ou",
        "où",
        "mais",
        "donc",
        "car",
        "être",
        "avoir",
        "fait",
        "très",
        "comme",
        "leur",
        "leurs",
        "son",
        "sa",
        "ses",
        "mon",
        "ma",
        "mes",
        "entre",
        "sans",
        "aussi",
        "lorsque",
        "quand",
        "chaque",
    ]
)
_EN_MARKERS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "is",
        "are",
        "in",
        "for",
        "by",
        "with",
        "on",
        "that",
        "which",
        "what",
        "this",
        "these",
        "those",
        "it",
        "they",
        "we",
        "you",
        "i",
        "to",
        "of",
        "not",
        "more",
        "or",
        "but",
        "so",
        "because",
        "be",
        "have",
        "has",
        "does",
        "do",
        "very",
        "like",
        "their",
        "his",
        "her",
        "my",
        "between",
        "without",
        "also",
        "when",
        "each",
    ]
)


def fold_accents(text: str) -> str:
    """'Évaluation' -> 'Evaluation': French queries typed without accents still match."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def detect_language(text: str, default: Lang = "en") -> Lang:
    """'fr' or 'en' by counting common function words; accents tip a tie towards French."""
    words = [w.lower() for w in _WORD.findall(text[:20_000])]
    fr = sum(1 for w in words if w in _FR_MARKERS)
    en = sum(1 for w in words if w in _EN_MARKERS)
    if fr == en:
        if re.search(r"[éèêàùçôîœ]", text[:20_000], re.IGNORECASE):
            return "fr"
        return default
    return "fr" if fr > en else "en"


def valid_unicode(text: str) -> str:
    """Replace lone surrogates (a browser can send them) that tokenizers and databases reject."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="replace").decode("utf-8")
