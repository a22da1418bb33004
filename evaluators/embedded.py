"""The embedded grader: a grade without any LLM, from sentence embeddings and the rubric's vocabulary.

It is the fallback when no model is reachable, the judge's second opinion, and the ceiling the judge
cannot exceed when an answer tried to inject instructions. Each rubric item gets a calibrated,
continuous credit from nine signals (how close the answer's best sentence is to the item and to
the reference sentence that covers it, how much of the item's and the question's vocabulary the
answer uses, how deep and how focused it is, whether the question is behavioral, and how densely it
states absolutes, the one signal that lowers credit). The weights
are fitted on human-graded answers (`cli.py judge fit-embedded`) and checked on a held-out set the
fit never saw; hard similarity thresholds scored good answers written outside the project 2 points
too low. Claims without explanation ("covered ✔") are set aside first, keyword lists are capped.

What it cannot do: tell a fluent, confident, wrong answer from a right one. It measures coverage,
not truth, so its grades are never "high" confidence and always carry their measured error.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
from dataclasses import dataclass

import numpy as np

from core.types import CriterionGrade, Flag, Grade, Verdict
from evaluators.feedback import embedded_feedback
from evaluators.guards import SanitizedAnswer, fold_for_matching
from knowledge.embeddings import EMBEDDING_MODEL_NAME, encode
from question_bank.model import Kind, Question, RubricItem

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)
_SELF_TALK = re.compile(
    r"(?:^|[.!?:;\n]\s*|[-•*]\s+|\d[.)]\s+)(?:je|j['’]|i|i['’]ll|i['’]m|my|ma|mon|mes|let me|to answer|"
    r"pour répondre|voici|here is|here['’]s)\b", re.IGNORECASE | re.MULTILINE,
)
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
SIGNALS = (
    "reference_similarity",  # best answer sentence vs the reference sentence that covers the item
    "item_similarity",  # best answer sentence vs the item's own text
    "item_vocabulary",  # share of the item's content words (item, keywords, its reference sentence) used
    "item_keywords",  # share of the item's keywords used inside explanatory sentences (3 or more = all)
    "question_vocabulary",  # share of the whole question's content words used
    "depth",  # log(1 + distinct content words) / 5
    "focus",  # share of the answer's content words that belong to the question's vocabulary
    "behavioral",  # 1 for behavioral questions, whose answers use the rubric's words less
    "certainty",  # density of absolutes ("always", "guaranteed", "c'est simple"): 1 from 4 per 100 words
)
LOWERING_SIGNALS = frozenset({"certainty"})
"""Signals whose fitted weight may be negative. Every other signal only ever raises credit, as a fair
examiner would want; fluent answers that were confidently wrong stated absolutes 2.4 times as densely
as honest ones in the tuning set (0.6 per 100 words when written by experts), and the embedded grader
has no other way to notice wrong facts told in the right vocabulary."""
_ABSOLUTES = re.compile(  # whole words: "exactly-once" or "at-least-once" are terms, not claims
    r"(?<![\w-])(?:always|never|no need|useless|obsolete|guarantee[sd]?|completely|entirely|impossible|simply|"
    r"solved|perfectly|exactly|by construction|toujours|jamais|inutile|obsolète|garanti[et]?s?|complètement|"
    r"totalement|simplement|parfaitement|exactement|par construction|faux problème|c['’]est simple|en réalité)"
    r"(?![\w-])",
    re.IGNORECASE,
)
_NEGATIONS = frozenset({
    "not", "no", "without", "isn't", "aren't", "doesn't", "don't", "didn't", "won't", "cannot", "can't", "hardly",
    "rarely", "pas", "sans", "non", "ni", "guère",
})  # fmt: skip
"""A word among the three before an absolute that makes it a hedge ("not always", "pas toujours")."""
CERTAINTY_FULL_PER_100_WORDS = 4.0


@dataclass(frozen=True)
class EmbeddedTuning:
    """The fitted weights (one per entry of SIGNALS) and the fixed rules around them.

    `weights` and `bias` come from `cli.py judge fit-embedded` on the tuning sets;
    `held_out_mae` is the error `cli.py judge eval` measured on the held-out set with them.
    """

    weights: tuple[float, ...] = (0.9122, 0.0, 2.825, 1.8271, 5.1548, 0.0, 1.4758, 1.4335, -1.4795)
    bias: float = -2.7304
    held_out_mae: float = 1.01
    met_credit: float = 0.7
    """Credit from which an item is shown as covered; from `partly_credit`, as partly covered."""
    partly_credit: float = 0.4
    stuffing_credit: float = 0.1
    """A keyword list earns at most this share of any item (a term named is not a term explained)."""
    rubric_copy_share: float = 0.22
    """From this share of the rubric's own phrases (`rubric_copy`), the answer restates the points instead
    of explaining them (set on the tuning set: above every honest answer there, below most echoes)."""
    echo_credit: float = 0.15
    """An answer that restates the rubric earns at most this share of any item."""
    injection_credit: float = 0.5
    """After an injection attempt, only clearly covered items (`met_credit`) earn, and only this share."""
    unevidenced_credit: float = 0.3
    """An item the answer shows no sign of (none of its words, keywords or close sentences) earns at most
    this share, however good the rest of the answer: the shared signals say the answer is good, not
    that it covers this point."""
    evidence_vocabulary: float = 0.25
    evidence_similarity: tuple[float, float] = (0.5, 0.7)
    """Full evidence from this share of the item's vocabulary, its keywords, or a sentence this close."""
    min_words: int = 5
    explanatory_words: int = 6
    stuffing_function_ratio: float = 0.12
    off_topic_vocabulary: float = 0.09
    off_topic_min_words: int = 30


