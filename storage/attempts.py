"""Saving and reading attempts. All SQL of the app lives in this package, never in pages.

An attempt's answer, machine grade, dispute and coach's review are separate rows
(`storage.attempt_tables`); every read returns one frozen `AttemptRecord` that joins them.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.exc import OperationalError

from core.types import Confidence, Grade
from knowledge.language import valid_unicode
from storage.attempt_tables import Attempt, CoachReview, Dispute, MachineGrade
from storage.db import session_factory, utc_now
from storage.records import (
    EXPORT_FIELDS,
    AttemptRecord,
    attempt_as_dict,
    disputed_items,
    export_csv,
    export_json,
    grade_of,
    machine_grade_of,
    record_of,
)

__all__ = [
    "EXPORT_FIELDS", "MAX_DISPUTE_NOTE", "AttemptFilter", "AttemptRecord", "AttemptStore", "attempt_as_dict",
    "disputed_items", "export_csv", "export_json", "grade_of", "machine_grade_of",
]  # fmt: skip

T = TypeVar("T")
MAX_DISPUTE_NOTE = 2_000


@dataclass(frozen=True)
class AttemptFilter:
    question_ids: tuple[str, ...] = ()
    status: str | None = None
    mode: str | None = None
    since: datetime | None = None


def _records() -> Select:
    """Every attempt with its grade, dispute and coach's review (each may be missing)."""
    return (
        select(Attempt, MachineGrade, Dispute, CoachReview)
        .outerjoin(MachineGrade, MachineGrade.attempt_id == Attempt.id)
        .outerjoin(Dispute, Dispute.attempt_id == Attempt.id)
        .outerjoin(CoachReview, CoachReview.attempt_id == Attempt.id)
    )


