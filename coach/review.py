"""The coach's review of disputed and low-confidence grades: confirm the machine's verdicts or set them.

The coach's grade becomes the attempt's score (progress and spaced repetition follow it), the
machine's grade is kept beside it, and the pair (answer, coach grade) joins the question's
calibration samples, so the judge sees it as a worked example next time and `judge eval` measures
the graders against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from core.types import Confidence, Grade, Verdict
from question_bank.model import CalibrationSample, Question
from storage.attempts import AttemptStore, disputed_items, machine_grade_of
from storage.records import AttemptRecord
from storage.scheduling import ReviewScheduler

if TYPE_CHECKING:
    from coach.content import CoachContent


@dataclass(frozen=True)
class ReviewCase:
    """One attempt in the queue, with what the coach needs to judge it."""

    attempt: AttemptRecord
    question: Question | None
    grade: Grade | None
    disputed: list[str]

    @property
    def reasons(self) -> list[str]:
        """Why it is in the queue: "disputed", then the grade's low-confidence reasons."""
        reasons = ["disputed"] if self.attempt.contested else []
        if self.grade is not None and self.grade.confidence == Confidence.low:
            reasons += self.grade.confidence_reasons
        return reasons


@dataclass(frozen=True)
class ReviewOutcome:
    grade: Grade
    rescheduled: bool
    sample_id: int | None  # the calibration sample the coach's grade became, if the question still exists


def review_queue(store: AttemptStore, questions: Mapping[str, Question], limit: int = 200) -> list[ReviewCase]:
    return [
        ReviewCase(a, questions.get(a.question_id), machine_grade_of(a), disputed_items(a))
        for a in store.review_queue(limit)
    ]


def coach_grade(machine: Grade, verdicts: Mapping[str, Verdict | str], coach: str) -> Grade:
    """The machine's grade with the coach's verdict on each item; the score is recomputed from them.

    A coach's verdict needs no quoted evidence: the coach read the answer. Items the coach did not
    set keep the machine's verdict, which the coach thereby confirms.
    """
    unknown = sorted(set(verdicts) - {c.id for c in machine.criteria})
    if unknown:
        raise ValueError(f"verdicts for unknown rubric items: {', '.join(unknown)}")
    criteria = [
        # The coach's verdicts replace the embedded grader's estimates: the score follows the verdicts.
        c.model_copy(
            update={"verdict": Verdict(verdicts.get(c.id, c.verdict)), "evidence_ok": True, "estimated_credit": None}
        )
        for c in machine.criteria
    ]
    return machine.model_copy(
        update={
            "criteria": criteria,
            "grader": "coach",
            "reviewed_by": coach,
            "confidence": Confidence.high,
            "confidence_reasons": [],
            "cached": False,
        },
        deep=True,
    ).rescore()


def resolve(
    case: ReviewCase,
    verdicts: Mapping[str, Verdict | str],
    coach: str,
    *,
    store: AttemptStore,
    scheduler: ReviewScheduler,
    content: CoachContent | None,
) -> ReviewOutcome:
    """Save the coach's grade, reschedule the question on it, and add it to the calibration samples.

    `content` None stores no calibration sample (the question is no longer in the bank).
    """
    if case.grade is None:
        raise ValueError(f"attempt {case.attempt.id} has no grade to review")
    grade = coach_grade(case.grade, verdicts, coach)
    store.resolve_review(case.attempt.id, grade, coach)
    when = case.attempt.graded_at or case.attempt.created_at or datetime.now().astimezone()
    rescheduled = scheduler.settle(case.attempt.profile, case.attempt.question_id, case.attempt.id, grade.score, when)
    sample_id = None
    if case.question is not None and content is not None:
        sample = CalibrationSample(
            lang=grade.lang,
            answer=case.attempt.answer,
            expected_score=grade.score,
            verdicts={c.id: c.verdict.value for c in grade.criteria},
        )
        [sample_id] = content.add_samples(
            case.question.id, [sample], source="review", by=coach, attempt_id=case.attempt.id
        )
    return ReviewOutcome(grade, rescheduled, sample_id)
