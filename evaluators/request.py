"""What a caller asks the grader for, typed: the request the grading pipeline (`evaluators.service.grade`) takes.

A request says *what* to grade and how; the dependencies (settings, a model, the cache) are given
beside it, so the same request can be graded by the app's services, the CLI or a test's fake model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypedDict

from question_bank.model import Question

GraderChoice = Literal["auto", "llm", "embedded"]
"""`auto`: the LLM judge when its server answers, else the embedded grader; `llm`: the judge (its failures
still fall back); `embedded`: no LLM at all."""


class GradeChoices(TypedDict, total=False):
    """The optional fields of a GradeRequest, as keyword arguments (`grade_stream(question, answer, **choices)`)."""

    grader: GraderChoice
    excerpts: Sequence[str]
    timeout_s: float | None
    expected_lang: str | None
    fresh: bool
    use_examples: bool


@dataclass(frozen=True)
class GradeRequest:
    question: Question
    answer: str
    grader: GraderChoice = "auto"
    excerpts: tuple[str, ...] = ()
    """Course passages shown to the judge (the ones the candidate sees cited)."""
    timeout_s: float | None = None
    """How long the judge may take; None: the settings' `llm_timeout_s`."""
    expected_lang: str | None = None
    """The language the question was asked in: an answer in another one lowers the confidence."""
    fresh: bool = False
    """Skip the cached grade (the new one replaces it)."""
    use_examples: bool = True
    """Show the judge two of the question's coach-graded samples."""

    @classmethod
    def of(cls, question: Question, answer: str, **choices: object) -> GradeRequest:
        """A request from `GradeChoices` keywords (`excerpts` may be any sequence)."""
        if "excerpts" in choices:
            choices["excerpts"] = tuple(choices["excerpts"])  # type: ignore[arg-type]
        return cls(question, answer or "", **choices)  # type: ignore[arg-type]
