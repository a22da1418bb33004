"""Ask the material: a chat whose answers come only from retrieved passages, cited as [1], [2].

Whether the material covers a question is decided from retrieval, *before* any model is called,
so no model, however gullible, gets a chance to invent an answer to an uncovered question. The
relevance of a question is the best dense cosine similarity in the store plus a quarter of the
IDF-weighted share of its terms found in the best passage. The lexical part is there because the
embedding model is English-only: French off-topic questions reach dense similarities of 0.44
while French on-topic ones can be as low as 0.37 (figures in the thresholds' comment below).
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from core.text import fence_token
from interview.prompting import LANG_NAMES, content_text, phrase, templates
from knowledge.language import detect_language
from knowledge.lexical import analyzer_for

log = logging.getLogger(__name__)
LEXICAL_WEIGHT = 0.25
# Measured with `python -m interview.calibrate_ask` on the shipped corpus (20 documents x fr/en, 570
# chunks), 26 on-topic and 18 off-topic questions. English: on-topic relevance 0.57-0.96, off-topic
# 0.16-0.40 (11/11 and 8/8 right). French: on-topic 0.53-0.89, off-topic 0.42-0.56 (13/15 and 10/10
# right; the two misses are shown their nearest passages). Between BORDERLINE and COVERED the reply
# is "not covered" with the nearest passages listed, never a generated answer.
COVERED = {"en": 0.48, "fr": 0.58}
BORDERLINE = {"en": 0.40, "fr": 0.45}
HITS_K = 4
ANSWER_TOKENS = 700
CONTEXT_TOKENS = 8192
SHORT_QUESTION_WORDS = 5
_CITATION = re.compile(r"\[(\d{1,2})\]")


def estimate_tokens(text: str) -> int:
    """About 3.5 characters per token: a little pessimistic for English, about right for French."""
    return math.ceil(len(text) / 3.5) + 4  # + a few tokens of message framing


@dataclass
class ChatMessage:
    role: str  # "user" | "assistant"
    content: str
    hits: list = field(default_factory=list)
    status: str = "answered"  # "answered" | "not_covered" | "no_model"


def trim_history(history: Sequence[ChatMessage], budget_tokens: int) -> list[ChatMessage]:
    """The most recent messages that fit in `budget_tokens`, oldest dropped first, starting on a question."""
    kept: list[ChatMessage] = []
    used = 0
    for message in reversed(history):
        cost = estimate_tokens(message.content)
        if used + cost > budget_tokens:
            break
        kept.append(message)
        used += cost
    kept.reverse()
    while kept and kept[0].role != "user":
        kept.pop(0)
    return kept


def retrieval_query(question: str, history: Sequence[ChatMessage]) -> str:
    """A short follow-up ("and why?") is searched together with the previous question."""
    if len(question.split()) >= SHORT_QUESTION_WORDS:
        return question
    previous = next((m.content for m in reversed(history) if m.role == "user"), "")
    return f"{previous} {question}".strip()


@dataclass(frozen=True)
class Coverage:
    covered: bool
    borderline: bool
    relevance: float
    dense: float
    lexical: float


_df_cache: dict[tuple[int, int, str], tuple[Counter, int]] = {}
_df_lock = threading.Lock()


def _document_frequencies(retriever: Any, lang: str) -> tuple[Counter, int]:
    """Term document frequencies of the store's chunks in `lang`, computed once per store generation."""
    snapshot = retriever.snapshot()
    key = (id(retriever), snapshot.generation, lang)
    with _df_lock:
        if key not in _df_cache:
            analyzer = analyzer_for(lang)
            counts: Counter = Counter()
            texts = [t for t, chunk_lang in zip(snapshot.texts, snapshot.langs, strict=True) if chunk_lang == lang]
            for text in texts:
                counts.update(set(analyzer.terms(text)))
            _df_cache[key] = (counts, len(texts))
        return _df_cache[key]


def lexical_coverage(retriever: Any, query: str, hits: Sequence[Any], lang: str) -> float:
    """IDF-weighted share of the query's terms found in its best passage: rare missing words weigh most."""
    analyzer = analyzer_for(lang)
    terms = set(analyzer.terms(query))
    if not terms or not hits:
        return 0.0
    frequencies, size = _document_frequencies(retriever, lang)
    weights = {t: math.log(1 + size / (1 + frequencies[t])) for t in terms}
    total = sum(weights.values())
    best = 0.0
    for hit in hits:
        found = terms & set(analyzer.terms(f"{hit.title} {hit.heading_path} {hit.text}"))
        best = max(best, sum(weights[t] for t in found) / total)
    return best


def assess_coverage(retriever: Any, query: str, hits: Sequence[Any], lang: str) -> Coverage:
    from knowledge.retrieval import embed_query

    nearest = retriever.store.dense_search(embed_query(query).tolist(), 1)
    dense = 1.0 - nearest[0][1] if nearest else 0.0
    lexical = lexical_coverage(retriever, query, hits, lang)
    relevance = dense + LEXICAL_WEIGHT * lexical
    covered = bool(hits) and relevance >= COVERED[lang]
    return Coverage(covered, not covered and relevance >= BORDERLINE[lang], round(relevance, 3), dense, lexical)


