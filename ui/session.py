"""Per-browser-session choices: language and profile. Set in the sidebar, read by every page."""

from __future__ import annotations

import re

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
