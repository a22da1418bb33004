"""Calibrate the graders on one question: sample answers, expected grades, agreement per sample and overall."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from coach.calibration import CalibrationRun, judge_availability, run_calibration
from config import Settings
from knowledge.language import detect_language
from question_bank.model import CalibrationSample
from ui.i18n import t
from ui.render import escape_markdown
from ui.resources import load_bank, services
from ui.session import current_profile, effective_settings, grader_mode

PENDING = "cc_pending"  # question id -> samples added in this session, not yet saved
RUN = "cc_run"  # (question id, CalibrationRun) of the last run


def _figure(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _show_run(run: CalibrationRun, lang: str) -> None:
    if run.judge_unavailable:
        st.info(t("coach_cal_judge_unavailable", lang, reason=escape_markdown(run.judge_unavailable)))
    judge, embedded = t("coach_cal_judge", lang), t("coach_cal_embedded", lang)
    rows = []
    for o in run.outcomes:
        expected = o.sample.expected_score
        rows.append(
            {
                t("coach_cal_answer", lang): o.sample.answer[:120],
                "lang": o.sample.lang,
                t("coach_cal_expected", lang): expected,
                # text, not numbers: a column mixing scores and "—" (the judge did not grade) is text
                judge: "—" if o.judge_score is None else f"{o.judge_score:g}",
                embedded: round(o.embedded_score, 1),
                f"|Δ| {judge}": "—" if o.judge_score is None else f"{abs(o.judge_score - expected):.1f}",
                f"|Δ| {embedded}": round(abs(o.embedded_score - expected), 1),
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    for grader in ("judge", "embedded"):
        agreement = run.agreement(grader)
        st.markdown(
            t("coach_cal_agreement", lang, grader=t(f"coach_cal_{grader}", lang), n=agreement.n,
              mae=_figure(agreement.mae), spearman=_figure(agreement.spearman))
        )  # fmt: skip
    st.caption(t("coach_cal_spearman_note", lang))


def _remove(settings: Settings, sample_id: int) -> None:
    services().content.remove_sample(sample_id)


def _stored_samples(settings: Settings, question_id: str, lang: str) -> None:
    """The samples coaches saved for this question, each removable (the shipped ones are read-only)."""
    stored = services().content.stored_samples(question_id)
    if not stored:
        return
    with st.expander(t("coach_cal_stored", lang, n=len(stored)), icon=":material/list:"):
        for row in stored:
            text, score, remove = st.columns([6, 1, 2])
            answer = row.sample.answer
            text.markdown(f"`{row.sample.lang}` {escape_markdown(answer[:200])}{'…' if len(answer) > 200 else ''}")
            score.markdown(f"**{row.sample.expected_score:g}**/10")
            confirmed = remove.checkbox(t("coach_cal_remove_confirm", lang), key=f"cc_confirm_{row.id}")
            remove.button(t("coach_cal_remove", lang), key=f"cc_remove_{row.id}", on_click=_remove,
                          args=(settings, row.id), icon=":material/delete:", disabled=not confirmed)  # fmt: skip


def render(settings: Settings, lang: str) -> None:
    bank = load_bank()
    if not bank.questions:
        st.info(t("coach_cal_no_questions", lang))
        return
    question_id = st.selectbox(t("coach_cal_question", lang), [q.id for q in bank.questions], key="cc_question")
    question = bank.get(question_id)
    assert question is not None
    st.markdown(f"**{escape_markdown(question.prompt_in(lang))}**")
    pending: list[CalibrationSample] = st.session_state.setdefault(PENDING, {}).setdefault(question_id, [])

    with st.form("cc-add", clear_on_submit=True):
        st.markdown(f"**{t('coach_cal_add_title', lang)}**")
        answer = st.text_area(t("coach_cal_answer", lang), height=150)
        left, right = st.columns(2)
        sample_lang = left.radio(
            t("coach_cal_lang", lang), ["auto", "fr", "en"], horizontal=True,
            format_func=lambda c: t("coach_cal_lang_auto", lang) if c == "auto" else c,
        )  # fmt: skip
        expected = right.number_input(t("coach_cal_expected", lang), 0.0, 10.0, 5.0, step=0.5)
        if st.form_submit_button(t("coach_cal_add", lang)):
            if sample_lang == "auto":
                sample_lang = detect_language(answer, default=lang if lang in ("fr", "en") else "en")
            try:
                pending.append(CalibrationSample(lang=sample_lang, answer=answer.strip(), expected_score=expected))
            except ValidationError:
                st.error(t("coach_cal_empty_answer", lang))

    samples = [*question.calibration, *pending]
    st.caption(t("coach_cal_counts", lang, saved=len(question.calibration), pending=len(pending)))
    run_col, save_col = st.columns(2)
    if run_col.button(t("coach_cal_run", lang), disabled=not samples, type="primary", key="cc_run_btn"):
        run_settings = effective_settings()
        unavailable = t("coach_cal_embedded_only", lang) if grader_mode() == "embedded" else None
        with st.spinner(t("coach_cal_running", lang)):
            unavailable = unavailable or judge_availability(run_settings)
            bar = st.progress(0.0)
            run = run_calibration(question, samples, run_settings, judge_unavailable=unavailable,
                                  progress=lambda done, total: bar.progress(done / total))  # fmt: skip
        st.session_state[RUN] = (question_id, run)
    if save_col.button(t("coach_cal_save", lang), disabled=not pending, key="cc_save_btn"):
        services().content.add_samples(question_id, pending, by=current_profile())
        st.session_state[PENDING][question_id] = []
        st.success(t("coach_cal_saved", lang, n=len(pending)))
    _stored_samples(settings, question_id, lang)
    last = st.session_state.get(RUN)
    if last and last[0] == question_id:
        _show_run(last[1], lang)