def build_messages(question: str, hits: Sequence[Any], history: Sequence[ChatMessage], lang: str) -> list[BaseMessage]:
    """System (rules + fenced excerpts), the trimmed conversation, then the question."""
    fence = fence_token("\n".join(f"{h.title}\n{h.heading_path}\n{h.source}\n{h.text}" for h in hits))
    excerpts = [
        {"number": n, "title": h.title, "heading": h.heading_path, "source": h.source, "text": h.text}
        for n, h in enumerate(hits, start=1)
    ]  # fmt: skip
    system = templates.get_template("ask_system.j2").render(lang_name=LANG_NAMES[lang], excerpts=excerpts, fence=fence)
    messages: list[BaseMessage] = [SystemMessage(content=system.strip())]
    for message in history:
        if message.role == "user":
            messages.append(HumanMessage(content=message.content))
        else:  # old citation numbers point at old excerpts: drop them so the model cannot reuse them
            messages.append(AIMessage(content=_CITATION.sub("", message.content)))
    messages.append(HumanMessage(content=question))
    return messages


def cited_numbers(text: str, count: int) -> list[int]:
    """The excerpt numbers an answer cites, in order of first citation, ignoring numbers out of range."""
    seen: list[int] = []
    for match in _CITATION.finditer(text):
        number = int(match.group(1))
        if 1 <= number <= count and number not in seen:
            seen.append(number)
    return seen


def _excerpt_list(hits: Sequence[Any]) -> str:
    return "\n".join(f"- **{hit.label(n)}** — {hit.snippet}" for n, hit in enumerate(hits, start=1))


@dataclass
class AskReply:
    """One answer: streamed once with `stream()`; afterwards `text` holds it and `hits` its sources."""

    question: str
    lang: str
    hits: list
    coverage: Coverage | None
    status: str  # "answered" | "not_covered" | "no_model" | "empty" (nothing indexed)
    chat_model: Any = None
    messages: list = field(default_factory=list)
    text: str = ""

    def stream(self) -> Iterator[str]:
        pieces: list[str] = []
        for chunk in self._chunks():
            pieces.append(chunk)
            yield chunk
        self.text = "".join(pieces).strip()

    def _chunks(self) -> Iterator[str]:
        if self.status == "empty":
            yield phrase("ask_empty_store", self.lang)
            return
        if self.status == "not_covered":
            yield phrase("ask_not_covered", self.lang)
            if self.coverage is not None and self.coverage.borderline and self.hits:
                yield f"\n\n{phrase('ask_nearest', self.lang)}\n\n{_excerpt_list(self.hits)}"
            return
        if self.status == "no_model":
            yield f"{phrase('ask_no_model', self.lang)}\n\n{_excerpt_list(self.hits)}"
            return
        produced = False
        try:
            for chunk in self.chat_model.stream(self.messages):
                text = content_text(chunk.content)
                if text:
                    produced = True
                    yield text
        except Exception as exc:  # a dead or slow model: say so, and give the passages instead
            log.warning("ask: the model failed", exc_info=True)
            if produced:
                yield f"\n\n{phrase('ask_model_stopped', self.lang)}"
            else:
                self.status = "no_model"
                error = f"{type(exc).__name__}: {exc}"[:160]
                yield f"{phrase('ask_model_failed', self.lang, error=error)}\n\n{_excerpt_list(self.hits)}"

    @property
    def cited(self) -> list[int]:
        return cited_numbers(self.text, len(self.hits))


def answer_question(
    question: str,
    history: Sequence[ChatMessage],
    *,
    retriever: Any,
    chat_model: Any | None,
    default_lang: str = "fr",
    k: int = HITS_K,
    context_tokens: int = CONTEXT_TOKENS,
) -> AskReply:
    """Retrieve, decide coverage, and prepare the reply; nothing is generated until `stream()`."""
    question = question.strip()
    lang = detect_language(question, default="fr" if default_lang == "fr" else "en")
    query = retrieval_query(question, history)
    hits = retriever.search(query, k=k, lang=lang)
    if not hits:
        return AskReply(question, lang, [], None, "empty")
    coverage = assess_coverage(retriever, query, hits, lang)
    if not coverage.covered:
        return AskReply(question, lang, hits if coverage.borderline else [], coverage, "not_covered")
    if chat_model is None:
        return AskReply(question, lang, hits, coverage, "no_model")
    fixed = build_messages(question, hits, [], lang)
    budget = context_tokens - ANSWER_TOKENS - sum(estimate_tokens(str(m.content)) for m in fixed)
    messages = build_messages(question, hits, trim_history(history, max(0, budget)), lang)
    return AskReply(question, lang, hits, coverage, "answered", chat_model, messages)
