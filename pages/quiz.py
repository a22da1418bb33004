"""Quiz: set up, answer, see the grade stream in, retry, and read the summary."""

import time

import pandas as pd
import streamlit as st

from core.i18n import number
from practice.grading import Submission
from practice.quiz import MAX_QUESTIONS, QuizConfig, summarize
from ui.dispute import render_dispute
from ui.grade_view import can_improve, passages_from, render_grade
from ui.i18n import t
from ui.reader import passage_link
from ui.render import escape_markdown, render_attempts_side_by_side, render_references, show_grading
from ui.resources import load_bank, services, start_knowledge_build
from ui.session import current_lang, current_profile, effective_settings, grader_mode

ANSWER_CHAR_LIMIT = 20_000
lang = current_lang()
profile = current_profile()
bank = load_bank()
settings = effective_settings()
app = services()
st.title(t("quiz_title", lang))


def setup_form() -> None:
    with st.form("quiz-setup"):
        st.subheader(t("quiz_setup", lang))
        topics = st.multiselect(
            t("quiz_topics", lang), list(bank.topics), format_func=lambda x: bank.topic_label(x, lang),
            placeholder=t("filter_all", lang), select_all=False,
        )
        levels = st.multiselect(
            t("quiz_levels", lang), ["basic", "intermediate", "advanced"], format_func=lambda x: t(f"level_{x}", lang),
            placeholder=t("filter_all", lang), select_all=False,
        )
        kinds = st.multiselect(
            t("quiz_kinds", lang), ["technical", "behavioral"], format_func=lambda x: t(f"kind_{x}", lang),
            placeholder=t("filter_all", lang), select_all=False,
        )
        left, middle, right = st.columns(3)
        count = left.number_input(t("quiz_count", lang), min_value=1, max_value=MAX_QUESTIONS, value=5)
        quiz_lang = middle.selectbox(
            t("quiz_language", lang), ["fr", "en"], index=0 if lang == "fr" else 1,
            format_func=lambda c: {"fr": "Français", "en": "English"}[c],
        )  # fmt: skip
        timer = right.number_input(t("quiz_timer", lang), min_value=0, max_value=60, value=0)
        due_only = st.checkbox(t("quiz_due_only", lang))
        adaptive = st.checkbox(t("quiz_adaptive", lang), help=t("quiz_adaptive_help", lang))
        if st.form_submit_button(t("quiz_start", lang), type="primary"):
            config = QuizConfig(
                tuple(topics), tuple(levels), tuple(kinds), int(count), quiz_lang, due_only, int(timer), adaptive
            )
            quiz = app.start_quiz(bank, profile, config)
            if not quiz.items:
                st.warning(t("quiz_nothing_due" if due_only else "quiz_nothing", lang))
                return
            st.session_state.quiz = quiz
            st.session_state.quiz_retrying = False
            keep(quiz)
            st.rerun()


def keep(quiz) -> None:  # type: ignore[no-untyped-def]
    """Save the quiz on the server after every step: a refresh or a restart picks it up here."""
    app.quizzes.save(quiz, retrying=bool(st.session_state.get("quiz_retrying")))


def open_quiz():  # type: ignore[no-untyped-def]
    """This session's quiz, or the profile's quiz left open (a refresh, another tab, a restart)."""
    quiz = st.session_state.get("quiz")
    if quiz is not None and quiz.profile == profile:
        return quiz
    resumed = app.quizzes.resume(profile)
    st.session_state.quiz, st.session_state.quiz_retrying = resumed or (None, False)
    if resumed is not None:
        st.toast(t("quiz_resumed", lang), icon=":material/restore:")
    return st.session_state.quiz


@st.fragment(run_every=1)
def countdown(deadline: float) -> None:
    left = int(deadline - time.time())
    if left > 0:
        st.caption(t("quiz_timer_left", lang, left=f"{left // 60}:{left % 60:02d}"))
    else:
        st.warning(t("quiz_timer_over", lang))


