"""Upload knowledge documents, re-index with a progress bar, list the indexed documents, remove one."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from coach.documents import document_name, is_upload, reindex, remove_document, save_uploads
from config import Settings, get_settings
from knowledge.documents import SUPPORTED_SUFFIXES
from ui.i18n import t
from ui.render import escape_markdown
from ui.session import current_profile


@st.cache_resource(show_spinner=False)
def _studio_store(location: str):  # type: ignore[no-untyped-def]
    """The studio's handle on the store (opening it loads no model); the retriever follows its changes."""
    from knowledge.store import KnowledgeStore

    return KnowledgeStore(get_settings())


def _store(settings: Settings):  # type: ignore[no-untyped-def]
    return _studio_store(settings.chroma_url or settings.chroma_host or str(settings.chroma_dir))


def _run_index(settings: Settings, lang: str) -> None:
    bar = st.progress(0.0, text=t("coach_kb_indexing", lang))

    def on_progress(done: int, total: int, label: str) -> None:
        bar.progress(min(1.0, done / max(total, 1)), text=f"{t('coach_kb_indexing', lang)} {label} {done}/{total}")

    try:
        report = reindex(_store(settings), settings, progress=on_progress)
    except Exception as exc:  # the store may be unreachable: say so, keep the page usable
        bar.empty()
        st.error(t("coach_kb_store_error", lang, error=escape_markdown(f"{type(exc).__name__}: {exc}")))
        return
    bar.progress(1.0, text=t("coach_kb_indexed", lang))
    st.success(t("coach_kb_report", lang, added=len(report.added), updated=len(report.updated),
                 removed=len(report.removed), skipped=len(report.skipped)))  # fmt: skip
    for error in report.errors:
        st.error(escape_markdown(error))


def _upload(settings: Settings, lang: str) -> None:
    st.markdown(f"#### {t('coach_kb_upload_title', lang)}")
    st.caption(t("coach_kb_upload_help", lang, mb=settings.max_upload_mb, types=", ".join(SUPPORTED_SUFFIXES)))
    files = st.file_uploader(
        t("coach_kb_files", lang), accept_multiple_files=True, key="ck_files",
        type=[suffix.lstrip(".") for suffix in SUPPORTED_SUFFIXES],
        max_upload_size=settings.max_upload_mb,  # the widget says the same limit as the help above
    )  # fmt: skip
    upload_col, index_col = st.columns(2)
    if upload_col.button(t("coach_kb_upload", lang), type="primary", disabled=not files, key="ck_upload"):
        result = save_uploads(settings, [(f.name, f.getvalue()) for f in files or []], current_profile())
        for error in result.errors:
            st.error(escape_markdown(error), icon=":material/error:")
        if result.saved:
            st.success(t("coach_kb_saved", lang, files=", ".join(document_name(s) for s in result.saved)))
            _run_index(settings, lang)
    if index_col.button(t("coach_kb_reindex", lang), key="ck_reindex"):
        _run_index(settings, lang)


def _documents(settings: Settings, lang: str) -> None:
    st.markdown(f"#### {t('coach_kb_documents', lang)}")
    if flash := st.session_state.pop("ck_flash", None):
        st.info(flash)
    try:
        documents = _store(settings).documents()
    except Exception as exc:  # an unreachable server: the rest of the studio still works
        st.error(t("coach_kb_store_error", lang, error=escape_markdown(f"{type(exc).__name__}: {exc}")))
        return
    if not documents:
        st.info(t("coach_kb_empty", lang))
        return
    st.dataframe(
        pd.DataFrame(
            [{t("coach_kb_col_document", lang): document_name(d.source), t("col_title", lang): d.title,
              t("col_lang", lang): d.language, t("coach_kb_col_chunks", lang): d.chunks,
              t("coach_kb_col_origin", lang): t("coach_kb_origin_upload" if is_upload(d.source)
                                                else "coach_kb_origin_course", lang)}
             for d in documents]
        ),
        hide_index=True, width="stretch",
    )  # fmt: skip
    names = {d.source: f"{d.title} ({document_name(d.source)})" for d in documents}
    st.selectbox(t("coach_kb_remove_choose", lang), list(names), key="ck_remove_source", format_func=names.get)
    st.caption(t("coach_kb_remove_help", lang))
    confirmed = st.checkbox(t("coach_kb_remove_confirm", lang), key="ck_remove_confirm")
    st.button(t("coach_kb_remove", lang), key="ck_remove", icon=":material/delete:", on_click=_remove,
              args=(settings, lang), disabled=not confirmed)  # fmt: skip


def _remove(settings: Settings, lang: str) -> None:
    """Button callback: runs before the page redraws, so the table already lacks the document."""
    source = st.session_state.get("ck_remove_source")
    removed = bool(source) and remove_document(_store(settings), settings, source)
    st.session_state["ck_remove_confirm"] = False  # the next removal asks again
    st.session_state["ck_flash"] = t("coach_kb_removed" if removed else "coach_kb_not_found", lang)


def render(settings: Settings, lang: str) -> None:
    _upload(settings, lang)
    st.divider()
    _documents(settings, lang)
