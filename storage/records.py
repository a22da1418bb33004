"""The attempt as callers read it: the answer joined with its grade, dispute and coach's review.

The tables keep each of them apart (`storage.attempt_tables`); pages, progress and the coach's queue
read one flat, frozen record with the attribute names they always had, and the exports write it.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime

from core.types import Grade
from storage.attempt_tables import Attempt, CoachReview, Dispute, MachineGrade
from storage.base import as_utc

EXPORT_FIELDS = [
    "id", "profile", "question_id", "lang", "mode", "status", "score", "grader", "model",
    "answer", "answer_seconds", "grading_ms", "confidence", "prompt_version", "rubric_version", "contested",
    "contest_note", "dispute_items", "review_status", "machine_score", "reviewed_by", "created_at", "graded_at",
    "reviewed_at",
]  # fmt: skip


@dataclass(frozen=True)
class AttemptRecord:
    """One attempt with what was judged of it. `score` is the one that counts: the coach's after a
    review, else the machine's (`machine_score`). Times are UTC-aware whatever the database.
    Changing it goes through `AttemptStore`."""

    id: int
    profile: str
    question_id: str
    lang: str
    answer: str
    status: str  # pending|graded|failed
    mode: str  # quiz|interview
    session_id: str | None
    retry_of: int | None
    error: str | None
    answer_seconds: float | None
    created_at: datetime
    # the machine's grade (`grades`)
    machine_score: float | None
    grader: str | None
    model: str | None
    grade_json: str | None
    grading_ms: float | None
    confidence: str | None
    prompt_version: str | None
    rubric_version: str | None
    graded_at: datetime | None
    # the candidate's dispute (`disputes`)
    contested: bool
    contest_note: str | None
    dispute_items: str | None  # JSON list of rubric item ids; `disputed_items` reads it
    # the coach's review (`coach_reviews`)
    review_status: str | None  # pending|reviewed, None when no coach was asked
    coach_score: float | None
    coach_grade_json: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    score: float | None


def record_of(
    attempt: Attempt, grade: MachineGrade | None, dispute: Dispute | None, review: CoachReview | None
) -> AttemptRecord:
    """Assemble the record from the rows of one attempt (None: that row does not exist)."""
    machine_score = grade.score if grade else None
    coach_score = review.score if review else None
    return AttemptRecord(
        id=attempt.id, profile=attempt.profile, question_id=attempt.question_id, lang=attempt.lang,
        answer=attempt.answer, status=attempt.status, mode=attempt.mode, session_id=attempt.session_id,
        retry_of=attempt.retry_of, error=attempt.error, answer_seconds=attempt.answer_seconds,
        created_at=as_utc(attempt.created_at),
        machine_score=machine_score,
        grader=grade.grader if grade else None,
        model=grade.model if grade else None,
        grade_json=grade.grade_json if grade else None,
        grading_ms=grade.grading_ms if grade else None,
        confidence=grade.confidence if grade else None,
        prompt_version=grade.prompt_version if grade else None,
        rubric_version=grade.rubric_version if grade else None,
        graded_at=as_utc(grade.graded_at) if grade and grade.graded_at else None,
        contested=dispute is not None,
        contest_note=dispute.note if dispute else None,
        dispute_items=dispute.items_json if dispute else None,
        review_status=review.status if review else None,
        coach_score=coach_score,
        coach_grade_json=review.grade_json if review else None,
        reviewed_by=review.reviewed_by if review else None,
        reviewed_at=as_utc(review.reviewed_at) if review and review.reviewed_at else None,
        score=coach_score if coach_score is not None else machine_score,
    )  # fmt: skip


def attempt_as_dict(attempt: AttemptRecord) -> dict:
    row = {name: getattr(attempt, name) for name in EXPORT_FIELDS}
    row["contested"] = bool(row["contested"])
    for key in ("created_at", "graded_at", "reviewed_at"):
        row[key] = row[key].isoformat() if row[key] else None
    return row


def export_json(attempts: list[AttemptRecord]) -> str:
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


def export_csv(attempts: list[AttemptRecord]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for attempt in attempts:
        writer.writerow({k: _spreadsheet_safe(v) for k, v in attempt_as_dict(attempt).items()})
    return buffer.getvalue()


def grade_of(attempt: AttemptRecord) -> Grade | None:
    """The grade that counts: the coach's after a review, else the machine's."""
    if attempt.coach_grade_json:
        return Grade.model_validate_json(attempt.coach_grade_json)
    return machine_grade_of(attempt)


def machine_grade_of(attempt: AttemptRecord) -> Grade | None:
    return Grade.model_validate_json(attempt.grade_json) if attempt.grade_json else None


def disputed_items(attempt: AttemptRecord) -> list[str]:
    return list(json.loads(attempt.dispute_items)) if attempt.dispute_items else []