TUNING = EmbeddedTuning()


@dataclass(frozen=True)
class _QuestionMaterial:
    """What the grader compares answers with, computed once per question and language."""

    anchors: dict[str, np.ndarray]
    item_vocabulary: dict[str, frozenset[str]]
    vocabulary: frozenset[str]
    dimensions: int
    rubric_pairs: frozenset[tuple[str, str]] = frozenset()
    """Pairs of consecutive content words in the rubric items' own texts (see `rubric_copy`)."""


@dataclass(frozen=True)
class AnswerSignals:
    """Everything the grader measured on one answer: the matrix the weights apply to, and the quotes."""

    words: int
    stuffing: bool
    question_vocabulary: float
    matrix: np.ndarray
    """One row per rubric item, one column per entry of SIGNALS."""
    best_sentences: list[str]
    rubric_copy: float = 0.0
    """Share of the answer's pairs of consecutive content words taken from the rubric's own wording."""
    self_talk: bool = False
    """A sentence opens in the first person or announces the answer ("my answer", "je", "voici")."""


_cache_lock = threading.Lock()
_material_cache: dict[tuple[str, str, int], _QuestionMaterial] = {}


def stems(text: str) -> set[str]:
    """Content words cut to 6 letters: a crude stemmer that is enough to match FR and EN inflections."""
    return {w[:6] for w in _WORD.findall(fold_for_matching(text)) if len(w) >= 4 and w not in _FUNCTION_WORDS}


def content_pairs(text: str) -> set[tuple[str, str]]:
    """Pairs of consecutive content words (folded, function words left out): a phrase's fingerprint."""
    folded = (fold_for_matching(raw) for raw in _WORD.findall(text))
    words = [w for w in folded if len(w) > 2 and w not in _FUNCTION_WORDS]
    return set(itertools.pairwise(words))


def rubric_copy(answer: str, material: _QuestionMaterial) -> float:
    """How much of the answer repeats the rubric's wording. Honest answers explain in their own
    words (at most 0.21 on the tuning set, 0.03 typically); an answer that restates the rubric's
    points without explaining them reuses its phrases (0.25 typically)."""
    pairs = content_pairs(answer)
    return len(pairs & material.rubric_pairs) / len(pairs) if pairs else 0.0


def certainty(text: str) -> float:
    """0-1: how densely `text` states absolutes ("always", "never", "guaranteed", "c'est simple")."""
    words = len(text.split())
    if not words:
        return 0.0
    stated = sum(1 for match in _ABSOLUTES.finditer(text) if not _hedged(text, match))
    return min(1.0, stated * 100 / words / CERTAINTY_FULL_PER_100_WORDS)


