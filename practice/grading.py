"""Submitting an answer: save it, grade it (streaming), store the grade, update the review card.

The order matters: the attempt is saved before any model is called, and completed only once a
grade exists, so a crash or a closed tab at any point leaves the answer saved and re-gradable.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from config import Settings
from evaluators.grade import Grade
from evaluators.service import GradeEvent, grade_stream, improve_stream
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
    result: SubmitResult | None = None,
    **grading: Any,
) -> Iterator[GradeEvent]:
    """Save, then grade; yields the grading events. `result` receives the attempt id and grade.

    `grading` holds keyword arguments of `evaluators.service.grade_stream` (grader, excerpts,
    chat_model, fresh...); the question's language is passed on as the expected answer language.
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
    grading.setdefault("expected_lang", submission.lang)
    yield from grade_saved_attempt(
        attempt_id, submission.question, submission.answer, profile=submission.profile, store=store,
        scheduler=scheduler, settings=settings, result=result, **grading,
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
    result: SubmitResult | None = None,
    **grading: Any,
) -> Iterator[GradeEvent]:
    """Grade an attempt that is already saved (a new one, one left unfinished by a crash, or a fresh grade).

    `grading` holds keyword arguments of `evaluators.service.grade_stream`. Grading the same attempt
    again replaces its review of the question's card rather than adding one.
    """
    if "excerpts" in grading:
        grading["excerpts"] = list(grading["excerpts"])
    try:
        for event in grade_stream(question, answer, settings=settings, **grading):
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
    **calling: Any,
) -> Iterator[GradeEvent]:  # fmt: skip
    """ "How do I improve?": the judge's advice for a graded attempt, stored with its grade (the score stays).

    `calling` holds keyword arguments of `evaluators.service.improve_stream` (excerpts, chat_model...).
    """
    try:
        for event in improve_stream(question, answer, grade, settings=settings, **calling):
            if event.kind == "grade" and event.grade is not None:
                store.attach_advice(attempt_id, event.grade)
            yield event
    except Exception as exc:  # the grade stands; say what failed and keep the page usable
        log.exception("advice for attempt %s failed", attempt_id)
        yield GradeEvent(kind="error", text=f"{type(exc).__name__}: {exc}")
