"""Saving and reading attempts. All SQL of the app lives in this package, never in pages."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from core.types import Confidence, Grade
from knowledge.language import valid_unicode
from storage.db import Attempt, session_factory, utc_now

T = TypeVar("T")
MAX_DISPUTE_NOTE = 2_000
EXPORT_FIELDS = [
    "id", "profile", "question_id", "lang", "mode", "status", "score", "grader", "model",
    "answer", "answer_seconds", "grading_ms", "confidence", "prompt_version", "rubric_version", "contested",
    "contest_note", "dispute_items", "review_status", "machine_score", "reviewed_by", "created_at", "graded_at",
    "reviewed_at",
]  # fmt: skip


@dataclass(frozen=True)
class AttemptFilter:
    question_ids: tuple[str, ...] = ()
    status: str | None = None
    mode: str | None = None
    since: datetime | None = None


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

    def _change(self, attempt_id: int, change: Callable[[Attempt], None]) -> Attempt:
        """Apply `change` to one attempt in its own transaction, retried while SQLite is locked.

        Raises KeyError for an attempt that does not exist; whatever `change` raises undoes it.
        """

        def work() -> Attempt:
            with self._sessions.begin() as session:
                attempt = session.get(Attempt, attempt_id)
                if attempt is None:
                    raise KeyError(f"attempt {attempt_id} does not exist")
                change(attempt)
                return attempt

        return self._retry(work)

    def complete(self, attempt_id: int, grade: Grade) -> None:
        def record_grade(attempt: Attempt) -> None:
            attempt.status = "graded"
            attempt.score = attempt.machine_score = grade.score
            attempt.grader = grade.grader
            attempt.model = grade.model
            attempt.grade_json = grade.model_dump_json()
            attempt.grading_ms = grade.latency_ms
            attempt.graded_at = utc_now()
            attempt.error = None
            attempt.confidence = grade.confidence.value
            attempt.prompt_version, attempt.rubric_version = grade.prompt_version, grade.rubric_version
            # A fresh grade replaces an unreviewed one; a doubtful grade waits for a coach.
            attempt.coach_grade_json = attempt.reviewed_by = attempt.reviewed_at = None
            low = grade.confidence == Confidence.low
            attempt.review_status = "pending" if (low or attempt.contested) else None

        self._change(attempt_id, record_grade)

    def attach_advice(self, attempt_id: int, grade: Grade) -> None:
        """Store a grade completed with the judge's advice ("How do I improve?"): same score, same review state."""

        def record_advice(attempt: Attempt) -> None:
            if attempt.machine_score is None or abs(attempt.machine_score - grade.score) > 1e-9:
                raise ValueError(f"attempt {attempt_id}: advice must not change the grade")
            attempt.grade_json = grade.model_dump_json()

        self._change(attempt_id, record_advice)

    def fail(self, attempt_id: int, error: str) -> None:
        """Grading failed: keep the answer, record why, leave it re-gradable (an unknown attempt is ignored)."""

        def record_failure(attempt: Attempt) -> None:
            attempt.status = "failed"
            attempt.error = error[:2000]

        with contextlib.suppress(KeyError):
            self._change(attempt_id, record_failure)

    def dispute(self, attempt_id: int, items: list[str], note: str) -> Attempt:
        """The candidate says a grade is wrong: which rubric items, and why. The grade itself is kept."""
        items = [i for i in dict.fromkeys(items) if i]
        note = valid_unicode(note).strip()[:MAX_DISPUTE_NOTE]
        if not items and not note:
            raise ValueError("a dispute needs at least one rubric item or a reason")

        def record_dispute(attempt: Attempt) -> None:
            if attempt.status != "graded":
                raise ValueError(f"attempt {attempt_id} has no grade to dispute yet")
            attempt.contested = True
            attempt.contest_note = note or None
            attempt.dispute_items = json.dumps(items)
            attempt.review_status = "pending"

        return self._change(attempt_id, record_dispute)

    def review_queue(self, limit: int = 200) -> list[Attempt]:
        """Disputed and low-confidence grades of every profile awaiting a coach: disputes first, oldest first."""
        query = (
            select(Attempt)
            .where(Attempt.review_status == "pending", Attempt.status == "graded")
            .order_by(Attempt.contested.desc(), Attempt.created_at, Attempt.id)
            .limit(limit)
        )
        with self._sessions() as session:
            return list(session.scalars(query))

    def resolve_review(self, attempt_id: int, coach_grade: Grade, coach: str) -> Attempt:
        """The coach's grade becomes the attempt's score (progress, scheduling); the machine's is kept."""

        def record_review(attempt: Attempt) -> None:
            if attempt.machine_score is None:
                attempt.machine_score = attempt.score
            attempt.score = coach_grade.score
            attempt.coach_grade_json = coach_grade.model_dump_json()
            attempt.review_status = "reviewed"
            attempt.reviewed_by = coach[:80]
            attempt.reviewed_at = utc_now()

        return self._change(attempt_id, record_review)

    def get(self, attempt_id: int) -> Attempt | None:
        with self._sessions() as session:
            return session.get(Attempt, attempt_id)

    def list(self, profile: str, flt: AttemptFilter | None = None, limit: int = 5000) -> list[Attempt]:
        flt = flt or AttemptFilter()
        query = select(Attempt).where(Attempt.profile == profile)
        if flt.question_ids:
            query = query.where(Attempt.question_id.in_(flt.question_ids))
        if flt.status:
            query = query.where(Attempt.status == flt.status)
        if flt.mode:
            query = query.where(Attempt.mode == flt.mode)
        if flt.since:
            query = query.where(Attempt.created_at >= flt.since)
        query = query.order_by(Attempt.created_at.desc(), Attempt.id.desc()).limit(limit)
        with self._sessions() as session:
            return list(session.scalars(query))

    def unfinished(self, profile: str) -> list[Attempt]:
        """Attempts saved but never graded (a crash, a closed tab, a model that failed)."""
        query = (
            select(Attempt)
            .where(Attempt.profile == profile, Attempt.status.in_(("pending", "failed")))
            .order_by(Attempt.created_at)
        )
        with self._sessions() as session:
            return list(session.scalars(query))

    def profiles(self) -> list[str]:
        with self._sessions() as session:
            return list(session.scalars(select(Attempt.profile).distinct().order_by(Attempt.profile)))

    def count(self, profile: str | None = None) -> int:
        query = select(func.count(Attempt.id))
        if profile is not None:
            query = query.where(Attempt.profile == profile)
        with self._sessions() as session:
            return int(session.scalar(query) or 0)


