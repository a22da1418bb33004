"""The sidebar's grader line: which grader is active and whether its model is reachable."""

from __future__ import annotations

import hashlib
import threading
import time

import streamlit as st

from llm_server.health import Health, check_health, readable_model_name
from ui.i18n import t
from ui.session import effective_settings, grader_mode

HEALTH_TTL_S = 30.0
HEALTH_TIMEOUT_S = 1.5

# One answer per LLM server, model and language, shared by every session of this server process.
_health: dict[tuple, tuple[float, Health]] = {}
_refreshing: set[tuple] = set()
_lock = threading.Lock()


def _key(settings, lang: str) -> tuple:  # type: ignore[no-untyped-def]
    url = settings.ollama_url if settings.provider == "ollama" else settings.openai_base_url
    api_key = hashlib.sha256(settings.openai_api_key.get_secret_value().encode()).hexdigest()
    return settings.provider, url, settings.model, api_key, lang


def _check(key: tuple, settings, lang: str) -> tuple[float, Health]:  # type: ignore[no-untyped-def]
    try:
        entry = (time.time(), check_health(settings, timeout_s=HEALTH_TIMEOUT_S, lang=lang))
        with _lock:
            _health[key] = entry
        return entry
    finally:
        with _lock:
            _refreshing.discard(key)


def server_health(settings, lang: str) -> tuple[float, Health]:  # type: ignore[no-untyped-def]
    """(when checked, health). Only the first check of a server waits (at most HEALTH_TIMEOUT_S);
    after that every page gets the last answer at once, refreshed in the background when stale."""
    key = _key(settings, lang)
    with _lock:
        entry = _health.get(key)
        refresh = entry is not None and time.time() - entry[0] > HEALTH_TTL_S and key not in _refreshing
        if refresh:
            _refreshing.add(key)
    if entry is None:
        return _check(key, settings, lang)
    if refresh:
        threading.Thread(target=_check, args=(key, settings, lang), name="llm-health", daemon=True).start()
    return entry


def model_answers() -> bool:
    """True when the candidate lets a model work and the sidebar's last check found it answering.

    The chat pages (the interviewer, "Ask the material") ask this before building a model: when it
    is False they fall back to template sentences or to the excerpts alone, without waiting on a
    server that is known to be down.
    """
    health = st.session_state.get("health_cache")
    return grader_mode() != "embedded" and bool(health) and health[1].ok


def render_grader_status(lang: str) -> None:
    """Page changes and new sessions stay instant: the check is shared and refreshed in the background."""
    st.caption(t("sidebar_grader", lang))
    if grader_mode() == "embedded":
        st.markdown(t("health_embedded", lang))
        return
    settings = effective_settings()
    cached = st.session_state.get("health_cache")
    if not cached or time.time() - cached[0] > HEALTH_TTL_S or cached[2] != lang:
        checked_at, health = server_health(settings, lang)
        cached = (checked_at, health, lang)
        st.session_state["health_cache"] = cached  # the interview and ask pages read it too
    health = cached[1]
    if health.ok:
        # llama.cpp servers name a model by its file's full path: show the file's name, the full id on hover.
        shown = readable_model_name(settings.model)
        st.markdown(t("health_ok", lang, model=shown), help=settings.model if shown != settings.model else None)
    else:
        st.markdown(t("health_down", lang))
        st.caption(health.message + (f" {health.fix}" if health.fix else ""))
