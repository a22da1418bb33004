"""Grading interview answers off the page's thread, through the same path as the quiz.

Every answer goes the quiz's way, `practice.grading.save_attempt` then `grade_saved_attempt`: it
is saved as an attempt (mode "interview") before any model runs, graded by the judge or the
embedded grader, and recorded for spaced repetition, exactly like a quiz answer. The work runs in a
small thread pool so that the interviewer's next message never waits for the judge; the report waits
for the grades instead.

The follow-up choice cannot wait for a slow judge either: it uses a *triage* grade from the
embedded grader (well under a second once its model is loaded, deterministic, no LLM). When the
saved grade will come from the embedded grader anyway (no LLM configured or reachable), that grade
doubles as the triage instead of grading the same text twice on a busy CPU.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from config import Settings
from core.types import Grade
from evaluators.service import grade_answer
from practice.grading import GradingOptions, GradingRun, Submission, grade_saved_attempt, save_attempt
from question_bank import Question
from storage.attempts import AttemptStore
from storage.scheduling import ReviewScheduler

log = logging.getLogger(__name__)
GRADING_WORKERS = 4
TRIAGE_WAIT_S = 5.0
"""How long to wait for an embedded grade queued in the pool before grading again on the spot."""
RUNNING_TRIAGE_WAIT_S = 60.0
"""How long to wait for one the pool has started: finishing it is quicker than starting over (the
first grade of a process loads the embedding model, which takes longer than TRIAGE_WAIT_S; grading
again would wait for the same model, and the page would then show the answer's grade as pending)."""
ExcerptFinder = Callable[[Question, str], Sequence[str]]

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def shared_executor() -> ThreadPoolExecutor:
    """One small pool per process, shared by every session: judge calls mostly wait on the LLM server."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=GRADING_WORKERS, thread_name_prefix="interview-grading")
        return _executor


@dataclass
class PendingGrade:
    """A grade on its way: the attempt is saved (`attempt_id`); the future ends with its finished GradingRun."""

    attempt_id: int
    future: Future[GradingRun]

    @property
    def done(self) -> bool:
        return self.future.done()

    @property
    def grade(self) -> Grade | None:
        if not self.done or self.future.exception() is not None:
            return None
        return self.future.result().grade

    @property
    def error(self) -> str | None:
        if not self.done:
            return None
        exception = self.future.exception()
        return f"{type(exception).__name__}: {exception}" if exception else self.future.result().error

    def wait(self, timeout: float | None = None) -> Grade | None:
        try:
            self.future.result(timeout=timeout)
        except Exception:  # reported through `error`; waiting must not raise
            log.debug("grading ended with an error", exc_info=True)
        return self.grade


class GradingRunner:
    """Submits answers for grading in the background with the page's store, scheduler and grader."""

    def __init__(
        self,
        *,
        store: AttemptStore,
        scheduler: ReviewScheduler,
        settings: Settings,
        grader: str = "auto",
        chat_model: Any | None = None,
        excerpts_for: ExcerptFinder | None = None,
        executor: ThreadPoolExecutor | None = None,
        llm_expected: bool = True,
    ):
        self.store = store
        self.scheduler = scheduler
        self.settings = settings
        self.grader = grader
        self.chat_model = chat_model
        self.excerpts_for = excerpts_for
        self.executor = executor or shared_executor()
        self.llm_expected = llm_expected

    @property
    def saves_embedded_grades(self) -> bool:
        """True when no LLM will grade: the saved grade is the embedded grader's."""
        if self.grader == "embedded":
            return True
        return self.grader == "auto" and not self.llm_expected and self.chat_model is None

    def warm_up(self) -> Future:
        """Load the embedding model in the pool while the candidate reads the first question."""
        from knowledge.embeddings import get_embeddings

        return self.executor.submit(get_embeddings)

    def submit(self, submission: Submission, *, grader: str | None = None) -> PendingGrade:
        """Save the answer now; grade it in the pool."""
        attempt_id = save_attempt(submission, self.store)
        future = self.executor.submit(self._grade, attempt_id, submission, grader or self.grader)
        return PendingGrade(attempt_id, future)

    def _grade(self, attempt_id: int, submission: Submission, grader: str) -> GradingRun:
        excerpts: Sequence[str] = ()
        if self.excerpts_for is not None and grader != "embedded":
            try:
                excerpts = self.excerpts_for(submission.question, submission.lang)
            except Exception:  # excerpts help the judge; their absence must not stop grading
                log.warning("no excerpts for %s", submission.question.id, exc_info=True)
        options = GradingOptions(
            grader=grader, excerpts=tuple(excerpts), chat_model=self.chat_model, expected_lang=submission.lang  # type: ignore[arg-type]
        )
        run = grade_saved_attempt(
            attempt_id, submission.question, submission.answer, profile=submission.profile, store=self.store,
            scheduler=self.scheduler, settings=self.settings, options=options,
        )  # fmt: skip
        run.finish()
        return run

    def triage(self, question: Question, answer: str, pending: PendingGrade | None = None) -> Grade:
        """The embedded grader's quick verdict, used to choose follow-ups; the saved grade when it is one."""
        if pending is not None and self.saves_embedded_grades:
            grade = pending.wait(TRIAGE_WAIT_S)
            if grade is None and pending.future.running():
                grade = pending.wait(RUNNING_TRIAGE_WAIT_S)
            if grade is not None:
                return grade
        return grade_answer(question, answer, settings=self.settings, grader="embedded")
