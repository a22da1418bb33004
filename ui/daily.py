"""Today's practice, on Home and Progress: what is due, the streak, the goal, and one click to start."""

from __future__ import annotations

import streamlit as st

from core.i18n import moment
from practice.daily import MAX_DAILY_GOAL, daily_plan, set_daily_goal, start_review
from question_bank import QuestionBank
from ui.i18n import t
from ui.resources import services
from ui.session import browser_zone, current_profile


def _review_now(bank: QuestionBank, lang: str) -> None:
    """Start a quiz of what is due (it replaces an open quiz) and go to it."""
    profile = current_profile()
    quiz = start_review(bank, services().scheduler, profile, lang)
    if not quiz.items:
        return
    services().quizzes.save(quiz)
    st.session_state.quiz, st.session_state.quiz_retrying = quiz, False
    st.switch_page("pages/quiz.py", query_params=st.query_params.to_dict())  # keeps ?profile= and ?ui_lang=


def review_now_button(bank: QuestionBank, lang: str, due_now: int, *, key: str) -> None:
    """"Review now (N)": starts a quiz of what is due and opens it (Home and Progress)."""
    if st.button(t("home_review_now", lang, n=due_now), type="primary", disabled=due_now == 0,
                 key=f"{key}_review_now", icon=":material/replay:", width="stretch"):  # fmt: skip
        _review_now(bank, lang)


def _save_goal(profile: str, widget_key: str) -> None:
    set_daily_goal(services().preferences, profile, int(st.session_state[widget_key]))


def render_today(bank: QuestionBank, lang: str, *, key: str = "home") -> None:
    profile = current_profile()
    zone = browser_zone()
    plan = daily_plan(services().attempts, services().scheduler, services().preferences, profile, zone)
    with st.container(border=True):
        st.markdown(f"#### {t('home_today', lang)}")
        due, streak, goal = st.columns(3)
        due.metric(t("home_due_now", lang), plan.due_now)
        streak.metric(t("home_streak", lang), plan.streak,
                      help=t("home_streak_help", lang))  # fmt: skip
        goal.metric(t("home_goal_progress", lang), t("home_goal_value", lang, done=plan.answered_today, goal=plan.goal))
        if plan.goal_met:
            st.success(t("home_goal_met", lang), icon=":material/celebration:")
        review, practice = st.columns(2)
        with review:
            review_now_button(bank, lang, plan.due_now, key=key)
        resume = services().quizzes.unfinished(profile)
        if practice.button(t("home_resume_quiz" if resume else "home_start", lang), key=f"{key}_quiz",
                           icon=":material/quiz:", width="stretch"):  # fmt: skip
            if not resume:  # a finished quiz's summary was read: "Start a quiz" opens the set-up
                services().quizzes.close_finished(profile)
                st.session_state.pop("quiz", None)
            st.switch_page("pages/quiz.py", query_params=st.query_params.to_dict())
        if plan.due_now == 0:
            if plan.next_review is None:
                st.caption(t("home_no_cards", lang))
            else:
                when = moment(plan.next_review, lang, plan.today)
                st.caption(t("home_nothing_due", lang, when=when))
        st.number_input(t("home_goal_set", lang), min_value=1, max_value=MAX_DAILY_GOAL, value=plan.goal, step=1,
                        key=f"{key}_goal", on_change=_save_goal, args=(profile, f"{key}_goal"))  # fmt: skip


