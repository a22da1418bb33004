"""How far a grade can be trusted: high, medium or low, from signals the project computes itself.

No model is asked how sure it is (a model talked into a score is just as sure of it). The signals:
the LLM judge and the embedded grader disagree by more than a margin; quoted evidence failed the
check; the judge's reply had to be repaired, or the LLM was unreachable and the embedded grader
answered; the answer is in another language than the question was asked in; the answer is very
short or very long; it tried to instruct the grader. A low-confidence grade is shown as such and
queued for a coach's review.

The embedded grader measures coverage, not truth: a fluent, confident, wrong answer fools it. Its
grades are therefore never "high" (reason "estimate"), apart from the empty or near-empty answer
it scores 0, and they carry the error measured on the held-out set ("about 6/10, ±1.0").
"""

from __future__ import annotations

from dataclasses import dataclass

from core.types import Confidence, Flag, Grade

DISAGREEMENT_MARGIN = 3.0
"""Points out of 10 between the judge and the embedded grader beyond which a grade is doubtful
(the embedded grader's mean absolute error on held-out human grades is ~1.4: twice that is a real
disagreement, not noise)."""
SHORT_ANSWER_WORDS = 15
LONG_ANSWER_WORDS = 900

STRONG = {"disagreement", "prompt_injection", "evidence_mostly_rejected"}
"""Signals that alone make a grade low-confidence; any two weak ones do too."""


@dataclass(frozen=True)
class Assessment:
    level: Confidence
    reasons: list[str]


def assess(grade: Grade, *, second_opinion: float | None, answer_words: int, expected_lang: str | None) -> Assessment:
    """The confidence of `grade` and the codes of the reasons that lowered it (empty when high)."""
    reasons: list[str] = []
    if second_opinion is not None and grade.grader == "llm" and abs(grade.score - second_opinion) > DISAGREEMENT_MARGIN:
        reasons.append("disagreement")
    if Flag.prompt_injection in grade.flags:
        reasons.append("prompt_injection")
    credited = [c for c in grade.criteria if c.evidence]
    rejected = [c for c in credited if not c.evidence_ok]
    if rejected:
        reasons.append("evidence_mostly_rejected" if len(rejected) * 2 >= len(credited) else "evidence_rejected")
    if Flag.llm_repaired in grade.flags:
        reasons.append("repaired")
    if grade.fallback_reason or {Flag.llm_unavailable, Flag.llm_timeout, Flag.llm_invalid_output} & set(grade.flags):
        reasons.append("fallback")
    if expected_lang and grade.lang != expected_lang:
        reasons.append("language")
    if 0 < answer_words < SHORT_ANSWER_WORDS:
        reasons.append("short")
    if answer_words > LONG_ANSWER_WORDS or Flag.truncated in grade.flags:
        reasons.append("long")
    strong = [r for r in reasons if r in STRONG]
    if strong or len(reasons) >= 2:
        level = Confidence.low
    elif reasons:
        level = Confidence.medium
    else:
        level = Confidence.high
    if grade.grader == "embedded" and not ({Flag.empty_answer, Flag.too_short} & set(grade.flags)):
        # "estimate" keeps the grade from "high" but does not count towards "low": every offline grade
        # has it, and a coach's queue flooded with every offline grade would be read by nobody.
        reasons.append("estimate")
        level = Confidence.low if level == Confidence.low else Confidence.medium
    return Assessment(level, reasons)


def apply(grade: Grade, assessment: Assessment) -> Grade:
    grade.confidence = assessment.level
    grade.confidence_reasons = list(assessment.reasons)
    return grade
