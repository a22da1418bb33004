"""The grade cache: an identical answer to an unchanged question, graded by an unchanged grader,
gets the stored grade back at once instead of a new model call.

"Unchanged" is what the key covers: the grader's code (a hash of every grading module, its
thresholds, guards, fitted weights and prompt files) and its model, the question's grading
material (its hash), the answer, the excerpts and the coach-graded examples shown to the judge.
Change any of them and the answer is graded afresh. Grades live in the database (`grade_cache`),
so every app server of a team serves the same grade for the same answer; rows are safe to delete.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from core.types import Grade
from evaluators.examples import GradedExample
from evaluators.provenance import grade_cache_key, grader_version, prompt_version, rubric_version
from question_bank.model import Question
from storage.db import CachedGrade, session_factory

log = logging.getLogger(__name__)


class GradeCache:
    """Grades by key in the database. A grade served from here has `cached` set."""

    def __init__(self, database_url: str):
        self._sessions = session_factory(database_url)

    def get(self, key: str) -> Grade | None:
        try:
            with self._sessions() as session:
                row = session.get(CachedGrade, key)
            grade = Grade.model_validate_json(row.grade_json) if row is not None else None
        except (SQLAlchemyError, ValueError) as exc:  # an unreadable row is graded afresh
            log.warning("grade cache not read: %s", exc)
            return None
        if grade is not None:
            grade.cached = True
        return grade

    def put(self, key: str, grade: Grade) -> None:
        stored = grade.model_copy(update={"cached": False}).model_dump_json()
        try:
            with self._sessions.begin() as session:  # two servers grading the same answer: the last one stays
                session.merge(CachedGrade(key=key, grade_json=stored))
        except SQLAlchemyError as exc:  # a busy or read-only database costs repeatability, not the grade
            log.warning("grade cache not written: %s", exc)


def llm_grade_key(
    question: Question,
    answer: str,
    *,
    provider: str | None,
    model_name: str,
    lang: str,
    expected_lang: str | None,
    excerpts: list[str],
    examples: list[GradedExample],
) -> str:
    examples_material = [[e.answer, e.score, e.lang, e.verdicts] for e in examples]
    return grade_cache_key(
        "llm", grader_version(), provider, model_name, prompt_version(), rubric_version(question), lang,
        expected_lang, answer, excerpts, examples_material,
    )  # fmt: skip


def embedded_grade_key(
    question: Question, answer: str, *, model_name: str, lang: str, expected_lang: str | None
) -> str:
    """`expected_lang` (the language the question was asked in) shapes the confidence, so it is in the key."""
    return grade_cache_key(
        "embedded", grader_version(), model_name, rubric_version(question), lang, expected_lang, answer
    )