def _hedged(text: str, match: re.Match[str]) -> bool:
    """The absolute is negated: "not always", "do not guarantee", "pas toujours", "ne garantit pas"
    (but "n'est jamais" is French for "never", still an absolute)."""
    before = text[: match.start()].lower().replace("’", "'").split()[-3:]
    after = text[match.end() :].lower().split()[:1]
    if any(word.strip(".,;:!?()") in _NEGATIONS or word.endswith("n't") for word in before) or after == ["pas"]:
        return True
    is_never = match.group(0).lower() in ("jamais", "never")
    return not is_never and any(word in ("ne", "n'") or word.startswith("n'") for word in before)


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
    pairs = frozenset().union(*(content_pairs(text) for text in item_texts))
    material = _QuestionMaterial(anchors, item_vocabulary, frozenset(stems(all_text)), vectors.shape[1], pairs)
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


def keyword_hits(text: str, keywords: list[str]) -> list[str]:
    """The keywords present in `text` as whole words, plurals allowed (accent- and case-insensitive)."""
    folded = fold_for_matching(text)
    hits = []
    for keyword in keywords:
        key = fold_for_matching(keyword)
        if key and re.search(rf"(?<![a-z0-9]){re.escape(key)}(?:s|es|x)?(?![a-z0-9])", folded):
            hits.append(keyword)
    return hits


def is_keyword_stuffing(words: list[str], sentences: list[str], tuning: EmbeddedTuning = TUNING) -> bool:
    """Terms without explanation: few function words, or no sentence long enough to explain anything."""
    if len(words) < 6:
        return False
    function_share = sum(1 for w in words if w.lower() in _FUNCTION_WORDS) / len(words)
    explanatory = [
        s for s in sentences if len(s.split()) >= tuning.explanatory_words and s.count(",") < len(s.split()) / 3
    ]
    return function_share < tuning.stuffing_function_ratio or not explanatory


def answer_signals(
    question: Question, answer: str, lang: str, tuning: EmbeddedTuning = TUNING, claims: bool = False
) -> AnswerSignals:
    """Measure `answer` (already sanitized: injections and claims removed) against each rubric item;
    `claims`: lines claiming to cover points were set aside (the answer talked about itself)."""
    words = _WORD.findall(answer)
    sentences = split_sentences(answer)
    material = _material(question, lang)
    vectors = encode(sentences) if sentences else np.zeros((0, material.dimensions))
    answer_stems = stems(answer)
    question_share = len(answer_stems & material.vocabulary) / max(1, len(material.vocabulary))
    focus = len(answer_stems & material.vocabulary) / max(1, len(answer_stems))
    depth = math.log1p(len(answer_stems)) / 5
    explanatory = " ".join(s for s in sentences if len(s.split()) >= tuning.explanatory_words)
    behavioral = 1.0 if question.kind == Kind.behavioral else 0.0
    absolutes = certainty(answer)
    rows, quotes = [], []
    for item in question.rubric:
        item_sim = reference_sim = 0.0
        quote = ""
        if sentences:
            similarities = vectors @ material.anchors[item.id].T
            item_sim, reference_sim = (float(v) for v in similarities.max(axis=0))
            quote = sentences[int(np.argmax(similarities.max(axis=1)))]
        vocabulary = material.item_vocabulary[item.id]
        keywords = _keywords_for(item, question)
        hits = keyword_hits(explanatory, keywords) if keywords else []
        keyword_share = min(1.0, len(hits) / min(3, len(keywords))) if keywords else 0.0
        item_share = len(answer_stems & vocabulary) / max(1, len(vocabulary))
        rows.append(
            [reference_sim, item_sim, item_share, keyword_share, question_share, depth, focus, behavioral, absolutes]
        )
        quotes.append(quote)
    return AnswerSignals(
        words=len(words),
        stuffing=bool(words) and is_keyword_stuffing(words, sentences, tuning),
        question_vocabulary=question_share,
        matrix=np.array(rows, dtype=float).reshape(len(question.rubric), len(SIGNALS)),
        best_sentences=quotes,
        rubric_copy=rubric_copy(answer, material),
        self_talk=claims or bool(_SELF_TALK.search(answer)),
    )


def item_evidence(matrix: np.ndarray, tuning: EmbeddedTuning = TUNING) -> np.ndarray:
    """Per item, 0-1: how much the answer shows of *this* item (its words, its keywords, a close sentence)."""
    low, high = tuning.evidence_similarity
    vocabulary = np.clip(matrix[:, SIGNALS.index("item_vocabulary")] / tuning.evidence_vocabulary, 0, 1)
    similarity = np.clip((matrix[:, SIGNALS.index("item_similarity")] - low) / (high - low), 0, 1)
    return np.maximum.reduce([vocabulary, matrix[:, SIGNALS.index("item_keywords")], similarity])