def ask_current(quiz) -> None:  # type: ignore[no-untyped-def]
    item = quiz.current
    question = bank.get(item.question_id)
    question_header(quiz, question)
    if not item.grades or st.session_state.get("quiz_retrying"):
        answer_form(quiz, item, question)
    else:
        graded_view(quiz, item, question)


def question_header(quiz, question) -> None:  # type: ignore[no-untyped-def]
    qlang, item, total = quiz.config.lang, quiz.current, quiz.planned_total
    st.progress(quiz.position / total, text=t("quiz_progress", lang, n=quiz.position + 1, total=total))
    if item.pick is not None:
        st.info(item.pick.reason(lang, bank.topic_label), icon="🎯")
    topics = " · ".join(bank.topic_label(x, lang) for x in question.topics)
    st.caption(f"{t(f'level_{question.level.value}', lang)} · {t(f'kind_{question.kind.value}', lang)} · {topics}")
    st.markdown(f"### {escape_markdown(question.prompt_in(qlang))}")
    if not question.written_in(qlang):  # a coach wrote it in one language only: answer in either
        st.caption(t("quiz_written_in_only", lang, language=t(f"language_{question.languages[0]}", lang)))


def answer_form(quiz, item, question) -> None:  # type: ignore[no-untyped-def]
    """The answer box (with an answer saved but never graded put back), Skip, and Submit → the grade streams in."""
    shown_key = f"shown-{quiz.id}-{quiz.position}-{len(item.grades)}"
    st.session_state.setdefault(shown_key, time.time())
    if quiz.config.timer_minutes:
        countdown(st.session_state[shown_key] + 60 * quiz.config.timer_minutes)
    saved_answer = app.saved_answer(quiz)
    if saved_answer:
        st.info(t("quiz_saved_answer_back", lang), icon=":material/restore:")
    with st.form(f"answer-{quiz.id}-{quiz.position}-{len(item.grades)}"):
        answer = st.text_area(t("quiz_answer", lang), value=saved_answer or "", height=220,
                              placeholder=t("quiz_answer_placeholder", lang))  # fmt: skip
        submitted = st.form_submit_button(t("quiz_submit", lang), type="primary")
    if st.button(t("quiz_skip", lang)):
        app.next_question(quiz, bank)
        st.session_state.quiz_retrying = False
        keep(quiz)
        st.rerun()
    if not submitted:
        return
    if not answer.strip():
        st.warning(t("quiz_empty_answer", lang))
        return
    if len(answer) > ANSWER_CHAR_LIMIT:
        st.info(t("quiz_too_long", lang, limit=ANSWER_CHAR_LIMIT))
    submission = Submission(
        profile=profile, question=question, answer=answer, lang=quiz.config.lang, mode="quiz", session_id=quiz.id,
        retry_of=item.attempt_ids[-1] if item.attempt_ids else None,
        answer_seconds=round(time.time() - st.session_state[shown_key], 1),
    )  # fmt: skip
    run = app.submit(submission, settings=settings, grader=grader_mode())
    grade, error = show_grading(run, lang)
    if grade is None:
        st.error(t("quiz_grading_failed", lang, error=error or "?"))
        return
    quiz.record(run.attempt_id, answer, grade)
    st.session_state.quiz_retrying = False
    keep(quiz)
    st.rerun()


def graded_view(quiz, item, question) -> None:  # type: ignore[no-untyped-def]
    """The grade, its actions (improve, grade again, contest), the course passages, and where to go next."""
    qlang, grade, attempt_id = quiz.config.lang, item.grades[-1], item.attempt_ids[-1]
    if len(item.grades) >= 2:
        render_attempts_side_by_side(item.answers, item.grades, lang)
    passages = passages_from(app.references_for(question, qlang)[0])
    render_grade(grade, lang, answer=item.answers[-1], passages=passages,
                 reference_answer=question.reference_answer.get(qlang))  # fmt: skip
    if can_improve(grade) and st.button(
        t("grade_improve", lang), key=f"improve-{attempt_id}", help=t("grade_improve_help", lang)
    ):
        advice(item, question, qlang)
    if grade.grader == "llm" and st.button(t("grade_fresh", lang), key=f"fresh-{attempt_id}"):
        fresh_grade(item, question, qlang)
    render_dispute(attempt_id, grade, lang, app)
    references_block(question, qlang)
    retry, next_q, end = st.columns(3)
    if retry.button(t("quiz_retry", lang)):
        st.session_state.quiz_retrying = True
        keep(quiz)
        st.rerun()
    if next_q.button(t("quiz_next", lang), type="primary"):
        app.next_question(quiz, bank)
        keep(quiz)
        st.rerun()
    if end.button(t("quiz_finish", lang)):
        quiz.position = len(quiz.items)
        keep(quiz)
        st.rerun()