def attempt_as_dict(attempt: Attempt) -> dict:
    row = {name: getattr(attempt, name) for name in EXPORT_FIELDS}
    row["contested"] = bool(row["contested"])
    for key in ("created_at", "graded_at", "reviewed_at"):
        row[key] = row[key].isoformat() if row[key] else None
    return row


def export_json(attempts: list[Attempt]) -> str:
    rows = []
    for attempt in attempts:
        row = attempt_as_dict(attempt)
        row["grade"] = json.loads(attempt.grade_json) if attempt.grade_json else None
        row["coach_grade"] = json.loads(attempt.coach_grade_json) if attempt.coach_grade_json else None
        rows.append(row)
    return json.dumps(rows, ensure_ascii=False, indent=2)


def _spreadsheet_safe(value: object) -> object:
    """A cell starting with = + - @ is a formula to a spreadsheet: quote it (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_csv(attempts: list[Attempt]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for attempt in attempts:
        writer.writerow({k: _spreadsheet_safe(v) for k, v in attempt_as_dict(attempt).items()})
    return buffer.getvalue()


def grade_of(attempt: Attempt) -> Grade | None:
    """The grade that counts: the coach's after a review, else the machine's."""
    if attempt.coach_grade_json:
        return Grade.model_validate_json(attempt.coach_grade_json)
    return machine_grade_of(attempt)


def machine_grade_of(attempt: Attempt) -> Grade | None:
    return Grade.model_validate_json(attempt.grade_json) if attempt.grade_json else None


def disputed_items(attempt: Attempt) -> list[str]:
    return list(json.loads(attempt.dispute_items)) if attempt.dispute_items else []
