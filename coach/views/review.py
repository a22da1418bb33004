"""The review queue: disputed and low-confidence grades, with the answer, verdicts and evidence.

The coach confirms the machine's verdicts or sets their own per rubric item; `coach.review.resolve`
does the rest (score, scheduling, calibration sample).
"""

from __future__ import annotations

import streamlit as st

from coach.review import ReviewCase
from config import Settings
from core.types import Verdict
from ui.grade_view import render_grade
from ui.i18n import t
from ui.render import escape_markdown
from ui.resources import load_bank, services
from ui.session import current_profile

VERDICTS = [v.value for v in Verdict]


def render(settings: Settings, lang: str) -> None:
    bank = load_bank()
    cases = services().review_queue(bank)
    if not cases:
        st.info(t("coach_review_none", lang))
        return
    st.caption(t("coach_review_count", lang, n=len(cases)))
    for case in cases:
        render_case(case, settings, lang)


def render_case(case: ReviewCase, settings: Settings, lang: str) -> None:
    attempt = case.attempt
    score = "—" if attempt.score is None else f"{attempt.score:.1f}/10"
    flag = f" · ⚑ {t('coach_review_disputed_mark', lang)}" if attempt.contested else ""
    title = f"{attempt.profile} · {attempt.question_id} · {score} · {attempt.created_at:%Y-%m-%d %H:%M}{flag}"
    with st.expander(escape_markdown(title)):
        reasons = ", ".join(t(f"confidence_reason_{code}", lang) for code in case.reasons)
        st.caption(t("coach_review_why", lang, reasons=reasons))
        if case.question is not None:
            st.markdown(f"**{escape_markdown(case.question.prompt_in(attempt.lang))}**")
        else:
            st.warning(t("coach_contested_unknown_question", lang, id=attempt.question_id))
        if attempt.contested:
            st.markdown(f"**{t('coach_contested_note', lang)}**")
            st.markdown(escape_markdown(attempt.contest_note or "—"))
        if case.grade is None:
            st.markdown(f"**{t('coach_contested_answer', lang)}**")
            st.markdown(escape_markdown(attempt.answer))
            return
        render_grade(case.grade, lang, answer=attempt.answer)
        verdict_form(case, settings, lang)


def verdict_form(case: ReviewCase, settings: Settings, lang: str) -> None:
    """One verdict per rubric item, pre-filled with the machine's; disputed items are marked."""
    with st.form(f"review-{case.attempt.id}"):
        st.markdown(f"**{t('coach_review_verdicts', lang)}**")
        chosen = {}
        for criterion in case.grade.criteria:
            mark = f"⚑ {t('coach_review_disputed_mark', lang)} · " if criterion.id in case.disputed else ""
            chosen[criterion.id] = st.radio(
                f"{mark}{criterion.text}", VERDICTS, index=VERDICTS.index(criterion.verdict.value), horizontal=True,
                format_func=lambda v: t(f"verdict_{v}", lang), key=f"review-{case.attempt.id}-{criterion.id}",
            )  # fmt: skip
        confirm, save = st.columns(2)
        confirmed = confirm.form_submit_button(t("coach_review_confirm", lang))
        saved = save.form_submit_button(t("coach_review_save", lang), type="primary")
    if not (confirmed or saved):
        return
    outcome = services().resolve(case, {} if confirmed else chosen, current_profile())
    st.success(t("coach_review_saved", lang, score=f"{outcome.grade.score:.1f}"))
