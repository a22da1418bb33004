"""The grading stages, each a plain function, in the order `evaluators.service.grade` runs them:

    sanitize → embedded grader, or LLM judge → verify evidence → ceilings → confidence → stamp (→ cache)

Each stage takes what the previous one produced, so a reader (or a test) can run or replace one
stage alone. The judge's streamed call itself lives in `evaluators.judge_call`; choosing between
the routes and the cache lives in `evaluators.service`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from core.types import Flag, Grade
from evaluators import confidence, feedback
from evaluators.ceilings import apply_ceilings
from evaluators.embedded import grade_embedded
from evaluators.guards import SanitizedAnswer, clean_text, sanitize_answer
from evaluators.judge_call import JudgeReply
from evaluators.judge_reply import judge_texts, reasoning_view, to_grade
from evaluators.provenance import grader_version, prompt_version, rubric_version
from evaluators.request import GradeRequest
from knowledge.language import detect_language

MIN_JUDGED_WORDS = 5
"""Below this many words the embedded grader answers: an LLM could only add the risk of praising a word."""


@dataclass(frozen=True)
class PreparedAnswer:
    """The request after `sanitize`: the text every grader sees, its language, and when grading started."""

    request: GradeRequest
    sanitized: SanitizedAnswer
    lang: str
    words: int
    started: float

    def elapsed_ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 1)


def sanitize(request: GradeRequest, default_lang: str) -> PreparedAnswer:
    """Clean the text, remove injected spans, set claim lines aside, cut to the budget; detect the language."""
    started = time.perf_counter()
    sanitized = sanitize_answer(request.answer)
    # a few words without telling function words ("RAG") are read in the language the question was asked in
    lang = detect_language(sanitized.text or clean_text(request.answer), default=request.expected_lang or default_lang)
    return PreparedAnswer(request, sanitized, lang, len(sanitized.text.split()), started)


def needs_no_model(prepared: PreparedAnswer) -> bool:
    """The embedded grader answers: it was chosen, or the answer is empty or a few words."""
    return prepared.request.grader == "embedded" or prepared.sanitized.empty or prepared.words < MIN_JUDGED_WORDS


def embedded_grade(prepared: PreparedAnswer) -> Grade:
    """The embedded grader's grade of the sanitized text, with its confidence and stamps."""
    grade = grade_embedded(prepared.request.question, prepared.sanitized, prepared.lang)
    return stamp(grade, prepared, second_opinion=None)


def fallback_grade(prepared: PreparedAnswer, flag: Flag, reason: str) -> Grade:
    """The embedded grader's grade when the judge could not grade, saying why (never cached: the LLM may be back)."""
    grade = grade_embedded(prepared.request.question, prepared.sanitized, prepared.lang)
    grade.add_flag(flag)
    grade.fallback_reason = reason
    return stamp(grade, prepared, second_opinion=None)


def verify_evidence(output: Any, prepared: PreparedAnswer, model_name: str, repaired: bool) -> Grade:
    """The judge's verdicts as a Grade: a verdict earns credit only with a quote from the answer, about the item."""
    grade = to_grade(output, prepared.request.question, prepared.sanitized.text, prepared.lang, model_name)
    if repaired:
        grade.add_flag(Flag.llm_repaired)
    return grade


def ceilings(grade: Grade, prepared: PreparedAnswer, second_opinion: Grade) -> Grade:
    """After an injection attempt or claim lines, no item above the embedded grader's reading of the honest text."""
    apply_ceilings(grade, prepared.sanitized, second_opinion, prepared.lang)
    if prepared.sanitized.truncated:
        grade.add_flag(Flag.truncated)
    if prepared.sanitized.claims:
        grade.add_flag(Flag.unsupported_claims)
    grade.second_opinion = second_opinion.score
    return grade


def stamp(grade: Grade, prepared: PreparedAnswer, second_opinion: float | None) -> Grade:
    """Confidence (from measured signals), what produced the grade (prompt, rubric, grader versions), latency."""
    if grade.grader == "llm":
        grade.prompt_version = prompt_version()
    grade.rubric_version = rubric_version(prepared.request.question)
    grade.grader_version = grader_version()
    assessment = confidence.assess(
        grade, second_opinion=second_opinion, answer_words=prepared.words, expected_lang=prepared.request.expected_lang
    )
    confidence.apply(grade, assessment)
    grade.latency_ms = prepared.elapsed_ms()
    return grade


def with_judge_texts(scored: Grade, reply: JudgeReply, prepared: PreparedAnswer) -> Grade:
    """The grade the score event showed, completed with what followed the verdicts in the reply (feedback,
    misconceptions) and the judge's raw text: the verdicts are not settled twice, so the score cannot move."""
    grade = scored.model_copy(deep=True)
    grade.misconceptions, judge_feedback = judge_texts(reply.output)
    grade.feedback = " ".join(part for part in (judge_feedback, feedback.flag_notes(grade, prepared.lang)) if part)
    grade.latency_ms = prepared.elapsed_ms()
    grade.reasoning = reasoning_view(reply.text, prepared.request.question) or ""
    grade.judge_reply = reply.text
    grade.prompt_tokens, grade.completion_tokens = (reply.usage[0] or None), (reply.usage[1] or None)
    return grade
