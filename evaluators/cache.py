"""The grade cache: an identical answer to an unchanged question, graded by an unchanged grader,
gets the stored grade back at once instead of a new model call.

"Unchanged" is what the key covers: the grader's code (a hash of every grading module, its
thresholds, guards, fitted weights and prompt files) and its model, the question's grading
material (its hash), the answer, the excerpts and the coach-graded examples shown to the judge.
Change any of them and the answer is graded afresh. Grades are files, one per key, under the data
directory: nothing to migrate, and safe to delete.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from evaluators.examples import GradedExample
from evaluators.grade import Grade
from evaluators.provenance import grade_cache_key, grader_version, prompt_version, rubric_version
from question_bank.model import Question

log = logging.getLogger(__name__)


class GradeCache:
    """Grades on disk, one JSON file per key. A grade served from here has `cached` set."""

    def __init__(self, directory: Path):
        self.directory = directory

    @classmethod
    def under(cls, data_dir: Path) -> GradeCache:
        """The app's grade cache in its data directory."""
        return cls(data_dir / "cache" / "grades")

    def get(self, key: str) -> Grade | None:
        path = self.directory / f"{key}.json"
        try:
            grade = Grade.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        grade.cached = True
        return grade

    def put(self, key: str, grade: Grade) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            stored = grade.model_copy(update={"cached": False})
            # Written aside then renamed: two sessions grading the same answer never read half a file.
            partial = self.directory / f"{key}.{os.getpid()}.{threading.get_ident()}.tmp"
            partial.write_text(stored.model_dump_json(), encoding="utf-8")
            os.replace(partial, self.directory / f"{key}.json")
        except (OSError, ValueError) as exc:  # a read-only disk (or odd text) costs repeatability, not the grade
            log.warning("grade cache not written: %s", exc)


def llm_grade_key(
    question: Question,
    answer: str,
    *,
    provider: str | None,
    model_name: str,
    lang: str,
    excerpts: list[str],
    examples: list[GradedExample],
) -> str:
    examples_material = [[e.answer, e.score, e.lang, e.verdicts] for e in examples]
    return grade_cache_key(
        "llm", grader_version(), provider, model_name, prompt_version(), rubric_version(question), lang, answer,
        excerpts, examples_material,
    )  # fmt: skip


def embedded_grade_key(question: Question, answer: str, *, model_name: str, lang: str) -> str:
    return grade_cache_key("embedded", grader_version(), model_name, rubric_version(question), lang, answer)
