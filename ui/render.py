"""Render grades, references and attempts. Shared by the quiz, the interview and the progress pages.

Candidate text is never rendered as HTML or live Markdown: it is escaped. Model text may use
Markdown (lists, bold) but never HTML or images, since a candidate's answer can steer what a model
writes.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from evaluators.grade import Confidence, Flag, Grade
from ui.i18n import t

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<$])")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_HTML_TAG = re.compile(r"<[^>]*>")


def escape_markdown(text: str) -> str:
    """Show user text literally inside st.markdown (no links, headings, HTML or LaTeX)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def safe_model_markdown(text: str) -> str:
    """Model output as Markdown, minus images and HTML tags."""
    return _HTML_TAG.sub("", _IMAGE.sub("", text)).replace("$", r"\$")


def score_colour(score: float) -> str:
    return "green" if score >= 7 else ("orange" if score >= 4 else "red")


def grade_origin(grade: Grade, lang: str, *, machine_score: float | None = None) -> str:
    """Which grader produced the grade, in plain words: never a score without its origin."""
    if grade.grader == "coach":
        score = "—" if machine_score is None else f"{machine_score:.1f}"
        return t("grade_by_coach", lang, coach=grade.reviewed_by or "?", score=score)
    if grade.grader == "llm":
        model = grade.model or "LLM"
        if grade.provider:
            return t("grade_by_llm", lang, model=model, provider=t(f"provider_{grade.provider}", lang))
        return t("grade_by_model", lang, model=model)
    if Flag.llm_unavailable in grade.flags:
        return t("grade_by_embedded_unreachable", lang)
    if grade.fallback_reason:
        return t("grade_by_embedded_fallback", lang)
    return t("grade_by_embedded", lang)


def render_confidence(grade: Grade, lang: str) -> None:
    """The confidence next to the score, with its reasons; a low one says a coach will review it."""
    level = t(f"confidence_{grade.confidence.value}", lang)
    reasons = ", ".join(t(f"confidence_reason_{code}", lang) for code in grade.confidence_reasons)
    line = t("confidence_label", lang, level=level) + (f" — {reasons}" if reasons else "")
    details = []
    if grade.second_opinion is not None:
        details.append(t("grade_second_opinion", lang, score=f"{grade.second_opinion:.1f}"))
    if grade.calibration_examples:
        details.append(t("grade_examples", lang, n=grade.calibration_examples))
    if grade.prompt_version:
        details.append(t("grade_prompt_version", lang, version=grade.prompt_version))
    if grade.rubric_version:
        details.append(t("grade_rubric_version", lang, version=grade.rubric_version))
    if grade.confidence == Confidence.low:
        st.warning(f"{line}. {t('confidence_low_review', lang)}")
    else:
        st.caption(line)
    if details:
        st.caption(" · ".join(details))


def render_grade(grade: Grade, lang: str, *, show_reasoning: bool = True, machine_score: float | None = None) -> None:
    """Origin and confidence, score, rubric table with verdicts and evidence, missing points, feedback.

    `machine_score` is the machine's score when `grade` is a coach's grade replacing it.
    """
    st.markdown(f"### {t('grade_score', lang)} : :{score_colour(grade.score)}[{grade.score:.1f}/10]")
    st.caption(escape_markdown(grade_origin(grade, lang, machine_score=machine_score)))
    render_confidence(grade, lang)
    if grade.cached:
        st.caption(t("grade_cached", lang))
    if grade.fallback_reason:
        st.warning(t("grade_fallback", lang, reason=grade.fallback_reason))
    for flag in grade.flags:
        message = t(f"flag_{flag.value}", lang)
        (st.error if flag.value == "prompt_injection" else st.info)(message)
    if show_reasoning and grade.reasoning:
        with st.expander(t("grade_reasoning", lang)):
            st.markdown(safe_model_markdown(grade.reasoning))
    if grade.criteria:
        st.markdown(f"**{t('grade_rubric', lang)}**")
        rows = []
        for c in grade.criteria:
            evidence = " / ".join(f"« {q} »" for q in c.evidence) or t("grade_no_evidence", lang)
            if not c.evidence_ok:
                evidence += f" ({t('grade_evidence_rejected', lang)})"
            rows.append(
                {
                    t("grade_point", lang): c.text,
                    t("grade_weight", lang): c.weight,
                    t("grade_verdict", lang): t(f"verdict_{c.verdict.value}", lang),
                    t("grade_evidence", lang): evidence,
                }
            )
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if grade.missing_points:
        st.markdown(f"**{t('grade_missing', lang)}**")
        st.markdown("\n".join(f"- {safe_model_markdown(p)}" for p in grade.missing_points))
    if grade.misconceptions:
        st.markdown(f"**{t('grade_misconceptions', lang)}**")
        st.markdown("\n".join(f"- {safe_model_markdown(p)}" for p in grade.misconceptions))
    if grade.feedback:
        st.markdown(f"**{t('grade_feedback', lang)}**")
        st.markdown(safe_model_markdown(grade.feedback))
    if grade.stronger_answer:
        with st.expander(t("grade_stronger", lang)):
            st.markdown(safe_model_markdown(grade.stronger_answer))


def render_references(references: object | None, lang: str, *, error: str | None = None) -> None:
    """The reference answer, then each cited excerpt with title, heading and snippet (whole on click)."""
    st.markdown(f"#### {t('refs_title', lang)}")
    if references is None:
        if error:
            st.info(t("refs_unavailable", lang, error=error))
        return
    with st.expander(t("refs_reference", lang), expanded=False):
        st.markdown(safe_model_markdown(references.reference_answer))
    hits = list(getattr(references, "hits", []) or [])
    if not hits:
        st.caption(t("refs_none", lang))
        return
    st.markdown(f"**{t('refs_excerpts', lang)}**")
    for number, hit in enumerate(hits, start=1):
        heading = f" › {hit.heading_path}" if hit.heading_path else ""
        st.markdown(f"**[{number}] {escape_markdown(hit.title)}**{escape_markdown(heading)}  \n`{hit.source}`")
        st.caption(hit.snippet)
        with st.expander(t("refs_open", lang)):
            st.markdown(safe_model_markdown(hit.text))


def show_grading(events, lang: str):  # type: ignore[no-untyped-def]
    """Consume grading events, streaming the reasoning as it arrives; returns (grade, error)."""
    grade = None
    error = None
    with st.status(t("quiz_grading", lang), expanded=True) as status:
        status_line = st.empty()
        reasoning_box = st.empty()
        reasoning = ""
        for event in events:
            if event.kind == "status" and event.text:
                status_line.caption(escape_markdown(event.text))
            elif event.kind == "reasoning" and event.text:
                reasoning += event.text
                reasoning_box.markdown(safe_model_markdown(reasoning[-4000:]))
            elif event.kind == "grade":
                grade = event.grade
            elif event.kind == "error":
                error = event.text or "unknown error"
        status.update(state="error" if error else "complete", expanded=False)
    return grade, error


def render_attempts_side_by_side(answers: list[str], grades: list[Grade], lang: str) -> None:
    """The last two attempts at one question, answer and score next to each other."""
    st.markdown(f"#### {t('quiz_attempts_compare', lang)}")
    start = len(grades) - 2
    for column, offset in zip(st.columns(2), (0, 1), strict=True):
        index = start + offset
        with column:
            st.markdown(f"**{t('quiz_attempt_n', lang, n=index + 1, score=f'{grades[index].score:.1f}')}**")
            st.markdown(escape_markdown(answers[index]))
