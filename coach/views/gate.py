"""The login form in front of the studio. The logic (hashing, back-off) is in coach/auth.py."""

from __future__ import annotations

import math
import secrets

import streamlit as st

from coach.auth import attempt_login, gate_required, is_unlocked
from config import Settings
from ui.i18n import t

UNLOCKED_UNTIL = "coach_unlocked_until"  # the only trace of a login kept in session state
_FORM_GENERATION = "coach_login_generation"
_LAST_ERROR = "coach_login_error"


def _session_key() -> str:
    """A random id for this browser session, for the per-session back-off."""
    if "coach_session_key" not in st.session_state:
        st.session_state["coach_session_key"] = secrets.token_hex(16)
    return st.session_state["coach_session_key"]


def render_gate(settings: Settings, lang: str) -> bool:
    """True if the studio may be shown; otherwise draw only the login form."""
    if is_unlocked(settings, st.session_state.get(UNLOCKED_UNTIL)):
        if gate_required(settings) and st.sidebar.button(t("coach_lock", lang), icon=":material/lock:"):
            st.session_state.pop(UNLOCKED_UNTIL, None)
            st.rerun()
        return True
    st.session_state.pop(UNLOCKED_UNTIL, None)
    generation = st.session_state.get(_FORM_GENERATION, 0)
    with st.form("coach-login", clear_on_submit=True):
        st.subheader(t("coach_login_title", lang))
        st.caption(t("coach_login_help", lang))
        # A new key after each try: the typed password leaves session state at the rerun below.
        password = st.text_input(t("coach_password", lang), type="password", key=f"coach_password_{generation}")
        submitted = st.form_submit_button(t("coach_login", lang), type="primary")
    if submitted:
        result = attempt_login(password or "", settings, _session_key())
        del password
        st.session_state[_FORM_GENERATION] = generation + 1
        if result.ok:
            st.session_state[UNLOCKED_UNTIL] = result.unlocked_until
            st.session_state.pop(_LAST_ERROR, None)
        else:
            st.session_state[_LAST_ERROR] = (result.error, math.ceil(result.wait_s))
        st.rerun()
    error = st.session_state.get(_LAST_ERROR)
    if error:
        code, wait = error
        if code == "bad_hash":
            st.error(t("coach_bad_hash", lang))
        elif code == "throttled":
            st.error(t("coach_throttled", lang, seconds=wait))
        else:
            st.error(t("coach_wrong_password", lang) + (" " + t("coach_wait", lang, seconds=wait) if wait else ""))
    return False
