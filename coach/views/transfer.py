"""Import questions from a CSV or YAML file, and export the bank (or some topics) as either."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from coach.messages import localize
from config import Settings
from question_bank.transfer import (
    ImportRefused,
    apply_import,
    bank_claims,
    export_csv,
    export_yaml,
    format_of,
    read_import,
)
from ui.i18n import t
from ui.resources import load_bank, services
from ui.session import current_profile


def _import(settings: Settings, lang: str) -> None:
    st.markdown(f"#### {t('coach_import_title', lang)}")
    st.caption(t("coach_import_help", lang))
    upload = st.file_uploader(t("coach_import_file", lang), type=["csv", "yaml", "yml"], key="ct_import_file")
    skip_invalid = st.checkbox(t("coach_import_skip", lang), key="ct_skip_invalid")
    replace = st.checkbox(t("coach_import_replace", lang), key="ct_replace")
    if not st.button(t("coach_import_run", lang), disabled=upload is None, type="primary", key="ct_import"):
        return
    assert upload is not None
    try:
        fmt = format_of(Path(upload.name))
        text = upload.getvalue().decode("utf-8-sig")
    except (ValueError, UnicodeDecodeError) as exc:
        st.error(t("coach_import_unreadable", lang, name=upload.name, error=str(exc)))
        return
    bank = load_bank()
    existing, ranks = bank_claims(bank)
    plan = read_import(
        text, fmt, existing_ids=existing, taken_ranks=ranks, topics=bank.topics, corpus_dir=settings.corpus_dir,
        replace=replace,
    )  # fmt: skip
    if plan.problems:
        st.dataframe(
            pd.DataFrame([{t("coach_import_col_row", lang): p.row, t("coach_import_col_column", lang): p.column,
                           t("coach_import_col_problem", lang): localize(p.message, lang)} for p in plan.problems]),
            hide_index=True, width="stretch",
        )  # fmt: skip
    try:
        content = services().content
        written = apply_import(plan, content, bank, skip_invalid=skip_invalid, by=current_profile())
    except ImportRefused as exc:
        st.error(t("coach_import_refused", lang, reason=str(exc)))
        return
    st.success(t("coach_import_done", lang, n=len(written)))
    if plan.problems:
        st.warning(t("coach_import_skipped", lang, rows=", ".join(map(str, plan.invalid_rows))))


def _export(lang: str) -> None:
    st.markdown(f"#### {t('coach_export_title', lang)}")
    bank = load_bank()
    topics = st.multiselect(t("quiz_topics", lang), list(bank.topics), key="ct_export_topics",
                            format_func=lambda x: bank.topic_label(x, lang), placeholder=t("filter_all", lang),
                            select_all=False)  # fmt: skip
    fmt = st.radio(t("coach_export_format", lang), ["yaml", "csv"], horizontal=True, key="ct_export_format")
    questions = bank.filter(topics=topics) if topics else list(bank.questions)
    data = ("\ufeff" + export_csv(questions)) if fmt == "csv" else export_yaml(questions)
    st.download_button(
        t("coach_export_download", lang, n=len(questions)), data=data.encode("utf-8"),
        file_name=f"agentprep-questions.{fmt}", mime="text/csv" if fmt == "csv" else "application/yaml",
        disabled=not questions, key="ct_export",
    )  # fmt: skip


def render(settings: Settings, lang: str) -> None:
    _import(settings, lang)
    st.divider()
    _export(lang)
