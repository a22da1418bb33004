"""Submitting an answer: save it, grade it (streaming), store the grade, update the review card.

The order matters: the attempt is saved before any model is called, and completed only once a
grade exists, so a crash or a closed tab at any point leaves the answer saved and re-gradable.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from config import Settings
from evaluators.cache import GradeCache
from evaluators.grade import Grade
from evaluators.service import GradeEvent, GraderChoice, grade_stream, improve_stream
from question_bank import Question
from storage.attempts import AttemptStore
from storage.scheduling import ReviewScheduler

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    profile: str
    question: Question
    answer: str
    lang: str
    mode: str = "quiz"
    session_id: str | None = None
    retry_of: int | None = None
    answer_seconds: float | None = None


@dataclass(frozen=True)
class GradingOptions:
    """How to grade an answer: `evaluators.service.grade_stream`'s choices, typed, passed as one value."""

    grader: GraderChoice = "auto"  # "auto": the LLM when it answers, else the embedded grader
    excerpts: tuple[str, ...] = ()  # course passages for the judge
    chat_model: Any = None  # a model to use as is (tests, benches); None: the one the settings name
    cache: GradeCache | None = None
    timeout_s: float | None = None
    expected_lang: str | None = None  # the language the question was asked in (a submission's, by default)
    fresh: bool = False  # skip the cached grade: the new one replaces it
    use_examples: bool = True

    def stream_arguments(self) -> dict[str, Any]:
        return {
            "grader": self.grader, "excerpts": list(self.excerpts), "chat_model": self.chat_model,
            "cache": self.cache, "timeout_s": self.timeout_s, "expected_lang": self.expected_lang,
            "fresh": self.fresh, "use_examples": self.use_examples,
        }  # fmt: skip


@dataclass
class SubmitResult:
    attempt_id: int
    grade: Grade | None = None
    error: str | None = None


def submit_answer(
    submission: Submission,
    *,
    store: AttemptStore,
    scheduler: ReviewScheduler,
    settings: Settings,
    options: GradingOptions = GradingOptions(),
    result: SubmitResult | None = None,
) -> Iterator[GradeEvent]:
    """Save, then grade; yields the grading events. `result` receives the attempt id and grade.

    The question's language is the expected answer language unless `options` names one.
    """
    attempt_id = store.start(
        profile=submission.profile,
        question_id=submission.question.id,
        lang=submission.lang,
        answer=submission.answer,
        mode=submission.mode,
        session_id=submission.session_id,
        retry_of=submission.retry_of,
        answer_seconds=submission.answer_seconds,
    )
    if result is not None:
        result.attempt_id = attempt_id
    if options.expected_lang is None:
        options = replace(options, expected_lang=submission.lang)
    yield from grade_saved_attempt(
        attempt_id, submission.question, submission.answer, profile=submission.profile, store=store,
        scheduler=scheduler, settings=settings, options=options, result=result,
    )  # fmt: skip


def grade_saved_attempt(
    attempt_id: int,
    question: Question,
    answer: str,
    *,
    profile: str,
    store: AttemptStore,
    scheduler: ReviewScheduler,
    settings: Settings,
    options: GradingOptions = GradingOptions(),
    result: SubmitResult | None = None,
) -> Iterator[GradeEvent]:
    """Grade an attempt that is already saved (a new one, one left unfinished by a crash, or a fresh grade).

    Grading the same attempt again replaces its review of the question's card rather than adding one.
    """
    try:
        for event in grade_stream(question, answer, settings=settings, **options.stream_arguments()):
            if event.kind == "grade" and event.grade is not None:
                store.complete(attempt_id, event.grade)
                scheduler.record(profile, question.id, event.grade.score, attempt_id=attempt_id)
                if result is not None:
                    result.grade = event.grade
            yield event
    except Exception as exc:  # the answer is saved; say what failed and keep the app usable
        log.exception("grading attempt %s failed", attempt_id)
        store.fail(attempt_id, f"{type(exc).__name__}: {exc}")
        if result is not None:
            result.error = f"{type(exc).__name__}: {exc}"
        yield GradeEvent(kind="error", text=str(exc))


def dispute_grade(
    attempt_id: int, items: Sequence[str], note: str, *, store: AttemptStore, scheduler: ReviewScheduler
) -> bool:
    """Record the candidate's dispute and hold the question's scheduling until a coach reviews it.

    Returns whether the card was held (False when a later attempt already rescheduled it).
    Raises ValueError for an empty dispute or an ungraded attempt, KeyError for an unknown one.
    """
    attempt = store.dispute(attempt_id, list(items), note)
    return scheduler.hold(attempt.profile, attempt.question_id, attempt_id)


def improve_attempt(
    attempt_id: int, question: Question, answer: str, grade: Grade, *, store: AttemptStore, settings: Settings,
    options: GradingOptions = GradingOptions(),
) -> Iterator[GradeEvent]:  # fmt: skip
    """ "How do I improve?": the judge's advice for a graded attempt, stored with its grade (the score stays).

    Of `options`, the excerpts, model, cache, time-out and examples apply (the advice has no grader to choose).
    """
    try:
        for event in improve_stream(
            question, answer, grade, settings=settings, excerpts=list(options.excerpts), chat_model=options.chat_model,
            cache=options.cache, timeout_s=options.timeout_s, use_examples=options.use_examples,
        ):  # fmt: skip
            if event.kind == "grade" and event.grade is not None:
                store.attach_advice(attempt_id, event.grade)
            yield event
    except Exception as exc:  # the grade stands; say what failed and keep the page usable
        log.exception("advice for attempt %s failed", attempt_id)
        yield GradeEvent(kind="error", text=f"{type(exc).__name__}: {exc}")