class AttemptStore:
    """Attempts of every profile in one database; each call is its own short transaction."""

    def __init__(self, database_url: str):
        self._sessions = session_factory(database_url)

    def _retry(self, work: Callable[[], T], attempts: int = 5) -> T:
        """SQLite may still say 'locked' past busy_timeout under heavy load: wait and try again."""
        for i in range(attempts):
            try:
                return work()
            except OperationalError as exc:
                if "locked" not in str(exc).lower() or i == attempts - 1:
                    raise
                time.sleep(0.05 * (2**i))
        raise AssertionError("unreachable")

    def start(
        self,
        *,
        profile: str,
        question_id: str,
        lang: str,
        answer: str,
        mode: str = "quiz",
        session_id: str | None = None,
        retry_of: int | None = None,
        answer_seconds: float | None = None,
    ) -> int:
        """Save the answer before grading: it survives whatever happens next."""
        answer = valid_unicode(answer)

        def work() -> int:
            with self._sessions.begin() as session:
                attempt = Attempt(
                    profile=profile, question_id=question_id, lang=lang, answer=answer, mode=mode,
                    session_id=session_id, retry_of=retry_of, answer_seconds=answer_seconds, status="pending",
                )  # fmt: skip
                session.add(attempt)
                session.flush()
                return attempt.id

        return self._retry(work)

    def _change(self, attempt_id: int, change: Callable[[Attempt], None]) -> AttemptRecord:
        """Apply `change` to one attempt and its rows in its own transaction, retried while SQLite is locked.

        Raises KeyError for an attempt that does not exist; whatever `change` raises undoes it.
        """

        def work() -> AttemptRecord:
            with self._sessions.begin() as session:
                attempt = session.get(Attempt, attempt_id)
                if attempt is None:
                    raise KeyError(f"attempt {attempt_id} does not exist")
                change(attempt)
                session.flush()
                return record_of(attempt, attempt.grade, attempt.dispute, attempt.coach_review)

        return self._retry(work)

    def complete(self, attempt_id: int, grade: Grade) -> None:
        def record_grade(attempt: Attempt) -> None:
            attempt.status = "graded"
            attempt.error = None
            row = attempt.grade or MachineGrade()
            row.score, row.grader, row.model = grade.score, grade.grader, grade.model
            row.grade_json = grade.model_dump_json()
            row.grading_ms = grade.latency_ms
            row.confidence = grade.confidence.value
            row.prompt_version, row.rubric_version = grade.prompt_version, grade.rubric_version
            row.graded_at = utc_now()
            attempt.grade = row
            # A fresh grade replaces the coach's review of the old one; a doubtful or disputed one waits for a coach.
            if grade.confidence == Confidence.low or attempt.dispute is not None:
                review = attempt.coach_review or CoachReview()
                review.status = "pending"
                review.score = review.grade_json = review.reviewed_by = review.reviewed_at = None
                attempt.coach_review = review
            else:
                attempt.coach_review = None

        self._change(attempt_id, record_grade)

    def attach_advice(self, attempt_id: int, grade: Grade) -> None:
        """Store a grade completed with the judge's advice ("How do I improve?"): same score, same review state."""

        def record_advice(attempt: Attempt) -> None:
            machine = attempt.grade
            if machine is None or machine.score is None or abs(machine.score - grade.score) > 1e-9:
                raise ValueError(f"attempt {attempt_id}: advice must not change the grade")
            machine.grade_json = grade.model_dump_json()

        self._change(attempt_id, record_advice)

    def fail(self, attempt_id: int, error: str) -> None:
        """Grading failed: keep the answer, record why, leave it re-gradable (an unknown attempt is ignored)."""

        def record_failure(attempt: Attempt) -> None:
            attempt.status = "failed"
            attempt.error = error[:2000]

        with contextlib.suppress(KeyError):
            self._change(attempt_id, record_failure)

    def dispute(self, attempt_id: int, items: list[str], note: str) -> AttemptRecord:
        """The candidate says a grade is wrong: which rubric items, and why. The grade itself is kept."""
        items = [i for i in dict.fromkeys(items) if i]
        note = valid_unicode(note).strip()[:MAX_DISPUTE_NOTE]
        if not items and not note:
            raise ValueError("a dispute needs at least one rubric item or a reason")

        def record_dispute(attempt: Attempt) -> None:
            if attempt.status != "graded":
                raise ValueError(f"attempt {attempt_id} has no grade to dispute yet")
            dispute = attempt.dispute or Dispute()
            dispute.items_json, dispute.note, dispute.created_at = json.dumps(items), note or None, utc_now()
            attempt.dispute = dispute
            # Back in the queue; a coach's earlier grade, if any, still counts until the next review.
            review = attempt.coach_review or CoachReview()
            review.status = "pending"
            attempt.coach_review = review

        return self._change(attempt_id, record_dispute)

    def review_queue(self, limit: int = 200) -> list[AttemptRecord]:
        """Disputed and low-confidence grades of every profile awaiting a coach: disputes first, oldest first."""
        query = (
            _records()
            .where(CoachReview.status == "pending", Attempt.status == "graded")
            .order_by(Dispute.attempt_id.is_(None), Attempt.created_at, Attempt.id)
            .limit(limit)
        )
        return self._read(query)

    def resolve_review(self, attempt_id: int, coach_grade: Grade, coach: str) -> AttemptRecord:
        """The coach's grade becomes the attempt's score (progress, scheduling); the machine's is kept."""

        def record_review(attempt: Attempt) -> None:
            review = attempt.coach_review or CoachReview()
            review.status = "reviewed"
            review.score = coach_grade.score
            review.grade_json = coach_grade.model_dump_json()
            review.reviewed_by = coach[:80]
            review.reviewed_at = utc_now()
            attempt.coach_review = review

        return self._change(attempt_id, record_review)

    def _read(self, query: Select) -> list[AttemptRecord]:
        with self._sessions() as session:
            return [record_of(*row) for row in session.execute(query)]

    def get(self, attempt_id: int) -> AttemptRecord | None:
        found = self._read(_records().where(Attempt.id == attempt_id))
        return found[0] if found else None

    def list(self, profile: str, flt: AttemptFilter | None = None, limit: int = 5000) -> list[AttemptRecord]:
        flt = flt or AttemptFilter()
        query = _records().where(Attempt.profile == profile)
        if flt.question_ids:
            query = query.where(Attempt.question_id.in_(flt.question_ids))
        if flt.status:
            query = query.where(Attempt.status == flt.status)
        if flt.mode:
            query = query.where(Attempt.mode == flt.mode)
        if flt.since:
            query = query.where(Attempt.created_at >= flt.since)
        return self._read(query.order_by(Attempt.created_at.desc(), Attempt.id.desc()).limit(limit))

    def unfinished(self, profile: str) -> list[AttemptRecord]:
        """Attempts saved but never graded (a crash, a closed tab, a model that failed)."""
        query = (
            _records()
            .where(Attempt.profile == profile, Attempt.status.in_(("pending", "failed")))
            .order_by(Attempt.created_at)
        )
        return self._read(query)

    def profiles(self) -> list[str]:
        with self._sessions() as session:
            return list(session.scalars(select(Attempt.profile).distinct().order_by(Attempt.profile)))

    def count(self, profile: str | None = None) -> int:
        query = select(func.count(Attempt.id))
        if profile is not None:
            query = query.where(Attempt.profile == profile)
        with self._sessions() as session:
            return int(session.scalar(query) or 0)
