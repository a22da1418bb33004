"""AgentPrep entry point: navigation and the sidebar. Pages live in `pages/` and stay thin."""

import streamlit as st

from config import get_settings
from services.knowledge_build import note_activity
from ui.i18n import t
from ui.resources import start_knowledge_build
from ui.session import DEFAULT_PROFILE, clean_profile_name, current_lang, current_profile, keep_in_url
from ui.sidebar import render_grader_status

note_activity()
st.set_page_config(page_title="AgentPrep", page_icon=":material/school:", layout="wide")

if "lang" not in st.session_state:  # a refresh or a bookmark keeps the language through the URL's ?ui_lang=
    from_url = st.query_params.get("ui_lang")
    st.session_state["lang"] = from_url if from_url in ("fr", "en") else current_lang()
if "profile" not in st.session_state:  # and the profile through ?profile=
    st.session_state["profile"] = clean_profile_name(st.query_params.get("profile"))



def _language_picked() -> None:
    st.session_state["lang"] = st.session_state["lang_picker"]


def _profile_picked() -> None:
    st.session_state["profile"] = clean_profile_name(st.session_state["profile_picker"])


with st.sidebar:
    # The language and the profile live in their own keys, not in the widgets': a widget's state can be
    # dropped when a click interrupts a run that is still drawing (a busy server), and the page would
    # turn French or the answers go to the default profile.
    st.selectbox(
        t("sidebar_language", current_lang()),
        options=["fr", "en"],
        index=["fr", "en"].index(current_lang()),
        format_func=lambda code: {"fr": "Français", "en": "English"}[code],
        key="lang_picker",
        on_change=_language_picked,
    )
    lang = current_lang()
    keep_in_url("ui_lang", lang)

user = None
if get_settings().team_mode:  # a shared server: nobody goes further without signing in
    from ui.account import current_user, remember_session, sign_in_form, sign_out

    user = current_user()
    if user is None:
        sign_in_form(lang)
        st.stop()
    remember_session()

with st.sidebar:
    if user is None:
        st.text_input(t("sidebar_profile", lang), value=current_profile(), key="profile_picker", max_chars=40,
                      help=t("sidebar_profile_help", lang), on_change=_profile_picked)  # fmt: skip
        keep_in_url("profile", current_profile(), default=DEFAULT_PROFILE)
    else:
        st.caption(t("signin_as", lang, name=user.username, role=t(f"role_{user.role}", lang)))
        st.button(t("signin_out", lang), on_click=sign_out, icon=":material/logout:", key="sign_out")
    render_grader_status(lang)

pages = {
    t("nav_section_practice", lang): [
        st.Page("pages/home.py", title=t("nav_home", lang), icon=":material/home:", default=True),
        st.Page("pages/quiz.py", title=t("nav_quiz", lang), icon=":material/quiz:"),
        st.Page("pages/interview.py", title=t("nav_interview", lang), icon=":material/record_voice_over:"),
        st.Page("pages/ask.py", title=t("nav_ask", lang), icon=":material/forum:"),
        st.Page("pages/read.py", title=t("nav_read", lang), icon=":material/menu_book:"),
        st.Page("pages/progress.py", title=t("nav_progress", lang), icon=":material/trending_up:"),
    ],
    t("nav_section_manage", lang): [
        *([st.Page("pages/coach.py", title=t("nav_coach", lang), icon=":material/edit_note:")]
          if user is None or user.is_coach else []),  # a candidate on a shared server never opens the studio
        st.Page("pages/settings.py", title=t("nav_settings", lang), icon=":material/settings:"),
    ],
}
try:
    st.navigation(pages).run()
finally:
    note_activity()
if get_settings().index_on_start:
    start_knowledge_build()  # after the page is drawn, in a background process: the page shows at once
