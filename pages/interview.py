"""Mock interview: choose a role and focus, talk with the interviewer, read and download the report."""

import streamlit as st

from core.i18n import number
from interview.intents import Intent
from interview.plan import FOCUSES, LEVELS, MAX_FOLLOW_UPS, MAX_QUESTIONS, InterviewConfig, label
from interview.prompting import phrase, without_images
from interview.report import build_report, question_grade, report_markdown
from interview.session import InterviewSession, Turn
from ui.dispute import render_dispute
from ui.grade_view import passages_from, render_grade
from ui.i18n import t
from ui.reader import passage_link
from ui.render import escape_markdown, safe_model_markdown
from ui.resources import load_bank, services
from ui.session import current_lang, current_profile, effective_settings, grader_mode

ANSWER_CHAR_LIMIT = 20_000
lang = current_lang()
profile = current_profile()
settings = effective_settings()
bank = load_bank()
app = services()
st.title(t("interview_title", lang))


def setup() -> None:
    st.caption(t("interview_intro", lang))
    with st.form("interview-setup"):
        st.subheader(t("interview_setup", lang))
        left, right = st.columns(2)
        level = left.selectbox(t("interview_level", lang), list(LEVELS), format_func=lambda k: label(k, lang))
        focus = right.selectbox(t("interview_focus", lang), list(FOCUSES), format_func=lambda k: label(k, lang))
        left, middle, right = st.columns(3)
        count = left.number_input(t("interview_count", lang), min_value=1, max_value=MAX_QUESTIONS, value=3)
        follow_ups = middle.number_input(
            t("interview_follow_ups", lang), min_value=0, max_value=MAX_FOLLOW_UPS, value=MAX_FOLLOW_UPS
        )
        interview_lang = right.selectbox(
            t("interview_language", lang), ["fr", "en"], index=0 if lang == "fr" else 1,
            format_func=lambda c: {"fr": "Français", "en": "English"}[c],
        )  # fmt: skip
        if not st.form_submit_button(t("interview_start", lang), type="primary"):
            return
    config = InterviewConfig(level, focus, interview_lang, int(count), int(follow_ups))
    session = app.start_interview(bank, profile, config, settings=settings, grader=grader_mode())
    if session is None:
        st.warning(t("interview_nothing", lang))
        return
    st.session_state.interview = session
    st.rerun()


def open_interview() -> InterviewSession | None:
    """This session's interview, or the profile's interview left open (a refresh, a restart)."""
    session = st.session_state.get("interview")
    if session is not None and session.profile == profile:
        return session
    session = app.resume_interview(bank, profile, settings=settings, grader=grader_mode())
    if session is not None:
        st.toast(t("interview_resumed", lang), icon=":material/restore:")
    st.session_state.interview = session
    return session


def show_turns(session: InterviewSession, turns: list[Turn]) -> None:
    """The transcript; the interviewer's turns in a row share one message, each followed by its reading link.

    An explanation after "I don't know" and the next question are one message but two turns, so
    the link to read sits under the explanation it belongs to, not under the next question.
    """
    message = None
    for turn in turns:
        if turn.role != "interviewer":
            message = None
            show_turn(session, turn)
            continue
        if message is None:
            message = st.chat_message("assistant", avatar=":material/record_voice_over:")
        with message:
            st.markdown(safe_model_markdown(turn.text))
            if turn.reading is not None:
                source, heading = turn.reading
                passage_link(source, lang, heading=heading, label=t("refs_read_in_context", lang))


def show_turn(session: InterviewSession, turn: Turn) -> None:
    """A candidate's turn, with the grade of the answer beneath it."""
    with st.chat_message("user"):
        st.markdown(escape_markdown(turn.text))
        if turn.run_index is None or turn.exchange_index is None:
            return
        run = session.runs[turn.run_index]
        exchange = run.exchanges[turn.exchange_index]
        pending = exchange.pending
        if pending is None:
            return
        if not pending.done:
            st.caption(t("interview_grading_pending", lang))
        elif pending.grade is None:
            st.caption(t("interview_grading_failed", lang, error=pending.error or "?"))
        else:
            with st.expander(t("interview_grade", lang, score=number(pending.grade.score, lang))):
                render_grade(pending.grade, lang, answer=exchange.graded_text, show_reasoning=False,
                             reference_answer=run.question.reference_answer.get(session.lang))
            render_dispute(pending.attempt_id, pending.grade, lang, app)


