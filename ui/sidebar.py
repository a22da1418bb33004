"""The sidebar's grader line: which grader is active and whether its model is reachable."""

from __future__ import annotations

import time

import streamlit as st

from llm.health import check_health
from ui.i18n import t
from ui.session import effective_settings, grader_mode

HEALTH_TTL_S = 30.0


def render_grader_status(lang: str) -> None:
    """Checked at most every 30 s per session, so page changes stay instant."""
    st.caption(t("sidebar_grader", lang))
    if grader_mode() == "embedded":
        st.markdown(t("health_embedded", lang))
        return
    settings = effective_settings()
    cached = st.session_state.get("health_cache")
    if not cached or time.time() - cached[0] > HEALTH_TTL_S or cached[2] != lang:
        cached = (time.time(), check_health(settings, timeout_s=1.5, lang=lang), lang)
        st.session_state["health_cache"] = cached
    health = cached[1]
    if health.ok:
        st.markdown(t("health_ok", lang, model=settings.model))
    else:
        st.markdown(t("health_down", lang))
        st.caption(health.message + (f" {health.fix}" if health.fix else ""))
