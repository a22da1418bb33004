"""The grade view shared by the quiz, the mock interview, its report and the coach's review.

In this order: the score (an estimate with its measured error when the built-in grader gave it),
one line saying who graded and how sure it is, the candidate's answer with the sentences that
earned credit highlighted, each rubric point in plain words, two or three next steps with the
course passage that teaches each, the reference answer, and, collapsed, the details a coach
needs (hashes, signals, second opinion). Every string comes from the UI's catalogue, in the UI's
language: the grade's own texts may be in the answer's language and are not repeated here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import streamlit as st

from core.i18n import number
from core.types import Confidence, Flag, Grade, Verdict
from evaluators.next_steps import evidence_spans, next_steps
from knowledge.retrieval import Hit, References
from ui.i18n import t
from ui.reader import passage_link
from ui.render import escape_markdown, grade_origin, safe_model_markdown, score_colour

_VERDICT_ICON = {Verdict.met: "✅", Verdict.partly_met: "🟡", Verdict.not_met: "❌"}
_CANDIDATE_FLAGS = (
    Flag.prompt_injection, Flag.unsupported_claims, Flag.rubric_echo, Flag.keyword_stuffing, Flag.off_topic,
    Flag.too_short, Flag.empty_answer, Flag.truncated, Flag.evidence_rejected,
)  # fmt: skip


def passages_from(references: References | None) -> list[Hit]:
    """The cited excerpts, in the order (and so with the numbers) the references list shows them."""
    return list(references.hits) if references is not None else []


def score_line(grade: Grade, lang: str) -> str:
    """ "7.5/10", or for the built-in grader "about 7.5/10, give or take 1.4" (decimal comma in French).
    An empty or a few-word answer's 0 is no estimate: there was nothing to weigh."""
    score, margin = number(grade.score, lang), number(grade.error_margin or 0, lang)
    nothing_to_weigh = grade.score == 0 and {Flag.empty_answer, Flag.too_short} & set(grade.flags)
    if grade.grader == "embedded" and grade.error_margin and not nothing_to_weigh:
        return t("grade_estimate", lang, score=score, margin=margin)
    return f"{score}/10"



def origin_and_confidence(grade: Grade, lang: str, *, machine_score: float | None = None) -> str:
    """One line: who graded, how sure, and why not sure (a fallback already named is not repeated)."""
    origin = grade_origin(grade, lang, machine_score=machine_score)
    codes = [c for c in grade.confidence_reasons if not (c == "fallback" and grade.grader == "embedded")]
    reasons = ", ".join(t(f"confidence_reason_{code}", lang) for code in codes)
    level = t("confidence_label", lang, level=t(f"confidence_{grade.confidence.value}", lang))
    return f"{origin} · {level}" + (f" ({reasons})" if reasons else "")


def can_improve(grade: Grade) -> bool:
    """Whether "How do I improve?" has something to ask: an LLM grade whose advice is not written yet."""
    return grade.grader == "llm" and bool(grade.judge_reply) and not grade.stronger_answer


def render_grade(
    grade: Grade,
    lang: str,
    *,
    answer: str | None = None,
    passages: Sequence[Hit] = (),
    reference_answer: str | None = None,
    show_reasoning: bool = True,
    machine_score: float | None = None,
) -> None:
    """The whole grade. `passages` are the course excerpts the next steps may link to."""
    coloured = f":{score_colour(grade.score)}[{score_line(grade, lang)}]"
    st.markdown(f"### {t('grade_score_line', lang, score=coloured)}")
    line = origin_and_confidence(grade, lang, machine_score=machine_score)
    if grade.confidence == Confidence.low:
        st.warning(f"{line}. {t('confidence_low_review', lang)}")
    else:
        st.caption(escape_markdown(line))
    if grade.cached:
        st.caption(t("grade_cached", lang))
    for flag in _CANDIDATE_FLAGS:
        if flag in grade.flags:
            (st.error if flag == Flag.prompt_injection else st.info)(t(f"flag_{flag.value}", lang))
    if answer:
        _answer_with_evidence(grade, answer, lang)
    _criteria(grade, lang)
    _next_steps(grade, passages, lang)
    if grade.grader != "embedded":  # the built-in grader's advice is the two lists above, in the UI's words
        if grade.misconceptions:
            st.markdown(f"**{t('grade_misconceptions', lang)}**")
            st.markdown("\n".join(f"- {safe_model_markdown(p)}" for p in grade.misconceptions))
        if grade.feedback:
            st.markdown(f"**{t('grade_feedback', lang)}**")
            st.markdown(safe_model_markdown(grade.feedback))
        if grade.missing_points:  # the judge's answer to "How do I improve?"
            st.markdown(f"**{t('grade_to_add', lang)}**")
            st.markdown("\n".join(f"- {safe_model_markdown(p)}" for p in grade.missing_points))
        if grade.stronger_answer:
            with st.expander(t("grade_stronger", lang), expanded=True):
                st.markdown(safe_model_markdown(grade.stronger_answer))
    if show_reasoning and grade.reasoning:
        with st.expander(t("grade_reasoning", lang)):
            st.markdown(safe_model_markdown(grade.reasoning))
    reference = reference_answer or (grade.stronger_answer if grade.grader == "embedded" else "")
    if reference:
        with st.expander(t("refs_reference", lang)):
            st.markdown(safe_model_markdown(reference))
    _coach_details(grade, lang)


