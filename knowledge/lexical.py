"""BM25 over chunks, one index per language, with a real French analyzer.

The dense model (all-MiniLM-L6-v2) is English-only, so for French the lexical side carries much of
the weight: words are lower-cased, stop words dropped, stemmed with the Snowball stemmer of the
chunk's language (PyStemmer), then accents folded, so "évaluations", "Evaluation" and "évaluer"
meet. Each language gets its own index because stemming rules and IDF differ between languages.
"""

from __future__ import annotations

import re
import threading

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_FRENCH

from knowledge.language import fold_accents

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_STEMMER_LANGUAGE = {"fr": "french", "en": "english"}
# Question words and filler common in queries but absent from the answers we want to find.
_FR_EXTRA = ["comment", "pourquoi", "quel", "quelle", "quels", "quelles", "quoi", "cela", "ça"]
_FR_EXTRA += ["faut", "peut", "dois", "doit"]
_EN_EXTRA = ["how", "why", "what", "which", "when", "should", "would", "could", "can", "do", "does", "my", "i", "me"]
STOPWORDS = {
    "fr": frozenset(fold_accents(w) for w in (*STOPWORDS_FRENCH, *_FR_EXTRA)),
    "en": frozenset(fold_accents(w) for w in (*STOPWORDS_EN, *_EN_EXTRA)),
}


class Analyzer:
    """Text to index terms for one language; thread-safe (PyStemmer objects are not, hence the lock)."""

    def __init__(self, lang: str):
        if lang not in _STEMMER_LANGUAGE:
            raise ValueError(f"no analyzer for language {lang!r} (known: fr, en)")
        self.lang = lang
        self._stemmer = Stemmer.Stemmer(_STEMMER_LANGUAGE[lang])
        self._stopwords = STOPWORDS[lang]
        self._lock = threading.Lock()

    def terms(self, text: str) -> list[str]:
        words = [w for w in _TOKEN.findall(text.lower()) if len(w) > 1 or w.isdigit()]
        kept = [w for w in words if fold_accents(w) not in self._stopwords]
        with self._lock:
            stems = self._stemmer.stemWords(kept)
        return [fold_accents(s) for s in stems]


_ANALYZERS: dict[str, Analyzer] = {}
_ANALYZERS_LOCK = threading.Lock()


def analyzer_for(lang: str) -> Analyzer:
    """Analyzers are shared per language: building a stemmer is cheap but pointless to repeat."""
    with _ANALYZERS_LOCK:
        if lang not in _ANALYZERS:
            _ANALYZERS[lang] = Analyzer(lang)
        return _ANALYZERS[lang]


class LexicalIndex:
    """A read-only BM25 index over some chunk texts of one language; safe to query from many threads."""

    def __init__(self, texts: list[str], lang: str, k1: float = 1.2, b: float = 0.75):
        self.lang = lang
        self.analyzer = analyzer_for(lang)
        self.size = len(texts)
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        corpus_terms = [self.analyzer.terms(text) or [""] for text in texts]
        if texts:
            self._bm25.index(corpus_terms, show_progress=False)

    def scores(self, query: str, mask: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every indexed text (0 where no query term occurs or the mask is False)."""
        if self.size == 0:
            return np.zeros(0, dtype=np.float32)
        terms = [t for t in self.analyzer.terms(query) if t in self._bm25.vocab_dict]
        if not terms:
            return np.zeros(self.size, dtype=np.float32)
        scores = np.asarray(self._bm25.get_scores(terms), dtype=np.float32)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        return scores

    def search(self, query: str, n: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The best `n` (position, score) pairs with a positive score, best first."""
        scores = self.scores(query, mask)
        positive = int(np.count_nonzero(scores > 0))
        n = min(n, positive)
        if n <= 0:
            return []
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top]
