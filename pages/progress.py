"""Progress: attempt history, score over time, mastery per topic, what is due, exports."""

import altair as alt
import streamlit as st

from core.i18n import number
from practice.progress import (
    export_csv,
    filter_history,
    fold_answer,
    history_frame,
    history_table,
    mastery_by_topic,
    score_over_time,
    table_time_format,
)
from storage.attempts import export_json
from ui.daily import review_now_button
from ui.i18n import t
from ui.render import escape_markdown, show_grading
from ui.resources import load_bank, services
from ui.session import browser_zone, current_lang, current_profile, effective_settings, grader_mode

lang = current_lang()
time_format = t("chart_time_format", lang)  # one format for the chart, its tooltips, the table and due dates
profile = current_profile()
settings = effective_settings()
bank = load_bank()
app = services()
store = app.attempts
st.title(t("progress_title", lang))


def question_text(question_id: str) -> str:
    question = bank.get(question_id)
    return question.prompt_in(lang) if question else question_id


all_attempts = store.list(profile)
if not all_attempts:
    st.info(t("progress_empty", lang, profile=profile))
    st.stop()

unfinished = store.unfinished(profile)
if unfinished:
    st.subheader(t("progress_unfinished", lang))
    st.caption(t("progress_unfinished_help", lang))
    for attempt in unfinished:
        question = bank.get(attempt.question_id)
        with st.container(border=True):
            st.markdown(f"**{escape_markdown(question.prompt_in(attempt.lang) if question else attempt.question_id)}**")
            excerpt, rest = fold_answer(attempt.answer)
            st.markdown(escape_markdown(excerpt) + (" …" if rest else ""))
            if rest:
                count = f"{len(rest):,}".replace(",", "\u202f" if lang == "fr" else ",")
                with st.expander(t("progress_answer_rest", lang, n=count)):
                    st.markdown(escape_markdown(rest))
            if question and st.button(t("progress_regrade", lang), key=f"regrade-{attempt.id}"):
                run = app.regrade(attempt.id, question, attempt.answer, profile=profile, lang=attempt.lang,
                                  settings=settings, grader=grader_mode(), fresh=False)  # fmt: skip
                grade, error = show_grading(run, lang)
                if grade is not None:
                    st.rerun()

history = history_frame(all_attempts, bank, lang)
with st.expander(t("progress_filters", lang)):
    topics = st.multiselect(t("col_topic", lang), list(bank.topics), format_func=lambda x: bank.topic_label(x, lang),
                            placeholder=t("filter_all", lang), select_all=False)  # fmt: skip
    statuses = st.multiselect(
        t("progress_status", lang), ["graded", "pending", "failed"], format_func=lambda x: t(f"status_{x}", lang),
        placeholder=t("filter_all", lang), select_all=False,
    )
    modes = st.multiselect(t("progress_mode", lang), ["quiz", "interview"], format_func=lambda x: t(f"mode_{x}", lang),
                           placeholder=t("filter_all", lang), select_all=False)  # fmt: skip
shown = filter_history(history, topics=topics, statuses=statuses, modes=modes)

left, right = st.columns(2)
with left:
    st.subheader(t("progress_over_time", lang))
    over_time = score_over_time(shown).assign(question=lambda df: df["question_id"].map(question_text))
    when = alt.X("when:T", title=None, axis=alt.Axis(format=time_format, labelAngle=0))  # both layers: one axis
    points = (
        alt.Chart(over_time)
        .mark_circle(size=60)
        .encode(
            x=when,
            y=alt.Y("score:Q", scale=alt.Scale(domain=[0, 10]), title=t("col_score", lang)),
            tooltip=[
                alt.Tooltip("question:N", title=t("col_question", lang)),
                alt.Tooltip("score:Q", title=t("col_score", lang)),
                alt.Tooltip("when:T", title=t("history_col_when", lang), format=time_format),
            ],
        )
    )
    line = alt.Chart(over_time).mark_line().encode(x=when, y=alt.Y("rolling:Q", title=t("progress_rolling", lang)))
    st.altair_chart(points + line, width="stretch")
with right:
    st.subheader(t("progress_mastery", lang))
    mastery = mastery_by_topic(shown, bank).assign(
        label=lambda df: df["topic"].map(lambda x: bank.topic_label(x, lang))
    )
    bars = (
        alt.Chart(mastery)
        .mark_bar()
        .encode(
            x=alt.X("mastery:Q", scale=alt.Scale(domain=[0, 10]), title=t("col_score", lang)),
            # labelLimit=0: the full topic names; Vega-Lite's default cuts them at 180 px ("RAG (génération …").
            y=alt.Y("label:N", sort="x", title=None, axis=alt.Axis(labelLimit=0)),
            color=alt.Color("mastery:Q", scale=alt.Scale(domain=[0, 10], scheme="redyellowgreen"), legend=None),
            tooltip=[
                alt.Tooltip("label:N", title=t("col_topic", lang)),
                alt.Tooltip("mastery:Q", title=t("col_average", lang)),
                alt.Tooltip("answered:Q", title=t("col_answered", lang)),
                alt.Tooltip("in_bank:Q", title=t("col_count", lang)),
            ],
        )
    )
    st.altair_chart(bars, width="stretch")

st.subheader(t("progress_due", lang))
due = app.scheduler.due(profile)
review_now_button(bank, lang, len(due), key="progress")
if due:
    for card in due[:20]:
        question = bank.get(card.question_id)
        label = question.prompt_in(lang) if question else card.question_id
        score = f"{number(card.last_score, lang)}/10" if card.last_score is not None else ""
        due_at = t("progress_due_at", lang, when=card.due.astimezone(browser_zone()).strftime(time_format))
        st.markdown(f"- {escape_markdown(label)} — {score} ({due_at})")
else:
    st.caption(t("progress_nothing_due", lang))

st.subheader(t("progress_history", lang))
table = history_table(shown, bank, lang)
headers: dict = {column: t(f"history_col_{column}", lang) for column in table.columns}
headers["when"] = st.column_config.DatetimeColumn(headers["when"], format=table_time_format(time_format))
# The question is cut (the whole text on hover); the topics get the room their full names need.
headers["question"] = st.column_config.TextColumn(headers["question"], width="medium")
st.dataframe(table, hide_index=True, width="stretch", column_config=headers)
ids = set(shown["id"])
selected = [a for a in all_attempts if a.id in ids]
export_left, export_right = st.columns(2)
export_left.download_button(
    t("progress_export_csv", lang),
    export_csv(selected, bank, lang),
    file_name=f"agentprep-{profile}.csv",
    mime="text/csv",
)
export_right.download_button(
    t("progress_export_json", lang),
    export_json(selected),
    file_name=f"agentprep-{profile}.json",
    mime="application/json",
)
