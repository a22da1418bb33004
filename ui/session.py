"""Per-browser-session choices: language and profile. Set in the sidebar, read by every page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from config import get_settings

_PROFILE_ALLOWED = re.compile(r"[^\w .@-]+", re.UNICODE)
DEFAULT_PROFILE = "default"


def current_lang() -> str:
    return st.session_state.get("lang") or get_settings().language


def clean_profile_name(raw: str | None) -> str:
    """Profile names are labels, not paths or markup: keep letters, digits, space . @ - _."""
    name = _PROFILE_ALLOWED.sub("", (raw or "").strip())[:40].strip()
    return name or DEFAULT_PROFILE


def current_profile() -> str:
    return clean_profile_name(st.session_state.get("profile"))


def browser_zone() -> tzinfo:
    """The candidate's time zone, as their browser reports it; the server's when it does not."""
    name = st.context.timezone
    try:
        return ZoneInfo(name) if name else _server_zone()
    except (ZoneInfoNotFoundError, ValueError):
        return _server_zone()


def _server_zone() -> tzinfo:
    return datetime.now().astimezone().tzinfo or UTC


def effective_settings():  # type: ignore[no-untyped-def]
    """The settings with this browser session's overrides from the Settings page applied."""
    overrides = st.session_state.get("settings_overrides") or {}
    base = get_settings()
    return base.model_copy(update=overrides) if overrides else base


def grader_mode() -> str:
    """'auto' (the LLM, falling back to the embedded grader) or 'embedded' (never call an LLM)."""
    return st.session_state.get("grader_mode", "auto")
