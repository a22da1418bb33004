"""The Settings page's "how long will I wait?" for the chosen model, from `evaluators.budget`."""

from __future__ import annotations

import streamlit as st

from core.i18n import number
from evaluators.budget import Wait, expected_waits, model_size_b
from llm_server.health import readable_model_name
from ui.i18n import t

TINY_MODEL_B = 1.0
"""Below this many billion parameters a model is not assumed any faster: per-token costs that do not
shrink with the model (its vocabulary, the server) dominate. SmolLM2-135M on a 2-core CPU reads about
60 prompt tokens/s and writes about 12, no faster than the 4B reference. Such a model also seldom holds
the grading format."""


def wait_text(seconds: float, lang: str) -> str:
    """A wait as shown: "~31 s", "~1.5 s", or "under a second" rather than "~0.1 s", which no server keeps to."""
    if seconds < 1:
        return t("settings_wait_under_second", lang)
    return t("settings_wait_seconds", lang, seconds=number(seconds, lang, digits=0 if seconds >= 10 else 1))


def wait_row(wait: Wait, lang: str) -> str:
    """One kind of machine: the model does not fit, everything comes within a second, or each wait."""
    hardware = t(f"hardware_{wait.hardware}", lang)
    if not wait.fits:
        return t("settings_wait_too_big", lang, hardware=hardware)
    if max(wait.first_score_s, wait.grade_s, wait.improve_s) < 1:
        return t("settings_wait_row_instant", lang, hardware=hardware)
    return t("settings_wait_row", lang, hardware=hardware, score=wait_text(wait.score_s, lang),
             first=wait_text(wait.first_score_s, lang), grade=wait_text(wait.grade_s, lang),
             improve=wait_text(wait.improve_s, lang))  # fmt: skip


def render_expected_wait(model: str, lang: str) -> None:
    """Per kind of machine: the wait for the score (first and later answers), the whole grade, the advice."""
    name = readable_model_name(model)
    size = model_size_b(name)
    # `expected_waits` scales speed by size without a floor: a 135M model would grade in 0.1 s.
    waits = expected_waits(name if size is None or size >= TINY_MODEL_B else f"{TINY_MODEL_B}b")
    st.markdown(f"**{t('settings_wait_title', lang, model=name)}**", help=model if name != model else None)
    if waits is None:
        st.caption(t("settings_wait_unknown", lang, model=name))
        return
    st.markdown("\n".join(f"- {wait_row(w, lang)}" for w in waits))
    if size is not None and size < TINY_MODEL_B:
        st.caption(t("settings_wait_tiny", lang, model=name))
    st.caption(t("settings_wait_note", lang))
