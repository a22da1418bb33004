"""A coach's questions, edits of shipped questions, and calibration samples, kept in the database.

The shipped bank (YAML in the repository) is read-only at run time. What a coach adds or changes
lives here, so every app server that shares the database sees it at once, and `git status` stays
clean after a coaching session. `question_bank.overlay` lays these rows over the shipped bank.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import delete, func, select

from question_bank.model import CalibrationSample, Question
from storage.db import CalibrationSampleRow, CoachQuestion, session_factory, utc_now


@dataclass(frozen=True)
class StoredSample:
    """A calibration sample with its row id (to remove it) and where it came from."""

    id: int
    question_id: str
    sample: CalibrationSample
    source: str


@dataclass(frozen=True)
class CoachEdits:
    """Everything coaches changed: questions by id (None: deleted) and the samples per question."""

    questions: dict[str, Question | None]
    samples: dict[str, list[StoredSample]]
    unreadable: list[str]  # rows whose question no longer validates (e.g. after a model change)


def _question_json(question: Question) -> str:
    """The question without its samples: those are rows of their own, so adding one edits nothing."""
    return question.model_copy(update={"calibration": []}).model_dump_json()


class CoachContentStore:
    """Reads and writes the coach's content; each call is one short transaction."""

    def __init__(self, database_url: str):
        self._sessions = session_factory(database_url)

    def save_question(self, question: Question, *, by: str | None = None) -> None:
        """Add a question or replace a coach's earlier version of it (an edit of a shipped one included)."""
        self.save_questions([question], by=by)

    def save_questions(self, questions: Iterable[Question], *, by: str | None = None) -> None:
        """Several questions in one transaction: an import lands whole or not at all."""
        with self._sessions.begin() as session:
            for question in questions:
                row = session.get(CoachQuestion, question.id) or CoachQuestion(question_id=question.id)
                row.question_json, row.deleted, row.updated_by, row.updated_at = (
                    _question_json(question), False, by, utc_now(),
                )  # fmt: skip
                session.add(row)

    def hide_question(self, question_id: str, *, by: str | None = None) -> None:
        """Delete a question for candidates: a shipped one is hidden (revertible), a coach's own is marked gone."""
        with self._sessions.begin() as session:
            row = session.get(CoachQuestion, question_id) or CoachQuestion(question_id=question_id)
            row.question_json, row.deleted, row.updated_by, row.updated_at = None, True, by, utc_now()
            session.add(row)

    def revert_question(self, question_id: str) -> bool:
        """Forget the coach's version: a shipped question is as shipped again. False if there was none."""
        with self._sessions.begin() as session:
            return session.execute(delete(CoachQuestion).where(CoachQuestion.question_id == question_id)).rowcount > 0

    def add_samples(
        self,
        question_id: str,
        samples: Iterable[CalibrationSample],
        *,
        source: str = "studio",
        by: str | None = None,
        attempt_id: int | None = None,
    ) -> list[int]:
        """Store samples; one with the same language and answer as a stored one replaces it."""
        samples = list(samples)
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(CalibrationSampleRow).where(CalibrationSampleRow.question_id == question_id)
            ).all()
            by_answer = {}
            for row in rows:
                stored = CalibrationSample.model_validate_json(row.sample_json)
                by_answer[(stored.lang, stored.answer.strip())] = row
            new_rows = []
            for sample in samples:
                old = by_answer.pop((sample.lang, sample.answer.strip()), None)
                if old is not None:
                    session.delete(old)
                row = CalibrationSampleRow(
                    question_id=question_id, sample_json=sample.model_dump_json(), source=source,
                    attempt_id=attempt_id, created_by=by,
                )  # fmt: skip
                session.add(row)
                new_rows.append(row)
            session.flush()
            return [row.id for row in new_rows]

    def remove_sample(self, sample_id: int) -> bool:
        with self._sessions.begin() as session:
            gone = session.execute(delete(CalibrationSampleRow).where(CalibrationSampleRow.id == sample_id))
            return gone.rowcount > 0

    def edits(self) -> CoachEdits:
        """All of it, for laying over the shipped bank."""
        questions: dict[str, Question | None] = {}
        unreadable: list[str] = []
        samples: dict[str, list[StoredSample]] = defaultdict(list)
        with self._sessions() as session:
            for row in session.scalars(select(CoachQuestion).order_by(CoachQuestion.question_id)):
                if row.deleted or row.question_json is None:
                    questions[row.question_id] = None
                    continue
                try:
                    questions[row.question_id] = Question.model_validate(json.loads(row.question_json))
                except (ValidationError, ValueError) as exc:
                    unreadable.append(f"{row.question_id}: {exc}")
            for stored in self._samples(session, select(CalibrationSampleRow), unreadable):
                samples[stored.question_id].append(stored)
        return CoachEdits(questions, dict(samples), unreadable)

    def samples(self, question_id: str) -> list[StoredSample]:
        """One question's stored samples, oldest first (the studio's list, without reading everything)."""
        query = select(CalibrationSampleRow).where(CalibrationSampleRow.question_id == question_id)
        with self._sessions() as session:
            return self._samples(session, query, [])

    @staticmethod
    def _samples(session, query, unreadable: list[str]) -> list[StoredSample]:  # type: ignore[no-untyped-def]
        """The samples the query selects, in id order; a row that no longer validates goes to `unreadable`."""
        found = []
        for row in session.scalars(query.order_by(CalibrationSampleRow.id)):
            try:
                sample = CalibrationSample.model_validate_json(row.sample_json)
            except ValidationError as exc:
                unreadable.append(f"{row.question_id} sample {row.id}: {exc}")
                continue
            found.append(StoredSample(row.id, row.question_id, sample, row.source))
        return found

    def version(self) -> str:
        """Changes whenever any coach content changes: a cheap check before reusing a cached bank."""
        with self._sessions() as session:
            questions = session.execute(
                select(func.count(), func.max(CoachQuestion.updated_at))
            ).one()  # fmt: skip
            samples = session.execute(
                select(func.count(), func.max(CalibrationSampleRow.id), func.max(CalibrationSampleRow.created_at))
            ).one()  # fmt: skip
        return repr((*questions, *samples))