def item_credits(signals: AnswerSignals, injection: bool, tuning: EmbeddedTuning = TUNING) -> np.ndarray:
    """Each item's share of its weight (0-1): the fitted logistic, then the caps on lists and injection."""
    if signals.words < tuning.min_words:
        return np.zeros(len(signals.matrix))
    logits = signals.matrix @ np.array(tuning.weights) + tuning.bias
    credits = 1.0 / (1.0 + np.exp(-logits))
    floor = tuning.unevidenced_credit
    credits = credits * (floor + (1 - floor) * item_evidence(signals.matrix, tuning))
    if signals.stuffing:
        credits = np.minimum(credits, tuning.stuffing_credit)
    if restates_rubric(signals, tuning):
        credits = np.minimum(credits, tuning.echo_credit)
    if injection:
        # No benefit of the doubt for an answer that addressed its grader: clearly covered items earn half.
        credits = np.where(credits >= tuning.met_credit, tuning.injection_credit, 0.0)
    return credits


def restates_rubric(signals: AnswerSignals, tuning: EmbeddedTuning = TUNING) -> bool:
    """Reuses the rubric's phrases *and* talks about itself ("my answer covers", "je traite", "I address"):
    terse honest answers use the field's standard terms too, but state facts rather than their own plan.
    (Phrases alone, even at 0.30, also caught a terse honest answer: see tests/test_outside_answers.py.)"""
    return signals.rubric_copy >= tuning.rubric_copy_share and signals.self_talk


def _verdict(credit: float, tuning: EmbeddedTuning) -> Verdict:
    if credit >= tuning.met_credit:
        return Verdict.met
    return Verdict.partly_met if credit >= tuning.partly_credit else Verdict.not_met


def grade_embedded(question: Question, sanitized: SanitizedAnswer, lang: str, tuning: EmbeddedTuning = TUNING) -> Grade:
    """Grade `sanitized.text` (already cleaned, injection removed, cut to budget) without an LLM."""
    signals = answer_signals(question, sanitized.text, lang, tuning, claims=bool(sanitized.claims))
    credits = item_credits(signals, sanitized.injection, tuning)
    grade = Grade(question_id=question.id, score=0.0, grader="embedded", model=EMBEDDING_MODEL_NAME, lang=lang)  # type: ignore[arg-type]
    grade.error_margin = tuning.held_out_mae
    if sanitized.injection:
        grade.add_flag(Flag.prompt_injection)
    if sanitized.truncated:
        grade.add_flag(Flag.truncated)
    if sanitized.claims:
        grade.add_flag(Flag.unsupported_claims)
    if not sanitized.text.strip():
        if not sanitized.claims:  # an answer made only of claims was written: it just explains nothing
            grade.add_flag(Flag.empty_answer)
    elif signals.words < tuning.min_words:
        grade.add_flag(Flag.too_short)
    if signals.stuffing:
        grade.add_flag(Flag.keyword_stuffing)
    if restates_rubric(signals, tuning):
        grade.add_flag(Flag.rubric_echo)
    for k, item in enumerate(question.rubric):
        credit = round(float(credits[k]), 3)
        verdict = _verdict(credit, tuning)
        quote = signals.best_sentences[k]
        grade.criteria.append(
            CriterionGrade(
                id=item.id,
                text=item.text.get(lang),
                weight=item.weight,
                evidence=[quote[:300]] if quote and verdict != Verdict.not_met else [],
                signals={name: round(float(v), 3) for name, v in zip(SIGNALS, signals.matrix[k], strict=True)},
                verdict=verdict,
                estimated_credit=credit,
            )
        )
    grade.rescore()
    if (
        signals.words >= tuning.off_topic_min_words
        and signals.question_vocabulary < tuning.off_topic_vocabulary
        and grade.score <= 1
        and not signals.stuffing
    ):
        grade.add_flag(Flag.off_topic)
    grade.missing_points = [c.text for c in grade.criteria if c.verdict == Verdict.not_met]
    grade.feedback = embedded_feedback(grade, lang)
    grade.stronger_answer = question.reference_answer.get(lang)
    grade.signals = {"question_vocabulary": round(signals.question_vocabulary, 3), "words": signals.words}
    return grade
