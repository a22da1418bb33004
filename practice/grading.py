"""Submitting an answer: save it, grade it (streaming), store the grade, update the review card.

The order matters: the attempt is saved before any model is called, and completed only once a
grade exists, so a crash or a closed tab at any point leaves the answer saved and re-gradable.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from config import Settings
from evaluators.grade import Grade
from evaluators.service import GradeEvent, grade_stream
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
    grader: str = "auto",
    excerpts: Sequence[str] = (),
    chat_model: object | None = None,
    result: SubmitResult | None = None,
) -> Iterator[GradeEvent]:
    """Save, then grade; yields the grading events. `result` receives the attempt id and grade."""
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
    yield from grade_saved_attempt(
        attempt_id,
        submission.question,
        submission.answer,
        profile=submission.profile,
        store=store,
        scheduler=scheduler,
        settings=settings,
        grader=grader,
        excerpts=excerpts,
        chat_model=chat_model,
        result=result,
    )


def grade_saved_attempt(
    attempt_id: int,
    question: Question,
    answer: str,
    *,
    profile: str,
    store: AttemptStore,
    scheduler: ReviewScheduler,
    settings: Settings,
    grader: str = "auto",
    excerpts: Sequence[str] = (),
    chat_model: object | None = None,
    result: SubmitResult | None = None,
) -> Iterator[GradeEvent]:
    """Grade an attempt that is already saved (a new one, or one left unfinished by a crash)."""
    try:
        for event in grade_stream(
            question, answer, settings=settings, grader=grader, excerpts=list(excerpts), chat_model=chat_model
        ):
            if event.kind == "grade" and event.grade is not None:
                store.complete(attempt_id, event.grade)
                scheduler.record(profile, question.id, event.grade.score)
                if result is not None:
                    result.grade = event.grade
            yield event
    except Exception as exc:  # the answer is saved; say what failed and keep the app usable
        log.exception("grading attempt %s failed", attempt_id)
        store.fail(attempt_id, f"{type(exc).__name__}: {exc}")
        if result is not None:
            result.error = f"{type(exc).__name__}: {exc}"
        yield GradeEvent(kind="error", text=str(exc))
