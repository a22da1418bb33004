"""The embedded grader: a grade without any LLM, from sentence embeddings and rubric keywords.

It is the fallback when no model is reachable, a second opinion on demand, and the ceiling the LLM
judge cannot exceed when an answer tried to inject instructions. It works in well under a second:
each rubric item is matched against every sentence of the answer (and against the sentence of the
reference answer that covers that item), keywords count only inside real explanatory sentences,
and keyword lists, one-liners and off-topic text are recognised and held down.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np

from evaluators.evidence import keyword_hits
from evaluators.feedback import embedded_feedback
from evaluators.grade import CriterionGrade, Flag, Grade, Verdict, compute_score
from evaluators.guards import SanitizedAnswer, fold_for_matching
from knowledge.embeddings import EMBEDDING_MODEL_NAME, encode
from question_bank.model import Kind, Question, RubricItem

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+|\n+|\s+[-•*]\s+")
_FUNCTION_WORDS_TEXT = (
    "le la les des du de un une et est sont dans pour par avec sur que qui ce cette il elle on je nous "
    "vous au aux pas plus ou mais donc car se sa son ses leur en ne y a the an and is are in for by with "
    "on that which this it they we you i to of not or but so be have has does do can when if as at from"
)
_FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())
BEHAVIORAL_CUES: dict[str, list[str]] = {
    "own-role": ["I", "my", "me", "je", "j", "moi", "mon", "ma", "mes", "personally", "personnellement"],
    "outcome": ["percent", "pourcent", "reduced", "increased", "réduit", "augmenté", "baissé", "passé de"],
    "reflection": ["learned", "lesson", "differently", "again", "appris", "leçon", "autrement", "refaire"],
    "motivation": ["because", "why", "parce que", "pourquoi", "excite", "passionne", "motive", "envie"],
}


@dataclass(frozen=True)
class EmbeddedTuning:
    """Thresholds of the embedded grader, tuned on tests/data/graded with `cli.py judge eval`.

    coverage(item) = best sentence similarity + vocabulary_weight * share of the item's vocabulary
    used + keyword_weight * share of its keywords used in explanatory sentences.
    """

    met: float = 0.70
    partly: float = 0.55
    vocabulary_weight: float = 0.2
    keyword_weight: float = 0.15
    thin_vocabulary: float = 0.09
    """Below this share of the question's vocabulary, in 30 words or more, the answer says almost
    nothing specific (fluent filler, another topic): only clearly covered items earn, and partly."""
    thin_min_words: int = 30
    deep_vocabulary: float = 0.20
    """Below this share no item is fully met: depth needs the question's concepts."""
    min_words: int = 5
    short_words: int = 15
    explanatory_words: int = 6
    stuffing_function_ratio: float = 0.12


TUNING = EmbeddedTuning()


@dataclass(frozen=True)
class _QuestionMaterial:
    """What the grader compares answers with, computed once per question and language."""

    anchors: dict[str, np.ndarray]
    item_vocabulary: dict[str, frozenset[str]]
    vocabulary: frozenset[str]
    dimensions: int


_cache_lock = threading.Lock()
_material_cache: dict[tuple[str, str, int], _QuestionMaterial] = {}


def stems(text: str) -> set[str]:
    """Content words cut to 6 letters: a crude stemmer that is enough to match FR and EN inflections."""
    return {w[:6] for w in _WORD.findall(fold_for_matching(text)) if len(w) >= 4 and w not in _FUNCTION_WORDS}


