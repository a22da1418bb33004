"""Contested grades of every profile: question, answer (escaped), grade and the candidate's note."""

from __future__ import annotations

import streamlit as st

from config import Settings
from storage.attempts import grade_of
from ui.i18n import t
from ui.render import escape_markdown, render_grade
from ui.resources import attempts, load_bank


def render(settings: Settings, lang: str) -> None:
    contested = attempts(settings).contested()
    if not contested:
        st.info(t("coach_contested_none", lang))
        return
    bank = load_bank()
    st.caption(t("coach_contested_count", lang, n=len(contested)))
    for attempt in contested:
        question = bank.get(attempt.question_id)
        score = "—" if attempt.score is None else f"{attempt.score:.1f}/10"
        when = attempt.created_at.strftime("%Y-%m-%d %H:%M")
        title = f"{attempt.profile} · {attempt.question_id} · {score} · {when}"
        with st.expander(escape_markdown(title)):
            if question is not None:
                st.markdown(f"**{escape_markdown(question.prompt_in(attempt.lang))}**")
            else:
                st.warning(t("coach_contested_unknown_question", lang, id=attempt.question_id))
            st.markdown(f"**{t('coach_contested_note', lang)}**")
            st.markdown(escape_markdown(attempt.contest_note or "—"))
            st.markdown(f"**{t('coach_contested_answer', lang)}**")
            st.markdown(escape_markdown(attempt.answer))
            grade = grade_of(attempt)
            if grade is not None:
                render_grade(grade, lang)
