"""Server-wide defaults: the model, provider URL and grading mode every candidate starts with."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from config import Settings
from practice.user_settings import save_server_defaults, server_defaults
from ui.i18n import t
from ui.resources import services
from ui.session import effective_settings, grader_mode

SHOWN = ("provider", "model", "ollama_url", "openai_base_url", "llm_timeout_s", "grader_mode")


def render(settings: Settings, lang: str) -> None:
    st.markdown(f"#### {t('coach_defaults_title', lang)}")
    st.caption(t("coach_defaults_help", lang))
    current = server_defaults(services().preferences)
    if current:
        rows = [{t("coach_defaults_col_setting", lang): name, t("coach_defaults_col_value", lang): str(current[name])}
                for name in SHOWN if name in current]  # fmt: skip
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.info(t("coach_defaults_none", lang))
    mine = effective_settings()
    proposal = {"provider": mine.provider, "model": mine.model, "llm_timeout_s": mine.llm_timeout_s,
                "ollama_url": mine.ollama_url, "openai_base_url": mine.openai_base_url,
                "grader_mode": grader_mode()}  # fmt: skip
    use, clear = st.columns(2)
    if use.button(t("coach_defaults_use_mine", lang), type="primary", key="cd_use"):
        save_server_defaults(services().preferences, proposal)
        st.success(t("coach_defaults_saved", lang))
    if clear.button(t("coach_defaults_clear", lang), disabled=not current, key="cd_clear"):
        save_server_defaults(services().preferences, {})
        st.success(t("coach_defaults_cleared", lang))