def fresh_grade(item, question, qlang: str) -> None:  # type: ignore[no-untyped-def]
    """Grade the same saved attempt again, past the grade cache; the new grade replaces the shown one."""
    run = app.regrade(item.attempt_ids[-1], question, item.answers[-1], profile=profile, lang=qlang,
                      settings=settings, grader=grader_mode())  # fmt: skip
    grade, error = show_grading(run, lang)
    if grade is None:
        st.error(t("quiz_grading_failed", lang, error=error or "?"))
        return
    item.grades[-1] = grade
    st.rerun()


def advice(item, question, qlang: str) -> None:  # type: ignore[no-untyped-def]
    """ "How do I improve?": one short call; the completed grade replaces the shown one (same score)."""
    events = app.improve(item.attempt_ids[-1], question, item.answers[-1], item.grades[-1], lang=qlang,
                         settings=settings)  # fmt: skip
    grade, error = show_grading(events, lang, title_key="grade_improving")
    if grade is None:
        st.warning(escape_markdown(error or "?"))
        return
    item.grades[-1] = grade
    st.rerun()


def references_block(question, qlang: str) -> None:  # type: ignore[no-untyped-def]
    refs, error = app.references_for(question, qlang)
    if refs is None and not start_knowledge_build().done.is_set():
        waiting_for_index(question, qlang)
        return
    render_references(refs, lang, error=error)


@st.fragment(run_every=2)
def waiting_for_index(question, qlang: str) -> None:  # type: ignore[no-untyped-def]
    """Polls while the index is built in the background, then redraws the page with the excerpts."""
    if start_knowledge_build().done.is_set():
        st.rerun()
    render_references(None, lang, error=app.references_for(question, qlang)[1])


def show_summary(quiz) -> None:  # type: ignore[no-untyped-def]
    summary = summarize(quiz, bank)
    st.subheader(t("quiz_summary", lang))
    if summary.average is not None:
        st.metric(t("col_average", lang), f"{number(summary.average, lang)}/10")
    rows = [
        {t("col_question", lang): bank.get(qid).prompt_in(quiz.config.lang) if bank.get(qid) else qid,
         # text, not a number: a column mixing scores and "not answered" cannot be sent as a number column
         t("col_score", lang): number(score, lang) if score is not None else t("quiz_not_answered", lang)}
        for qid, score in summary.per_question
    ]  # fmt: skip
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if summary.per_topic:
        topic_rows = [
            {t("col_topic", lang): bank.topic_label(ts.topic, lang), t("col_average", lang): number(ts.average, lang),
             t("col_answered", lang): ts.answered}
            for ts in summary.per_topic
        ]  # fmt: skip
        st.dataframe(pd.DataFrame(topic_rows), hide_index=True, width="stretch")
    if summary.weakest_topics:
        topics = ", ".join(bank.topic_label(x, lang) for x in summary.weakest_topics)
        st.markdown(t("quiz_weakest", lang, topics=escape_markdown(topics)))
    if summary.to_read:
        st.markdown(f"**{t('quiz_to_read', lang)}**")
        for source in summary.to_read:
            passage_link(source, lang)
    if st.button(t("quiz_new", lang), type="primary"):
        app.quizzes.close(quiz)
        st.session_state.quiz = None
        st.rerun()


quiz = open_quiz()
if quiz is None:
    setup_form()
elif quiz.finished:
    show_summary(quiz)
else:
    ask_current(quiz)