def _answer_with_evidence(grade: Grade, answer: str, lang: str) -> None:
    quotes = [q for c in grade.criteria if c.evidence_ok and c.verdict != Verdict.not_met for q in c.evidence]
    pieces = evidence_spans(answer, quotes)
    text = "".join(
        _highlighted(piece) if marked and piece.strip() else escape_markdown(piece) for piece, marked in pieces
    )
    with st.expander(t("grade_your_answer", lang), expanded=True):
        if any(marked for _, marked in pieces):
            st.caption(t("grade_highlight_legend", lang))
        st.markdown(text.replace("\n", "  \n"))


def _highlighted(piece: str) -> str:
    """Bold on a green background: the theme's pale green alone is hard to see. Markdown's bold must
    touch the text, so the piece's surrounding spaces stay outside."""
    core = piece.strip()
    start = piece.index(core)
    return f"{piece[:start]}:green-background[**{escape_markdown(core)}**]{piece[start + len(core):]}"


def _criteria(grade: Grade, lang: str) -> None:
    if not grade.criteria:
        return
    st.markdown(f"**{t('grade_rubric', lang)}**")
    lines = []
    for c in grade.criteria:
        rejected = "" if c.evidence_ok else f" — {t('grade_evidence_rejected', lang)}"
        verdict = c.verdict if c.evidence_ok else Verdict.not_met  # rejected evidence earns nothing: say so
        lines.append(f"- {_VERDICT_ICON[verdict]} **{t(f'grade_plain_{verdict.value}', lang)}** — "
                     f"{safe_model_markdown(c.text)}{rejected}")  # fmt: skip
    st.markdown("\n".join(lines))


def _next_steps(grade: Grade, passages: Sequence[Hit], lang: str) -> None:
    """Each step, then the link that opens the passage teaching it in the course reader."""
    steps = next_steps(grade, [hit.text for hit in passages])
    if not steps:
        return
    st.markdown(f"**{t('grade_next_steps', lang)}**")
    for position, step in enumerate(steps, start=1):
        verb = t("grade_step_finish" if step.verdict == Verdict.partly_met else "grade_step_explain", lang)
        st.markdown(f"{position}. {verb} {safe_model_markdown(step.point)}")
        if step.passage is not None:
            hit = passages[step.passage]
            label = t("grade_step_read", lang, passage=hit.label(step.passage + 1))
            passage_link(hit.source, lang, heading=hit.heading_path, label=label)


def _coach_details(grade: Grade, lang: str) -> None:
    """Hashes, signals, second opinion and the raw fallback reason: for coaches, collapsed."""
    details: dict[str, object] = {
        "grader": grade.grader, "model": grade.model, "grader_version": grade.grader_version,
        "prompt_version": grade.prompt_version, "rubric_version": grade.rubric_version,
        "confidence_reasons": grade.confidence_reasons, "flags": [f.value for f in grade.flags],
        "second_opinion": grade.second_opinion, "error_margin": grade.error_margin,
        "calibration_examples": grade.calibration_examples, "latency_ms": grade.latency_ms,
        "fallback_reason": grade.fallback_reason, "signals": grade.signals,
        "criteria": {c.id: {"weight": c.weight, "credit": round(c.credit, 3), **c.signals} for c in grade.criteria},
    }  # fmt: skip
    with st.expander(t("grade_coach_details", lang)):
        st.code(json.dumps({k: v for k, v in details.items() if v not in (None, [], {})}, ensure_ascii=False, indent=1),
                language="json")  # fmt: skip
