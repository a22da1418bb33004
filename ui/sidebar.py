"""The sidebar's grader line: which grader is active and whether its model is reachable."""

from __future__ import annotations

import streamlit as st

from llm_server.health import readable_model_name
from ui.i18n import t
from ui.resources import services
from ui.session import effective_settings, grader_mode


def render_grader_status(lang: str) -> None:
    """Page changes and new sessions stay instant: the check is shared and refreshed in the background."""
    st.caption(t("sidebar_grader", lang))
    if grader_mode() == "embedded":
        st.markdown(t("health_embedded", lang))
        return
    settings = effective_settings()
    health = services().health.health(settings, lang)  # the process's one check: the pages' model choice reads it
    if health.ok:
        # llama.cpp servers name a model by its file's full path: show the file's name, the full id on hover.
        shown = readable_model_name(settings.model)
        st.markdown(t("health_ok", lang, model=shown), help=settings.model if shown != settings.model else None)
    else:
        st.markdown(t("health_down", lang))
        st.caption(health.message + (f" {health.fix}" if health.fix else ""))
