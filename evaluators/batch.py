"""Grade a class's answers in one process: `cli.py grade --batch answers.jsonl --json`.

One JSON object per line, either `{"question": ID, "answer": ...}` for a bank question or
`{"prompt": ..., "reference": ..., "key_points": [...], "answer": ...}` for an ad-hoc rubric
(optional `"lang"`: the language the question was asked in). The embedding model loads once for
the whole file and the LLM's health is checked once, so a hundred answers cost a hundred grades,
not a hundred start-ups. A bad line gets an error object in its place, saying what is wrong, and
the other lines are still graded: one typo does not cost a coach the batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from config import Settings
from core.types import Grade
from question_bank.model import Question


@dataclass(frozen=True)
class BatchResult:
    line: int
    grade: Grade | None = None
    error: str | None = None

    def as_json(self) -> str:
        if self.grade is None:
            return json.dumps({"line": self.line, "error": self.error}, ensure_ascii=False)
        return json.dumps({"line": self.line, **self.grade.model_dump(mode="json")}, ensure_ascii=False)


def _question_of(
    record: Any, questions: dict[str, Question], adhoc: Callable[[str, str, tuple[str, ...]], Question]
) -> Question:
    """The question a line is about; ValueError says what the line lacks."""
    if not isinstance(record, dict):
        raise ValueError("expected a JSON object")
    if not isinstance(record.get("answer"), str):
        raise ValueError('missing "answer" (a string)')
    if "question" in record:
        question = questions.get(str(record["question"]))
        if question is None:
            raise ValueError(f"no question {record['question']!r} in the bank")
        return question
    points = record.get("key_points")
    if not (isinstance(record.get("prompt"), str) and isinstance(record.get("reference"), str) and points):
        raise ValueError('give "question", or "prompt", "reference" and "key_points" (a list of strings)')
    if not isinstance(points, list) or not all(isinstance(p, str) and p.strip() for p in points):
        raise ValueError('"key_points" must be a list of non-empty strings')
    return adhoc(record["prompt"], record["reference"], tuple(points))


def grade_batch(
    lines: Iterable[str],
    *,
    settings: Settings,
    grader: str,
    questions: dict[str, Question],
    adhoc: Callable[[str, str, tuple[str, ...]], Question],
) -> Iterator[BatchResult]:
    """Grade each non-blank line in order; the LLM is checked and built once for the whole batch."""
    from evaluators.cache import GradeCache
    from evaluators.service import MAX_OUTPUT_TOKENS, grade_answer, llm_health

    chat_model, cache = None, GradeCache(settings.sqlalchemy_url)
    if grader == "llm" or (grader == "auto" and llm_health(settings).ok):
        from llm_server.providers import get_chat_model

        chat_model = get_chat_model(settings, max_output_tokens=MAX_OUTPUT_TOKENS)
        grader = "llm"  # a model that fails mid-batch still falls back per answer, and says so
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BatchResult(number, error=f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        try:
            question = _question_of(record, questions, adhoc)
        except ValueError as exc:
            yield BatchResult(number, error=str(exc))
            continue
        grade = grade_answer(
            question, record["answer"], settings=settings, grader=grader,  # type: ignore[arg-type]
            chat_model=chat_model, cache=cache, expected_lang=record.get("lang"),
        )  # fmt: skip
        yield BatchResult(number, grade=grade)
