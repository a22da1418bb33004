"""Settings: provider, URL, model, time-out, grading mode; the data locations, read-only."""

import streamlit as st
from pydantic import SecretStr

from llm_server.health import check_health, readable_model_name
from practice.user_settings import save_choices
from ui.i18n import t
from ui.model_wait import render_expected_wait
from ui.resources import services
from ui.session import current_lang, current_profile, effective_settings, grader_mode

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
if chosen_mode != grader_mode():  # kept for this candidate, on every server and after a refresh
    st.session_state["grader_mode"] = chosen_mode
    save_choices(services().preferences, current_profile(), {"grader_mode": chosen_mode})

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
    | ({"openai_api_key": SecretStr(api_key)} if api_key else {})
)
# The URL is checked as written before anything is asked of it; then the server's list fills the picker.
probe = check_health(candidate, timeout_s=2.0, lang=lang)
if probe.kind == "bad_url":
    st.error(probe.message)
models = probe.models
if models:
    index = models.index(settings.model) if settings.model in models else 0
    model = st.selectbox(t("settings_model", lang), models, index=index, format_func=readable_model_name)
else:  # say why there is no list: "the server did not list its models" is wrong when no server answered
    why = {"bad_url": "settings_model_bad_url", "down": "settings_model_unreachable"}
    label = t(why.get("down" if probe.unreachable else probe.kind, "settings_model_manual"), lang)
    model = st.text_input(label, value=settings.model, key="settings_model_name").strip()
render_expected_wait(model or settings.model, lang)
timeout = st.number_input(t("settings_timeout", lang), min_value=5, max_value=900, value=int(settings.llm_timeout_s))

overrides = {
    "provider": provider,
    "model": model or settings.model,
    "llm_timeout_s": float(timeout),
    "ollama_url" if provider == "ollama" else "openai_base_url": url,
}
if api_key:
    overrides["openai_api_key"] = SecretStr(api_key)

test_col, apply_col = st.columns(2)
bad_url = probe.kind == "bad_url"  # the error above says what to correct; nothing to test or apply until then
if test_col.button(t("settings_test", lang), disabled=bad_url):
    health = check_health(settings.model_copy(update=overrides), timeout_s=5.0, lang=lang)
    if health.ok:
        st.success(t("settings_ok", lang, message=health.message))
    else:
        st.error(health.message)
        if health.fix:
            st.info(health.fix)
if apply_col.button(t("settings_apply", lang), type="primary", disabled=bad_url):
    st.session_state["settings_overrides"] = overrides
    # never the API key
    save_choices(services().preferences, current_profile(), {**overrides, "grader_mode": chosen_mode})
    st.success(t("settings_applied", lang))

st.divider()
st.text_input(t("settings_data_dir", lang), value=str(settings.data_dir), disabled=True)
st.text_input(t("settings_database", lang), value=settings.sqlalchemy_url.split("@")[-1], disabled=True)
store = settings.chroma_url or (f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else None)
st.text_input(t("settings_store", lang), value=store or str(settings.chroma_dir), disabled=True)
