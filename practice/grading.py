"""Submitting an answer: save it, grade it (streaming), store the grade, update the review card.

The order matters: the attempt is saved before any model is called, and completed only once a
grade exists, so a crash or a closed tab at any point leaves the answer saved and re-gradable.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from config import Settings
from core.types import Grade
from evaluators.cache import GradeCache
from evaluators.request import GraderChoice, GradeRequest
from evaluators.service import GradeEvent, grade, improve_stream
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
    """How to grade an answer: the choices of an `evaluators.request.GradeRequest`, and what to grade with."""

    grader: GraderChoice = "auto"  # "auto": the LLM when it answers, else the embedded grader
    excerpts: tuple[str, ...] = ()  # course passages for the judge
    chat_model: Any = None  # a model to use as is (tests, benches); None: the one the settings name
    cache: GradeCache | None = None
    timeout_s: float | None = None
    expected_lang: str | None = None  # the language the question was asked in (a submission's, by default)
    fresh: bool = False  # skip the cached grade: the new one replaces it
    use_examples: bool = True

    def request(self, question: Question, answer: str) -> GradeRequest:
        return GradeRequest(
            question, answer, grader=self.grader, excerpts=self.excerpts, timeout_s=self.timeout_s,
            expected_lang=self.expected_lang, fresh=self.fresh, use_examples=self.use_examples,
        )  # fmt: skip


@dataclass
class GradingRun:
    """One saved attempt being graded: iterate it for the events a candidate sees while waiting.

    The attempt is saved before the run exists, so `attempt_id` is known at once; `grade` (or
    `error`, when something other than the model failed) is set once the events are consumed.
    """

    attempt_id: int
    grade: Grade | None = None
    error: str | None = None
    events: Iterator[GradeEvent] = field(default_factory=lambda: iter(()), repr=False)

    def __iter__(self) -> Iterator[GradeEvent]:
        for event in self.events:
            if event.kind == "grade" and event.grade is not None:
                self.grade = event.grade
            elif event.kind == "error":
                self.error = event.text
            yield event

    def finish(self) -> Grade | None:
        """Consume the events without showing them (a background worker); the grade, or None on an error."""
        for _event in self:
            pass
        return self.grade


def submit_answer(
    submission: Submission,
    *,
    store: AttemptStore,
    scheduler: ReviewScheduler,
    settings: Settings,
    options: GradingOptions = GradingOptions(),
) -> GradingRun:
    """Save the answer now, then grade it as the returned run is iterated.

    The question's language is the expected answer language unless `options` names one.
    """
    attempt_id = save_attempt(submission, store)
    return grade_saved_attempt(
        attempt_id, submission.question, submission.answer, profile=submission.profile, store=store,
        scheduler=scheduler, settings=settings, options=expecting(options, submission.lang),
    )  # fmt: skip


def save_attempt(submission: Submission, store: AttemptStore) -> int:
    """Save the answer before any grading: it survives whatever happens next."""
    return store.start(
        profile=submission.profile,
        question_id=submission.question.id,
        lang=submission.lang,
        answer=submission.answer,
        mode=submission.mode,
        session_id=submission.session_id,
        retry_of=submission.retry_of,
        answer_seconds=submission.answer_seconds,
    )


def expecting(options: GradingOptions, lang: str) -> GradingOptions:
    """`options` expecting an answer in `lang` (the question's), unless they already name a language."""
    return options if options.expected_lang is not None else replace(options, expected_lang=lang)


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
) -> GradingRun:
    """Grade an attempt that is already saved (a new one, one left unfinished by a crash, or a fresh grade).

    Grading the same attempt again replaces its review of the question's card rather than adding one.
    """

    def events() -> Iterator[GradeEvent]:
        request = options.request(question, answer)
        try:
            for event in grade(request, settings=settings, chat_model=options.chat_model, cache=options.cache):
                if event.kind == "grade" and event.grade is not None:
                    store.complete(attempt_id, event.grade)
                    scheduler.record(profile, question.id, event.grade.score, attempt_id=attempt_id)
                yield event
        except Exception as exc:  # the answer is saved; say what failed and keep the app usable
            log.exception("grading attempt %s failed", attempt_id)
            store.fail(attempt_id, f"{type(exc).__name__}: {exc}")
            yield GradeEvent(kind="error", text=f"{type(exc).__name__}: {exc}")

    return GradingRun(attempt_id, events=events())


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
