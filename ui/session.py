"""Per-browser-session choices: language and profile. Set in the sidebar, read by every page."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from config import get_settings
from core.text import DEFAULT_PROFILE, clean_profile_name  # noqa: F401 - the pages import them from here


def current_lang() -> str:
    return st.session_state.get("lang") or get_settings().language


def current_profile() -> str:
    return clean_profile_name(st.session_state.get("profile"))


def keep_in_url(name: str, value: str, *, default: str | None = None) -> None:
    """The choice goes in the URL, so a refresh, a bookmark or a shared link keeps it (a default stays out)."""
    if value == default:
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != value:
        st.query_params[name] = value


def browser_zone() -> tzinfo:
    """The candidate's time zone, as their browser reports it; the server's when it does not."""
    name = st.context.timezone
    try:
        return ZoneInfo(name) if name else _server_zone()
    except (ZoneInfoNotFoundError, ValueError):
        return _server_zone()


def _server_zone() -> tzinfo:
    return datetime.now().astimezone().tzinfo or UTC


def _load_saved_choices() -> None:
    """Once per browser session and profile: the coach's server defaults and the candidate's saved choices."""
    profile = current_profile()
    if st.session_state.get("settings_loaded_for") == profile:
        return
    from practice.user_settings import saved_choices
    from ui.resources import services

    choices = saved_choices(services().preferences, profile)
    mode = choices.pop("grader_mode", None)
    if mode:
        st.session_state["grader_mode"] = mode
    # What this session already chose wins (an API key, for one, is only ever kept in the session).
    st.session_state["settings_overrides"] = choices | (st.session_state.get("settings_overrides") or {})
    st.session_state["settings_loaded_for"] = profile


def effective_settings():  # type: ignore[no-untyped-def]
    """The process's settings, then the coach's server defaults, then this candidate's own choices."""
    _load_saved_choices()
    overrides = st.session_state.get("settings_overrides") or {}
    base = get_settings()
    return base.model_copy(update=overrides) if overrides else base


def grader_mode() -> str:
    """'auto' (the LLM, falling back to the embedded grader) or 'embedded' (never call an LLM)."""
    _load_saved_choices()
    return st.session_state.get("grader_mode", "auto")
