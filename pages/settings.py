"""Settings: provider, URL, model, time-out, grading mode; the data locations, read-only."""

import httpx
import streamlit as st

from llm_server.health import check_health
from llm_server.providers import list_models
from ui.i18n import t
from ui.model_wait import render_expected_wait
from ui.session import current_lang, effective_settings, grader_mode

lang = current_lang()
settings = effective_settings()
st.title(t("settings_title", lang))

# Widget state is dropped when a page is not shown: keep the choice under a key of its own.
modes = ["auto", "embedded"]
chosen_mode = st.radio(
    t("settings_grader_mode", lang),
    modes,
    index=modes.index(grader_mode()),
    format_func=lambda mode: t(f"grader_{mode}", lang),
)
st.session_state["grader_mode"] = chosen_mode

providers = ["ollama", "openai"]
provider = st.selectbox(
    t("settings_provider", lang),
    providers,
    index=providers.index(settings.provider),
    format_func=lambda p: t(f"settings_provider_{p}", lang),
)
default_url = settings.ollama_url if provider == "ollama" else settings.openai_base_url
url = st.text_input(t("settings_url", lang), value=default_url).strip()
api_key = ""
if provider == "openai":
    api_key = st.text_input(t("settings_api_key", lang), type="password")

candidate = settings.model_copy(
    update={"provider": provider, "ollama_url" if provider == "ollama" else "openai_base_url": url}
)
try:
    models = list_models(candidate, timeout_s=2.0) if url else []
except (httpx.HTTPError, ValueError):  # server down or not a model server: type the name instead
    models = []
if models:
    index = models.index(settings.model) if settings.model in models else 0
    model = st.selectbox(t("settings_model", lang), models, index=index)
else:
    model = st.text_input(t("settings_model_manual", lang), value=settings.model).strip()
render_expected_wait(model or settings.model, lang)
timeout = st.number_input(t("settings_timeout", lang), min_value=5, max_value=900, value=int(settings.llm_timeout_s))

overrides = {
    "provider": provider,
    "model": model or settings.model,
    "llm_timeout_s": float(timeout),
    "ollama_url" if provider == "ollama" else "openai_base_url": url,
}
if api_key:
    from pydantic import SecretStr

    overrides["openai_api_key"] = SecretStr(api_key)

test_col, apply_col = st.columns(2)
if test_col.button(t("settings_test", lang)):
    health = check_health(settings.model_copy(update=overrides), timeout_s=5.0, lang=lang)
    if health.ok:
        st.success(t("settings_ok", lang, message=health.message))
    else:
        st.error(health.message)
        if health.fix:
            st.info(health.fix)
if apply_col.button(t("settings_apply", lang), type="primary"):
    st.session_state["settings_overrides"] = overrides
    st.session_state.pop("health_cache", None)
    st.success(t("settings_applied", lang))

st.divider()
st.text_input(t("settings_data_dir", lang), value=str(settings.data_dir), disabled=True)
st.text_input(t("settings_database", lang), value=settings.sqlalchemy_url.split("@")[-1], disabled=True)
store = settings.chroma_url or (f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else None)
st.text_input(t("settings_store", lang), value=store or str(settings.chroma_dir), disabled=True)
