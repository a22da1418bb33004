"""The bank candidates see: the shipped YAML with the coaches' questions, edits and samples laid over it.

Pure: the caller reads the coaches' content (from the database, `storage.coach_content`) and passes
it in, so this module knows nothing of where it is kept. A coach's edit of a shipped question keeps
the shipped calibration samples; a sample a coach stored for the same answer replaces the shipped one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from question_bank.bank import QuestionBank
from question_bank.model import CalibrationSample, Question

SHIPPED, EDITED, ADDED, HIDDEN = "shipped", "edited", "added", "hidden"


def merge_samples(existing: Sequence[CalibrationSample], new: Sequence[CalibrationSample]) -> list[CalibrationSample]:
    """Existing samples plus the new ones; a new sample with the same language and answer replaces the old."""
    merged = {(s.lang, s.answer.strip()): s for s in existing}
    for sample in new:
        merged[(sample.lang, sample.answer.strip())] = sample
    return list(merged.values())


def _fit_to_rubric(sample: CalibrationSample, rubric_ids: set[str]) -> CalibrationSample:
    """Drop verdicts on rubric items the (edited) question no longer has; the expected score stands."""
    if set(sample.verdicts) <= rubric_ids:
        return sample
    return sample.model_copy(update={"verdicts": {k: v for k, v in sample.verdicts.items() if k in rubric_ids}})


def _with_samples(question: Question, samples: Sequence[CalibrationSample]) -> Question:
    if not samples:
        return question
    rubric_ids = {item.id for item in question.rubric}
    calibration = [_fit_to_rubric(s, rubric_ids) for s in merge_samples(question.calibration, samples)]
    return question.model_copy(update={"calibration": calibration})


def apply_coach_content(
    shipped: QuestionBank,
    questions: Mapping[str, Question | None],
    samples: Mapping[str, Sequence[CalibrationSample]],
) -> QuestionBank:
    """The shipped bank with the coaches' questions (None: hidden) and samples; `origins` says which is which."""
    result: list[Question] = []
    origins: dict[str, str] = {}
    for question in shipped.questions:
        if question.id not in questions:
            result.append(_with_samples(question, samples.get(question.id, ())))
            origins[question.id] = SHIPPED
            continue
        edited = questions[question.id]
        if edited is None:
            origins[question.id] = HIDDEN
            continue
        base = edited.model_copy(update={"calibration": [_fit_to_rubric(s, {i.id for i in edited.rubric})
                                                          for s in question.calibration]})  # fmt: skip
        result.append(_with_samples(base, samples.get(question.id, ())))
        origins[question.id] = EDITED
    shipped_ids = {q.id for q in shipped.questions}
    for question_id, question in questions.items():
        if question_id in shipped_ids or question is None:
            continue
        result.append(_with_samples(question, samples.get(question_id, ())))
        origins[question_id] = ADDED
    return QuestionBank(
        questions=result, topics=shipped.topics, files=shipped.files, load_result=shipped.load_result, origins=origins
    )