@st.fragment(run_every=2)
def refresh_when_graded(session: InterviewSession, waiting: int) -> None:
    """Rerun the page when a grade computed in the background arrives, so it appears under its answer."""
    if session.grades_waiting < waiting:
        st.rerun()


def show_report(session: InterviewSession) -> None:
    if not session.grades_ready():
        with st.spinner(t("interview_waiting", lang)):
            session.wait_for_grades(timeout=2 * settings.llm_timeout_s + 30)
    report = build_report(session, settings.corpus_dir)
    st.divider()
    st.header(t("interview_report", lang))
    st.markdown(report_markdown(report, transcript=False, reading=False))
    st.markdown(f"## {phrase('report_reading', session.lang)}")
    for reading in report.reading:
        passage_link(reading.source, lang)
    if not report.reading:
        st.markdown(phrase("report_no_reading", session.lang))
    for run in session.runs:
        grade = question_grade(run)  # the grade the report's strengths and gaps are read from
        if grade is not None:
            with st.expander(t("interview_question_grade", lang, n=run.number)):
                passages = passages_from(app.references_for(run.question, session.lang)[0])  # next steps' links
                render_grade(grade, lang, answer=run.cumulative_answer, show_reasoning=False, passages=passages,
                             reference_answer=run.question.reference_answer.get(session.lang))  # fmt: skip
    left, right = st.columns(2)
    left.download_button(
        t("interview_download", lang), report.markdown(), file_name=f"interview-{session.id[:8]}.md",
        mime="text/markdown", type="primary",
    )  # fmt: skip
    if right.button(t("interview_new", lang)):
        app.interviews.close(session)
        st.session_state.interview = None
        st.rerun()


session = open_interview()
if session is None:
    setup()
    st.stop()

if session.interviewer.uses_model:
    model_note = t("interview_model_on", lang, model=settings.model)
else:
    model_note = t("interview_model_off", lang)
st.caption(f"{label(session.config.level, lang)} · {label(session.config.focus, lang)} · {model_note}")
conversation = st.container()
with conversation:
    show_turns(session, session.transcript)
    if session.pending is not None and not session.pending.done:  # a message interrupted by a rerun
        with st.chat_message("assistant", avatar=":material/record_voice_over:"):
            st.write_stream(without_images(session.pending.stream()))

if not session.finished:
    progress_line = st.empty()
    buttons = st.columns(4)
    clicked = None
    for column, intent in zip(buttons, (Intent.hint, Intent.dont_know, Intent.skip, Intent.end), strict=True):
        if column.button(t(f"interview_{intent.value}", lang), key=f"interview-{intent.value}", width="stretch"):
            clicked = intent
    typed = st.chat_input(t("interview_input", lang), key="interview-input", max_chars=ANSWER_CHAR_LIMIT)
    if clicked or typed:
        before = len(session.transcript)
        utterance = session.reply(typed or "", None if typed else clicked)
        said = len(session.transcript)
        with conversation:
            show_turns(session, session.transcript[before:])
            with st.chat_message("assistant", avatar=":material/record_voice_over:"):
                st.write_stream(without_images(utterance.stream()))
        app.interviews.save(session)  # before a rerun: a refresh now resumes from here
        # The report; or an explanation with its reading link, shown as its own turn above the next question.
        if session.finished or any(turn.reading for turn in session.transcript[said:]):
            st.rerun()
    follow_ups = len(session.current_run.follow_ups) if session.current_run else 0
    progress = t("interview_progress", lang, n=len(session.runs), total=len(session.questions))
    progress_line.caption(progress + (f" · {t('interview_follow_up_n', lang, n=follow_ups)}" if follow_ups else ""))
    if session.grades_waiting:
        refresh_when_graded(session, session.grades_waiting)
    app.interviews.save(session)
else:
    show_report(session)
