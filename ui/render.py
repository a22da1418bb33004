"""Render grades, references and attempts. Shared by the quiz, the interview and the progress pages.

Candidate text is never rendered as HTML or live Markdown: it is escaped. Model text may use
Markdown (lists, bold) but never HTML or images, since a candidate's answer can steer what a model
writes.
"""

from __future__ import annotations

import streamlit as st

from core.i18n import number
from core.text import escape_markdown, strip_images_and_html
from core.types import Flag, Grade
from practice.progress import fold_answer
from ui.i18n import t


def safe_model_markdown(text: str) -> str:
    """Model output as Markdown, minus images and HTML tags, and no LaTeX."""
    return strip_images_and_html(text).replace("$", r"\$")


def score_colour(score: float) -> str:
    return "green" if score >= 7 else ("orange" if score >= 4 else "red")


def grade_origin(grade: Grade, lang: str, *, machine_score: float | None = None) -> str:
    """Which grader produced the grade, in plain words: never a score without its origin."""
    if grade.grader == "coach":
        score = "—" if machine_score is None else number(machine_score, lang)
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


def render_references(references: object | None, lang: str, *, error: str | None = None) -> None:
    """Each cited excerpt with title, section and snippet (whole on click). The reference answer is
    not repeated here: the grade view above shows it."""
    st.markdown(f"#### {t('refs_excerpts_title', lang)}")
    if references is None:
        if error:
            st.info(t("refs_unavailable", lang, error=error))
        return
    hits = list(getattr(references, "hits", []) or [])
    if not hits:
        st.caption(t("refs_none", lang))
        return
    from ui.reader import passage_link  # imported here: the reader uses this module's escaping

    for position, hit in enumerate(hits, start=1):
        section = f" › {hit.section}" if hit.section else ""
        st.markdown(f"**[{position}] {escape_markdown(hit.title)}**{escape_markdown(section)}")
        st.caption(hit.snippet)
        with st.expander(t("refs_open", lang)):
            st.markdown(safe_model_markdown(hit.text))
        passage_link(hit.source, lang, heading=hit.heading_path, label=t("refs_read_in_context", lang))


def show_grading(events, lang: str, title_key: str = "quiz_grading"):  # type: ignore[no-untyped-def]
    """Consume grading events: the reasoning as it is written, the score the moment the verdicts are
    in, then the feedback as it is written; returns (grade, error)."""
    grade = None
    error = None
    with st.status(t(title_key, lang), expanded=True) as status:
        status_line = st.empty()
        reasoning_box = st.empty()
        score_line = st.empty()
        feedback_box = st.empty()
        reasoning = written = ""
        for event in events:
            if event.kind == "status" and event.text:
                status_line.caption(escape_markdown(event.text))
            elif event.kind == "reasoning" and event.text:
                reasoning += event.text
                reasoning_box.markdown(safe_model_markdown(reasoning[-4000:]))
            elif event.kind == "score" and event.grade is not None:
                score = number(event.grade.score, lang)
                score_line.markdown(f"**{t('grading_score_ready', lang, score=score)}**")
                status.update(label=t("grading_score_ready", lang, score=score), expanded=True)
            elif event.kind == "feedback" and event.text:
                written += event.text
                feedback_box.markdown(safe_model_markdown(written))
            elif event.kind == "grade":
                grade = event.grade
            elif event.kind == "error":
                error = event.text or "unknown error"
        status.update(label=t(title_key, lang), state="error" if error else "complete", expanded=False)
    return grade, error


def render_attempts_side_by_side(answers: list[str], grades: list[Grade], lang: str) -> None:
    """The last two attempts at one question, answer and score next to each other."""
    st.markdown(f"#### {t('quiz_attempts_compare', lang)}")
    start = len(grades) - 2
    for column, offset in zip(st.columns(2), (0, 1), strict=True):
        index = start + offset
        with column:
            st.markdown(f"**{t('quiz_attempt_n', lang, n=index + 1, score=number(grades[index].score, lang))}**")
            shown, rest = fold_answer(answers[index])
            st.markdown(escape_markdown(shown) + (" …" if rest else ""))
            if rest:  # a 20,000-character answer is not printed whole twice over
                with st.expander(t("progress_answer_rest", lang, n=len(rest))):
                    st.markdown(escape_markdown(rest))
