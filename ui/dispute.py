"""The dispute form under a grade: shared by the quiz and the mock interview."""

from __future__ import annotations

import streamlit as st

from core.types import Grade
from services import Services
from storage.attempts import MAX_DISPUTE_NOTE
from ui.i18n import t


def render_dispute(attempt_id: int, grade: Grade, lang: str, app: Services) -> None:
    """The candidate names the rubric points they think were misjudged, and why; a coach reviews it.

    What they typed stays in the form when something is missing, so nothing is lost.
    """
    with st.expander(t("dispute_title", lang)):
        saved = app.attempts.get(attempt_id)
        if saved is None or saved.status != "graded":
            return
        if saved.contested:
            st.info(t("dispute_already", lang))
            return
        labels = {c.id: c.text for c in grade.criteria}
        with st.form(f"dispute-{attempt_id}"):
            items = st.multiselect(t("dispute_items", lang), list(labels), format_func=labels.__getitem__,
                                   placeholder=t("choose_options", lang), select_all=False)  # fmt: skip
            note = st.text_area(t("dispute_note", lang), max_chars=MAX_DISPUTE_NOTE)
            sent = st.form_submit_button(t("dispute_submit", lang))
        if not sent:
            return
        if not items and not note.strip():
            st.warning(t("dispute_empty", lang))
            return
        held = app.dispute(attempt_id, items, note)
        st.success(t("dispute_saved" if held else "dispute_saved_not_held", lang))
