"""Coach studio: questions, import/export, documents, calibration, and the review queue of doubtful grades.

Behind the coach password when one is configured: until it is given, only the login form shows.
"""

import streamlit as st

from coach.views import calibration, defaults, knowledge, questions, review, transfer
from coach.views.gate import render_gate
from config import get_settings
from ui.i18n import t
from ui.session import current_lang

lang = current_lang()
settings = get_settings()
if settings.team_mode:  # on a shared server the studio is for signed-in coaches (app.py lists it only for them)
    from ui.account import current_user

    signed_in = current_user()
    if signed_in is None or not signed_in.is_coach:
        st.error(t("coach_only", lang))
        st.stop()
elif not render_gate(settings, lang):
    st.stop()

st.title(t("coach_title", lang))
sections = {
    "questions": questions.render,
    "transfer": transfer.render,
    "knowledge": knowledge.render,
    "calibration": calibration.render,
    "review": review.render,
    "defaults": defaults.render,
}
section = st.radio(
    t("coach_section", lang), list(sections), horizontal=True, key="coach_section",
    format_func=lambda name: t(f"coach_section_{name}", lang), label_visibility="collapsed",
)  # fmt: skip
sections[section](settings, lang)
