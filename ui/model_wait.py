"""The Settings page's "how long will I wait?" for the chosen model, from `evaluators.budget`."""

from __future__ import annotations

import streamlit as st

from core.i18n import number
from evaluators.budget import expected_waits
from ui.i18n import t


def _seconds(value: float, lang: str) -> str:
    return number(value, lang, digits=0 if value >= 10 else 1)


def render_expected_wait(model: str, lang: str) -> None:
    """Per kind of machine: the wait for the score (first and later answers), the whole grade, the advice."""
    waits = expected_waits(model)
    st.markdown(f"**{t('settings_wait_title', lang, model=model)}**")
    if waits is None:
        st.caption(t("settings_wait_unknown", lang, model=model))
        return
    rows = [
        t("settings_wait_row", lang, hardware=t(f"hardware_{w.hardware}", lang), score=_seconds(w.score_s, lang),
          first=_seconds(w.first_score_s, lang), grade=_seconds(w.grade_s, lang),
          improve=_seconds(w.improve_s, lang))
        if w.fits else t("settings_wait_too_big", lang, hardware=t(f"hardware_{w.hardware}", lang))
        for w in waits
    ]  # fmt: skip
    st.markdown("\n".join(f"- {row}" for row in rows))
    st.caption(t("settings_wait_note", lang))
