"""Team mode: the sign-in form, the session cookie that survives a refresh, and signing out.

The browser keeps a random token in a cookie (set by a tiny script, as Streamlit cannot set
cookies from the server); the database keeps its hash and expiry, so every app server behind the
proxy recognises it. The profile is the account's name: nobody can type another candidate's.
"""

from __future__ import annotations

import math

import streamlit as st
import streamlit.components.v1 as components

from coach.accounts import sign_in
from config import get_settings
from storage.accounts import AccountStore, SignedIn
from ui.i18n import t

COOKIE = "agentprep_session"


@st.cache_resource(show_spinner=False)
def _accounts(database_url: str) -> AccountStore:
    return AccountStore(database_url)


def accounts() -> AccountStore:
    return _accounts(get_settings().sqlalchemy_url)


def _set_cookie(token: str, max_age_s: int) -> None:
    components.html(
        f"<script>parent.document.cookie = '{COOKIE}={token}; path=/; max-age={max_age_s}; SameSite=Strict';</script>",
        height=0,
    )


def current_user() -> SignedIn | None:
    """The signed-in person: this session's token, or the browser's cookie after a refresh; None if expired."""
    token = st.session_state.get("session_token") or st.context.cookies.get(COOKIE)
    user = accounts().signed_in(token)
    if user is None:
        st.session_state.pop("session_token", None)
        return None
    st.session_state["session_token"] = token
    st.session_state["profile"] = user.username  # the history shown is always the signed-in person's
    return user


def sign_in_form(lang: str) -> None:
    """The only thing a signed-out visitor sees on a shared server."""
    st.title(t("signin_title", lang))
    with st.form("sign-in"):
        username = st.text_input(t("signin_username", lang), max_chars=80)
        password = st.text_input(t("signin_password", lang), type="password")
        submitted = st.form_submit_button(t("signin_submit", lang), type="primary")
    if not submitted:
        return
    result = sign_in(accounts(), username, password, hours=get_settings().session_hours)
    if result.ok:
        st.session_state["session_token"] = st.session_state["new_session_token"] = result.token
        st.rerun()
    message = t("signin_wrong", lang) if result.error == "wrong" else ""
    if result.wait_s > 0:  # say how long the account now waits, so nobody hammers the button
        message = f"{message} {t('signin_wait', lang, seconds=math.ceil(result.wait_s))}".strip()
    st.error(message)


def remember_session() -> None:
    """After signing in, on the next run: store the token in the browser for the next refresh."""
    if token := st.session_state.pop("new_session_token", None):
        _set_cookie(token, int(get_settings().session_hours * 3600))


def sign_out() -> None:
    accounts().end_session(st.session_state.pop("session_token", None))
    _set_cookie("", 0)
