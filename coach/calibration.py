"""Calibrate the graders on one question: the coach's sample answers and expected grades vs. what the graders say.

The agreement figures are the eval harness's own (`evaluators.harness.spearman`), so the studio and
`judge eval` measure the same thing. Saved samples are rows in the database (`coach.content`),
laid over the question's own, so later `judge eval` runs include them
(see `question_bank.calibration.calibration_samples`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from config import Settings
from core.types import Grade
from question_bank.model import CalibrationSample, Question

MIN_SAMPLES_FOR_SPEARMAN = 3
GradeFunction = Callable[..., Grade]


@dataclass(frozen=True)
class SampleOutcome:
    sample: CalibrationSample
    embedded_score: float
    judge_score: float | None  # None: the judge did not grade (unavailable, or it fell back)
    judge_note: str = ""


@dataclass(frozen=True)
class Agreement:
    n: int
    mae: float | None
    spearman: float | None  # only from MIN_SAMPLES_FOR_SPEARMAN samples: fewer say nothing about ranking


@dataclass
class CalibrationRun:
    outcomes: list[SampleOutcome] = field(default_factory=list)
    judge_unavailable: str | None = None

    def agreement(self, grader: str) -> Agreement:
        """MAE and Spearman between the expected scores and `grader`'s ("judge" or "embedded")."""
        pairs = [
            (o.sample.expected_score, o.judge_score if grader == "judge" else o.embedded_score) for o in self.outcomes
        ]
        pairs = [(expected, got) for expected, got in pairs if got is not None]
        if not pairs:
            return Agreement(n=0, mae=None, spearman=None)
        from evaluators.harness import spearman

        mae = sum(abs(expected - got) for expected, got in pairs) / len(pairs)
        rho = None
        if len(pairs) >= MIN_SAMPLES_FOR_SPEARMAN:
            value = spearman([p[0] for p in pairs], [p[1] for p in pairs])
            rho = None if math.isnan(value) else value
        return Agreement(n=len(pairs), mae=mae, spearman=rho)


def judge_availability(settings: Settings) -> str | None:
    """None if the LLM answers; otherwise why not (so the run does not wait on a dead server per sample)."""
    from evaluators.service import llm_health

    health = llm_health(settings)
    return None if health.ok else health.message


def run_calibration(
    question: Question,
    samples: Sequence[CalibrationSample],
    settings: Settings,
    *,
    grade: GradeFunction | None = None,
    judge_unavailable: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CalibrationRun:
    """Grade every sample with the embedded grader and (if available) the LLM judge."""
    if grade is None:
        from evaluators.service import grade_answer as grade
    run = CalibrationRun(judge_unavailable=judge_unavailable)
    for number, sample in enumerate(samples, start=1):
        embedded = grade(question, sample.answer, settings=settings, grader="embedded")
        judge_score, note = None, judge_unavailable or ""
        if judge_unavailable is None:
            judged = grade(question, sample.answer, settings=settings, grader="llm")
            if judged.grader == "llm":
                judge_score = judged.score
            else:
                note = judged.fallback_reason or "the judge fell back to the embedded grader"
        run.outcomes.append(SampleOutcome(sample, embedded.score, judge_score, note))
        if progress:
            progress(number, len(samples))
    return run
