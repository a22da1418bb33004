"""The rules that hold an LLM grade down when the answer tried to talk its way up.

Both compare the judge's verdicts with the embedded grader's reading of the same sanitised answer,
which no text in the answer can argue with. They change verdicts item by item and then recompute
the score, so the score shown stays the one the verdicts give.
"""

from __future__ import annotations

from core.types import Flag, Grade, Verdict
from evaluators import feedback
from evaluators.guards import SanitizedAnswer

CLAIMS_TOLERANCE = 1.0
"""Points a judge may give above the embedded grader to an answer with claim lines before it is held."""
_VERDICT_RANK = {Verdict.not_met: 0, Verdict.partly_met: 1, Verdict.met: 2}


def apply_ceilings(grade: Grade, sanitized: SanitizedAnswer, embedded: Grade, lang: str) -> None:
    """The injection ceiling after an injection attempt; else the claims hold when claim lines were set
    aside or the answer restates the rubric's wording (the embedded grader's `rubric_echo`)."""
    restates = Flag.rubric_echo in embedded.flags
    if sanitized.injection:
        cap_by_embedded(grade, embedded, lang)
    elif (sanitized.claims or restates) and grade.score > embedded.score + CLAIMS_TOLERANCE:
        if restates:
            grade.add_flag(Flag.rubric_echo)
        # Lines claiming coverage were set aside; a judge still crediting more than what remains
        # covers was talked into it by the claims: no item above what the remaining text shows.
        # (No honest answer of the 449 in tests/data has a claim line, so this costs honest answers little.)
        hold_to_embedded(grade, embedded, lang)


def cap_by_embedded(grade: Grade, embedded: Grade, lang: str) -> None:
    """After an injection attempt, no item may score above the embedded grader's verdict on the
    answer with the injection removed, nor above "partly met".

    So a model talked into generosity cannot lift the score above what the honest content earns;
    and since an answer that addresses its grader cannot be taken at face value, nothing in it is
    fully credited.
    """
    grade.add_flag(Flag.prompt_injection)
    ceiling = {c.id: c.verdict for c in embedded.criteria}
    for criterion in grade.criteria:
        limit = min(ceiling.get(criterion.id, Verdict.not_met), Verdict.partly_met, key=_VERDICT_RANK.__getitem__)
        if _VERDICT_RANK[criterion.verdict] > _VERDICT_RANK[limit]:
            criterion.verdict = limit
            criterion.estimated_credit = None
            criterion.reasoning = f"{criterion.reasoning} {feedback.text('injection_cap', lang)}".strip()
    grade.rescore()


def hold_to_embedded(grade: Grade, embedded: Grade, lang: str) -> None:
    """No item credited above the embedded grader's own credit for it (verdict and estimate)."""
    measured = {c.id: c for c in embedded.criteria}
    for criterion in grade.criteria:
        own = measured.get(criterion.id)
        if own is not None and criterion.credit > own.credit:
            criterion.verdict, criterion.estimated_credit = own.verdict, own.credit
            criterion.reasoning = f"{criterion.reasoning} {feedback.text('claims_cap', lang)}".strip()
    grade.rescore()
