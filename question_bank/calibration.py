"""The coach's calibration samples of every question, as entries for `judge eval`.

Coaches attach sample answers with the grade they expect to a question (its `calibration` list,
filled by the studio's Calibrate section). The eval harness turns these into graded entries, so
the graders are measured on the coach's own expectations as well as on tests/data/graded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from question_bank.bank import QuestionBank
from question_bank.model import Question


@dataclass(frozen=True)
class CalibrationEntry:
    """Has the fields of `evaluators.harness.GradedEntry`, so `evaluate()` takes it as is.

    human_score is the coach's expected score; a calibration sample is never a trap.
    """

    question_id: str
    lang: str
    answer: str
    human_score: float
    source: str
    trap: str | None = None
    note: str = "coach calibration sample"


def calibration_samples(bank: QuestionBank | Iterable[Question]) -> list[CalibrationEntry]:
    """Every calibration sample of a bank (or of a list of questions), in bank order."""
    questions = bank.questions if isinstance(bank, QuestionBank) else bank
    entries = []
    for question in questions:
        for position, sample in enumerate(question.calibration, start=1):
            entries.append(
                CalibrationEntry(
                    question_id=question.id,
                    lang=sample.lang,
                    answer=sample.answer,
                    human_score=sample.expected_score,
                    source=f"calibration:{question.id}#{position}",
                )
            )
    return entries