def split_sentences(text: str, max_words: int = 40) -> list[str]:
    """Sentences of the answer; very long ones are cut into overlapping windows of `max_words`."""
    sentences: list[str] = []
    for part in _SENTENCE_BREAK.split(text):
        words = part.split()
        if not words:
            continue
        if len(words) <= max_words:
            sentences.append(" ".join(words))
            continue
        step = max_words * 3 // 4
        sentences.extend(" ".join(words[i : i + max_words]) for i in range(0, len(words) - step // 2, step))
    return sentences


def _material(question: Question, lang: str) -> _QuestionMaterial:
    """Per item: its text and the reference sentence that best covers it, and their vocabulary."""
    key = (question.id, lang, hash(question.model_dump_json()))
    with _cache_lock:
        if key in _material_cache:
            return _material_cache[key]
    reference = question.reference_answer.get(lang)
    reference_sentences = split_sentences(reference) or [reference]
    item_texts = [item.text.get(lang) for item in question.rubric]
    # No whole-reference vector: one 256-token text would pad the whole batch to 256 tokens.
    vectors = encode(item_texts + reference_sentences)
    items, refs = vectors[: len(item_texts)], vectors[len(item_texts) :]
    anchors, item_vocabulary = {}, {}
    for k, item in enumerate(question.rubric):
        best = int(np.argmax(refs @ items[k]))
        anchors[item.id] = np.stack([items[k], refs[best]])
        item_words = f"{item_texts[k]} {' '.join(item.keywords)} {reference_sentences[best]}"
        item_vocabulary[item.id] = frozenset(stems(item_words))
    keywords = " ".join(" ".join(item.keywords) for item in question.rubric)
    all_text = " ".join([reference, *item_texts, keywords])
    material = _QuestionMaterial(anchors, item_vocabulary, frozenset(stems(all_text)), vectors.shape[1])
    with _cache_lock:
        if len(_material_cache) > 512:
            _material_cache.clear()
        _material_cache[key] = material
    return material


def item_anchors(question: Question, lang: str) -> dict[str, np.ndarray]:
    """Per rubric item id, the vectors of its text and of the reference sentence that covers it."""
    return _material(question, lang).anchors


def _keywords_for(item: RubricItem, question: Question) -> list[str]:
    if question.kind == Kind.behavioral:
        return [*item.keywords, *BEHAVIORAL_CUES.get(item.id, [])]
    return list(item.keywords)


def is_keyword_stuffing(words: list[str], sentences: list[str], tuning: EmbeddedTuning = TUNING) -> bool:
    """Terms without explanation: few function words, or no sentence long enough to explain anything."""
    if len(words) < 6:
        return False
    function_share = sum(1 for w in words if w.lower() in _FUNCTION_WORDS) / len(words)
    explanatory = [
        s for s in sentences if len(s.split()) >= tuning.explanatory_words and s.count(",") < len(s.split()) / 3
    ]
    return function_share < tuning.stuffing_function_ratio or not explanatory


def grade_embedded(
    question: Question, sanitized: SanitizedAnswer, lang: str, tuning: EmbeddedTuning = TUNING
) -> Grade:
    """Grade `sanitized.text` (already cleaned, injection removed, cut to budget) without an LLM."""
    text = sanitized.text
    words = _WORD.findall(text)
    sentences = split_sentences(text)
    grade = Grade(question_id=question.id, score=0.0, grader="embedded", model=EMBEDDING_MODEL_NAME, lang=lang)  # type: ignore[arg-type]
    if sanitized.injection:
        grade.add_flag(Flag.prompt_injection)
    if sanitized.truncated:
        grade.add_flag(Flag.truncated)
    if not words:
        grade.add_flag(Flag.empty_answer)
    elif len(words) < tuning.min_words:
        grade.add_flag(Flag.too_short)
    stuffing = bool(words) and is_keyword_stuffing(words, sentences, tuning)
    if stuffing:
        grade.add_flag(Flag.keyword_stuffing)

    material = _material(question, lang)
    sentence_vecs = encode(sentences) if sentences else np.zeros((0, material.dimensions))
    answer_stems = stems(text)
    vocabulary_share = len(answer_stems & material.vocabulary) / max(1, len(material.vocabulary))
    explanatory_text = " ".join(s for s in sentences if len(s.split()) >= tuning.explanatory_words)
    thin = vocabulary_share < tuning.thin_vocabulary and len(words) >= tuning.thin_min_words
    shallow = stuffing or len(words) < tuning.short_words or vocabulary_share < tuning.deep_vocabulary

    coverages = []
    for item in question.rubric:
        similarity, quote = 0.0, ""
        if sentences:
            similarities = (sentence_vecs @ material.anchors[item.id].T).max(axis=1)
            best = int(np.argmax(similarities))
            similarity, quote = float(similarities[best]), sentences[best]
        vocabulary = material.item_vocabulary[item.id]
        item_share = len(answer_stems & vocabulary) / max(1, len(vocabulary))
        keywords = _keywords_for(item, question)
        hits = [] if stuffing or not keywords else keyword_hits(explanatory_text, keywords)
        keyword_share = min(1.0, len(hits) / min(3, len(keywords))) if keywords else 0.0
        coverage = similarity + tuning.vocabulary_weight * item_share + tuning.keyword_weight * keyword_share
        coverages.append(coverage)
        if Flag.empty_answer in grade.flags or Flag.too_short in grade.flags:
            verdict = Verdict.not_met
        elif coverage >= tuning.met:
            # An answer that addresses its grader gets no benefit of the doubt: partial credit at most,
            # and only where the coverage is clear (the `met` level).
            verdict = Verdict.partly_met if (thin or shallow or sanitized.injection) else Verdict.met
        elif coverage >= tuning.partly and not thin and not sanitized.injection:
            verdict = Verdict.partly_met
        else:
            verdict = Verdict.not_met
        grade.criteria.append(
            CriterionGrade(
                id=item.id,
                text=item.text.get(lang),
                weight=item.weight,
                evidence=[quote[:300]] if quote and verdict != Verdict.not_met else [],
                reasoning=_explain(lang, similarity, item_share, hits),
                verdict=verdict,
            )
        )
    grade.score = compute_score(grade.criteria)
    if words and thin and grade.score == 0 and not stuffing:
        grade.add_flag(Flag.off_topic)
    grade.missing_points = [c.text for c in grade.criteria if c.verdict == Verdict.not_met]
    grade.feedback = embedded_feedback(grade, lang)
    grade.stronger_answer = question.reference_answer.get(lang)
    grade.reasoning = f"vocabulary share {vocabulary_share:.2f}; " + "; ".join(
        f"{c.id} {cov:.2f}" for c, cov in zip(grade.criteria, coverages, strict=True)
    )
    return grade


def _explain(lang: str, similarity: float, vocabulary_share: float, hits: list[str]) -> str:
    if lang == "fr":
        found = f" ; mots-clés : {', '.join(hits)}" if hits else ""
        return f"Phrase la plus proche : similarité {similarity:.2f} ; vocabulaire : {vocabulary_share:.0%}{found}"
    found = f"; keywords: {', '.join(hits)}" if hits else ""
    return f"Closest sentence: similarity {similarity:.2f}; the point's vocabulary used: {vocabulary_share:.0%}{found}"
