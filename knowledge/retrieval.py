"""Hybrid retrieval: dense (Chroma) + BM25 per language, fused with Reciprocal Rank Fusion.

Cross-lingual handling, measured in bench/retrieval.py rather than assumed. The dense model is
English-only (French queries: dense recall@5 0.81 against 0.98 in English), so one dense query runs
over both languages, each language's BM25 index is queried with its own analyzer, and the French and
English twins of a corpus section (same slug, same section) form one group: it is scored by its best
member and shown in the reader's language, even when only the other twin was found. Adding the twins'
scores instead ranked worse (MRR@5 0.81 against 0.85). For a reader of the other language than the
question's, this keeps recall@5 at 0.98 with every document in the reader's language, where a strict
language filter falls to 0.89.

The retriever caches the chunk list and BM25 indexes in an immutable snapshot, rebuilt only when the
store's generation changes; searches only read it, so one retriever can serve every Streamlit session.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from knowledge.chunking import HEADING_SEPARATOR
from knowledge.language import detect_language
from knowledge.lexical import LexicalIndex, analyzer_for
from knowledge.store import KnowledgeStore

_CORPUS_SOURCE = re.compile(r"^(fr|en)/(.+)$")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
SNIPPET_CHARS = 240


@dataclass(frozen=True)
class Hit:
    text: str  # the whole passage, without the title/heading prefix used for indexing
    source: str
    title: str
    heading_path: str  # "RAG pipeline > Chunking"
    lang: str
    score: float  # fused RRF score: higher is better, comparable within one search only
    chunk_id: str
    snippet: str  # the passage's sentence that best matches the query, at most SNIPPET_CHARS
    position: int = 0
    topics: tuple[str, ...] = ()

    @property
    def section(self) -> str:
        """The heading path without the page's own heading, which repeats the title or shortens it
        ("The AI engineer's toolbox" under "The AI engineer's toolbox: SDKs, ..."): said once is enough."""
        parts = self.heading_path.split(HEADING_SEPARATOR) if self.heading_path else []
        if parts and self.title.casefold().startswith(parts[0].casefold()):
            parts = parts[1:]
        return HEADING_SEPARATOR.join(parts)

    def label(self, number: int) -> str:
        """How a citation is named wherever it is shown: "[2] Page title › Section > Subsection"."""
        return f"[{number}] {self.title}" + (f" › {self.section}" if self.section else "")


@dataclass(frozen=True)
class References:
    reference_answer: str
    hits: list[Hit]


@dataclass(frozen=True)
class RetrievalConfig:
    """Fusion knobs; bench/retrieval.py compares variants on the labelled set."""

    candidates: int = 50  # per ranked list, before fusion
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    use_dense: bool = True
    use_lexical: bool = True
    cross_lingual_lexical: bool = True  # also query the other language's BM25 index
    twins: str = "max"  # fr/en twins of a section: "max" = one hit, best twin's score; "sum" = scores add; "off"
    other_language_factor: float = 0.8  # for passages that exist only in another language than the reader's


@lru_cache(maxsize=1024)
def embed_query(text: str) -> np.ndarray:
    """One embedding per distinct query; `references()` asks twice for the same text.

    Computed by the numpy encoder of the same model (knowledge/query_encoder.py): it loads in a
    fraction of a second where torch takes several, so a new server answers its first question at once.
    """
    from knowledge.query_encoder import query_encoder

    vector = query_encoder().embed(text)
    vector.setflags(write=False)
    return vector


class _Snapshot:
    """Everything a search reads, built once per store generation and never mutated."""

    def __init__(self, generation: int, store: KnowledgeStore):
        rows = store.chunk_rows()
        self.generation = generation
        self.ids = rows.ids
        self.index_of = {chunk_id: i for i, chunk_id in enumerate(rows.ids)}
        self.metas = rows.metadatas
        pairs = zip(rows.texts, rows.metadatas, strict=True)
        self.texts = [text[int(meta.get("prefix_len", 0)) :] for text, meta in pairs]
        self.langs = np.array([str(m.get("lang", "")) for m in self.metas], dtype=object)
        self.sources = np.array([str(m.get("source", "")) for m in self.metas], dtype=object)
        self.topic_masks: dict[str, np.ndarray] = {}
        for i, meta in enumerate(self.metas):
            for topic in filter(None, str(meta.get("topics", "")).split(",")):
                self.topic_masks.setdefault(topic, np.zeros(len(self.ids), dtype=bool))[i] = True
        self.lexical: dict[str, tuple[LexicalIndex, np.ndarray]] = {}
        for lang in ("fr", "en"):
            positions = np.flatnonzero(self.langs == lang)
            if len(positions):
                self.lexical[lang] = (LexicalIndex([rows.texts[i] for i in positions], lang), positions)
        self.twin_keys = self._twin_keys()
        self.twin_groups: dict[str, list[int]] = defaultdict(list)
        for i, key in enumerate(self.twin_keys):
            self.twin_groups[key].append(i)

    def _twin_keys(self) -> list[str]:
        """Same key for the fr and en chunk of one corpus section, when both pages share their structure."""
        sections: dict[str, int] = {}
        pieces: dict[tuple[str, int], int] = defaultdict(int)
        for meta in self.metas:
            sections[meta["source"]] = int(meta.get("n_sections", -1))
            pieces[(meta["source"], int(meta.get("section", 0)))] += 1
        keys = []
        for chunk_id, meta in zip(self.ids, self.metas, strict=True):
            match = _CORPUS_SOURCE.match(meta["source"])
            if not match:
                keys.append(chunk_id)
                continue
            lang, rest = match.groups()
            twin = f"{'en' if lang == 'fr' else 'fr'}/{rest}"
            section = int(meta.get("section", 0))
            if sections.get(twin) != sections[meta["source"]]:
                keys.append(chunk_id)
            elif pieces[(twin, section)] == pieces[(meta["source"], section)]:
                keys.append(f"{rest}#{section}#{meta.get('piece', 0)}")
            else:
                keys.append(f"{rest}#{section}")
        return keys

    def mask(self, lang: str | None, topics: list[str] | None, sources: list[str] | None) -> np.ndarray | None:
        result = None
        if lang:
            result = self.langs == lang
        if topics:
            empty = np.zeros(len(self.ids), dtype=bool)
            topic_mask = np.logical_or.reduce([self.topic_masks.get(t, empty) for t in topics])
            result = topic_mask if result is None else result & topic_mask
        if sources:
            source_mask = np.isin(self.sources, list(sources))
            result = source_mask if result is None else result & source_mask
        return result


def chroma_where(lang: str | None, topics: list[str] | None, sources: list[str] | None) -> dict | None:
    conditions: list[dict] = []
    if lang:
        conditions.append({"lang": lang})
    if topics:
        per_topic = [{f"topic_{t}": True} for t in topics]
        conditions.append(per_topic[0] if len(per_topic) == 1 else {"$or": per_topic})
    if sources:
        conditions.append({"source": {"$in": list(sources)}})
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else {"$and": conditions}


def reciprocal_rank_fusion(ranked_lists: list[tuple[float, list[int]]], k: int = 60) -> dict[int, float]:
    """RRF (Cormack et al., 2009): each list adds weight / (k + rank), ranks from 1. Only ranks count, so
    BM25 scores (unbounded) and cosine distances never need to be made comparable."""
    fused: dict[int, float] = defaultdict(float)
    for weight, ranked in ranked_lists:
        for rank, item in enumerate(ranked, 1):
            fused[item] += weight / (k + rank)
    return dict(fused)


def best_snippet(text: str, query: str, lang: str) -> str:
    """The sentence sharing the most terms with the query (the first one if none does), trimmed."""
    analyzer = analyzer_for(lang if lang in ("fr", "en") else "en")
    wanted = set(analyzer.terms(query))
    sentences = [s for s in _SENTENCE_END.split(text.strip()) if s.strip()] or [text]
    best = max(sentences, key=lambda s: len(wanted & set(analyzer.terms(s))))
    best = " ".join(best.split())
    if len(best) <= SNIPPET_CHARS:
        return best
    return best[: SNIPPET_CHARS - 1].rsplit(" ", 1)[0] + "…"


class HybridRetriever:
    """Dense + BM25 search over a KnowledgeStore; cheap to share, refreshes itself when the store changes."""

    def __init__(self, store: KnowledgeStore, config: RetrievalConfig | None = None):
        self.store = store
        self.config = config or RetrievalConfig()
        self._snapshot: _Snapshot | None = None
        self._refresh_lock = threading.Lock()
        self._vectors_stale = False  # another process may have written vectors this one's index lacks

    def snapshot(self) -> _Snapshot:
        generation = self.store.generation()
        current = self._snapshot
        if current is not None and current.generation == generation and not self._vectors_stale:
            return current
        with self._refresh_lock:  # one thread rebuilds; the others wait and reuse it
            if self._snapshot is None or self._snapshot.generation != generation:
                self._snapshot = _Snapshot(generation, self.store)
                self._vectors_stale = True
            if self._vectors_stale:  # retried at the next search while another process writes
                self._vectors_stale = not self.store.refresh()
            return self._snapshot

    def search(
        self,
        query: str,
        k: int = 5,
        lang: str | None = None,
        topics: list[str] | None = None,
        sources: list[str] | None = None,
        strict_lang: bool = False,
    ) -> list[Hit]:
        """Best `k` passages. `lang` is the reader's language: twins are shown in it and other languages
        rank a little lower; with `strict_lang=True` it becomes a filter. `topics` and `sources` filter."""
        if lang not in (None, "fr", "en"):
            raise ValueError(f"lang must be 'fr' or 'en', not {lang!r}")
        query = query.strip()
        snap = self.snapshot()
        if not query or k <= 0 or not snap.ids:
            return []
        cfg = self.config
        preferred = lang or detect_language(query)
        lang_filter = lang if strict_lang else None
        mask = snap.mask(lang_filter, topics, sources)
        if mask is not None and not mask.any():
            return []
        n = min(cfg.candidates, len(snap.ids) if mask is None else int(mask.sum()))
        ranked_lists: list[tuple[float, list[int]]] = []
        if cfg.use_dense:
            dense = self.store.dense_search(embed_query(query).tolist(), n, chroma_where(lang_filter, topics, sources))
            ranked_lists.append((cfg.dense_weight, [snap.index_of[c] for c, _ in dense if c in snap.index_of]))
        if cfg.use_lexical:
            for index_lang, (index, positions) in snap.lexical.items():
                if index_lang == preferred or cfg.cross_lingual_lexical:
                    found = index.search(query, n, None if mask is None else mask[positions])
                    ranked_lists.append((cfg.lexical_weight, [int(positions[p]) for p, _ in found]))
        scored = self._merge_twins(snap, reciprocal_rank_fusion(ranked_lists, cfg.rrf_k), preferred)
        return [self._hit(snap, i, score, query) for score, i in scored[:k]]

    def _merge_twins(self, snap: _Snapshot, fused: dict[int, float], preferred: str) -> list[tuple[float, int]]:
        """(score, chunk shown) best first, one per twin group, shown in the preferred language if it can be."""
        cfg = self.config
        groups: dict[str, list[int]] = defaultdict(list)
        for i in fused:
            groups[snap.ids[i] if cfg.twins == "off" else snap.twin_keys[i]].append(i)
        scored = []
        for members in groups.values():
            factor = {preferred: 1.0}
            if cfg.twins != "off":  # a twin in the reader's language stands for the whole group
                twins = snap.twin_groups[snap.twin_keys[members[0]]]
                if any(snap.langs[i] == preferred for i in twins):
                    factor = {lang: 1.0 for lang in snap.langs[twins]}
            weighted = {i: fused[i] * factor.get(snap.langs[i], cfg.other_language_factor) for i in members}
            in_preferred = [i for i in members if snap.langs[i] == preferred]
            if not in_preferred and cfg.twins != "off":  # found through its twin: show the reader's version
                in_preferred = [i for i in snap.twin_groups[snap.twin_keys[members[0]]] if snap.langs[i] == preferred]
            shown = max(in_preferred or members, key=lambda i: fused.get(i, 0.0))
            if cfg.twins == "sum":  # pieces of one language are near-duplicates: add only each language's best
                best_per_lang: dict[str, float] = {}
                for i in members:
                    best_per_lang[snap.langs[i]] = max(best_per_lang.get(snap.langs[i], 0.0), weighted[i])
                scored.append((sum(best_per_lang.values()), shown))
            else:
                scored.append((max(weighted.values()), shown))
        scored.sort(key=lambda pair: (-pair[0], snap.ids[pair[1]]))
        return scored

    @staticmethod
    def _hit(snap: _Snapshot, i: int, score: float, query: str) -> Hit:
        meta = snap.metas[i]
        return Hit(
            text=snap.texts[i],
            source=str(meta["source"]),
            title=str(meta.get("title", "")),
            heading_path=str(meta.get("heading_path", "")),
            lang=str(meta.get("lang", "")),
            score=round(score, 6),
            chunk_id=snap.ids[i],
            snippet=best_snippet(snap.texts[i], query, str(meta.get("lang", "en"))),
            position=int(meta.get("position", 0)),
            topics=tuple(filter(None, str(meta.get("topics", "")).split(","))),
        )


def twin_sources(sources: list[str]) -> list[str]:
    """A question citing `fr/x.md` is equally served by `en/x.md`, and the reverse."""
    expanded: list[str] = []
    for source in sources:
        match = _CORPUS_SOURCE.match(source)
        candidates = [source] if not match else [f"fr/{match.group(2)}", f"en/{match.group(2)}"]
        expanded += [c for c in candidates if c not in expanded]
    return expanded


def references(retriever: HybridRetriever, question, lang: str, k: int = 4) -> References:  # type: ignore[no-untyped-def]
    """The question's reference answer and the `k` passages that back it, from its own sources first.

    The query is the question plus its reference answer: the answer's vocabulary is what the
    supporting passages use, which a short question alone often lacks.
    """
    reference_answer = question.reference_answer.get(lang)
    query = f"{question.prompt_in(lang)}\n{reference_answer[:1500]}"
    hits: list[Hit] = []
    if question.sources:
        hits = retriever.search(query, k=k, lang=lang, sources=twin_sources(list(question.sources)))
    if len(hits) < k:
        seen = {(h.source, h.position) for h in hits}
        more = retriever.search(query, k=k + len(hits), lang=lang)
        hits += [h for h in more if (h.source, h.position) not in seen][: k - len(hits)]
    return References(reference_answer=reference_answer, hits=hits)
