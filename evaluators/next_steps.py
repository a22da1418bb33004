"""What to work on next after a grade, and where the answer's own evidence sits in it.

A grade view is only useful if the candidate can see *why* (their own sentences that earned
credit) and *what next* (the two or three heaviest points they missed, each with the course
passage that teaches it). Both are computed here, outside the UI, so the quiz, the mock interview
and the report show the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.types import CriterionGrade, Grade, Verdict
from evaluators.embedded import TUNING, stems
from evaluators.guards import merge_spans


@dataclass(frozen=True)
class NextStep:
    point: str
    verdict: Verdict
    passage: int | None
    """Index into the passages given to `next_steps`, or None when none teaches this point."""


def next_steps(grade: Grade, passages: Sequence[str], limit: int = 3) -> list[NextStep]:
    """The heaviest points not fully earned, each with the passage sharing most of its words."""
    open_points = [c for c in grade.criteria if c.credit < TUNING.met_credit]
    open_points.sort(key=lambda c: (-(c.weight * (1 - c.credit)), c.id))
    passage_stems = [stems(text) for text in passages]
    return [NextStep(c.text, c.verdict, _best_passage(c, passage_stems)) for c in open_points[:limit]]


def _best_passage(criterion: CriterionGrade, passage_stems: list[set[str]]) -> int | None:
    wanted = stems(criterion.text)
    overlaps = [len(wanted & found) for found in passage_stems]
    if not overlaps or max(overlaps) < 2:  # one shared word is chance, not a passage about the point
        return None
    return overlaps.index(max(overlaps))


def evidence_spans(answer: str, quotes: Sequence[str]) -> list[tuple[str, bool]]:
    """`answer` cut into (text, is_evidence) pieces, in order; quotes not found verbatim are skipped."""
    lowered = answer.lower()
    marks: list[tuple[int, int]] = []
    for quote in quotes:
        quote = quote.strip()
        start = lowered.find(quote.lower()) if quote else -1
        if start >= 0:
            marks.append((start, start + len(quote)))
    pieces, position = [], 0
    for start, end in merge_spans(marks):
        if start > position:
            pieces.append((answer[position:start], False))
        pieces.append((answer[start:end], True))
        position = end
    if position < len(answer):
        pieces.append((answer[position:], False))
    return pieces
