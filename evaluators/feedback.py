"""What the graders say to a candidate, in the answer's language: feedback built from the verdicts.

The sentences themselves are in the one catalogue (`core/strings/grading.yaml`).
"""

from __future__ import annotations

from core.i18n import say
from core.types import Flag, Grade, Verdict

_NOTES = (Flag.unsupported_claims, Flag.truncated, Flag.prompt_injection)


def text(key: str, lang: str, **values: object) -> str:
    """A grading sentence from the one catalogue (core/strings/grading.yaml)."""
    return say(key, lang, **values)


def flag_notes(grade: Grade, lang: str) -> str:
    """Sentences explaining the flags a candidate must know about (claims set aside, truncation, injection)."""
    return " ".join(text(flag.value, lang) for flag in _NOTES if flag in grade.flags)


def embedded_feedback(grade: Grade, lang: str) -> str:
    """Which points are covered, partly covered and missing, plus the advice the flags call for."""
    if Flag.empty_answer in grade.flags:
        return " ".join(part for part in (text("empty", lang), flag_notes(grade, lang)) if part)
    parts = []
    for flag in (Flag.too_short, Flag.off_topic, Flag.keyword_stuffing, Flag.rubric_echo):
        if flag in grade.flags:
            parts.append(text(flag.value, lang))
    met = [c.text.rstrip(".") for c in grade.criteria if c.verdict == Verdict.met]
    partly = [c.text.rstrip(".") for c in grade.criteria if c.verdict == Verdict.partly_met]
    missing = [c.text.rstrip(".") for c in grade.criteria if c.verdict == Verdict.not_met]
    if met:
        parts.append(text("covered", lang, items="; ".join(met)))
    if partly:
        parts.append(text("partly", lang, items="; ".join(partly)))
    if not met and not partly:
        parts.append(text("none_covered", lang))
    if missing:
        parts.append(text("missing", lang, items="; ".join(missing)))
    notes = flag_notes(grade, lang)
    if notes:
        parts.append(notes)
    parts.append(text("embedded_note", lang))
    return " ".join(parts)
