"""The course reader's views, and the links that open a passage in it (citations, "read next")."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from config import get_settings
from knowledge.reader import corpus_pages, open_passage, page_title
from storage.documents import UploadedDocuments
from ui.i18n import t
from ui.render import escape_markdown, safe_model_markdown
from ui.resources import services

READER_PAGE = "pages/read.py"
CITED_ANCHOR = "cited-passage"


def _max_bytes() -> int:
    return get_settings().max_upload_mb * 2**20


def _uploads() -> UploadedDocuments:
    return services().documents


@st.cache_data(show_spinner=False, max_entries=256)
def _title(source: str, lang: str) -> str:
    settings = get_settings()
    return page_title(source, lang, settings.corpus_dir, _uploads(), _max_bytes())


def passage_link(source: str, lang: str, *, heading: str | None = None, label: str | None = None) -> None:
    """A link that opens `source` in the reader, at the cited section when `heading` is given."""
    params = {"source": source, **({"heading": heading} if heading else {})}
    st.page_link(READER_PAGE, label=label or _title(source, lang), icon=":material/menu_book:", query_params=params)


def share_url(source: str, ordinal: int | None) -> str:
    """The address of this passage; it opens in whatever language the person who follows it reads."""
    base = str(st.context.url or "").split("?", 1)[0]
    params = {"source": source, **({"section": ordinal} if ordinal is not None else {})}
    return f"{base}?{urlencode(params)}"


def course_contents(lang: str) -> None:
    """Every corpus page in the reader's language, by title."""
    st.caption(t("read_pick", lang))
    for source, title in corpus_pages(get_settings().corpus_dir, lang, _max_bytes()):
        passage_link(source, lang, label=title)


def render_document(source: str, lang: str, *, heading: str | None = None, section: str | None = None) -> None:
    settings = get_settings()
    ordinal = int(section) if section and section.isdigit() else None
    opened = open_passage(source, lang, corpus_dir=settings.corpus_dir, uploads=_uploads(),
                          max_bytes=_max_bytes(), heading=heading, ordinal=ordinal)  # fmt: skip
    if opened is None:
        st.warning(t("read_not_found", lang, source=escape_markdown(source)))
        course_contents(lang)
        return
    document, cited = opened
    st.header(document.title)
    if document.translated:
        st.caption(t("read_translated", lang))
    if cited is not None:
        path = " › ".join(document.section(cited).heading_path)  # type: ignore[union-attr]
        notice = t("read_cited", lang, section=escape_markdown(path))
        st.info(f"{notice} · [{t('read_go_to_passage', lang)}](#{CITED_ANCHOR})", icon=":material/format_quote:")
    with st.expander(t("read_share", lang), icon=":material/link:"):
        st.code(share_url(document.source, cited), language=None)
    for part in document.sections:
        if not part.body and part.level <= 1:
            continue
        # The page's own title (level 1) is the header above; deeper headings keep their rank below it.
        heading_line = f"{'#' * min(part.level + 1, 6)} {escape_markdown(part.title)}\n\n" if part.level > 1 else ""
        text = heading_line + safe_model_markdown(part.body)
        if part.ordinal == cited:
            with st.container(border=True):
                st.markdown(f":blue-badge[{t('read_cited_badge', lang)}]")
                if part.title:  # a heading with a fixed anchor, which the notice above links to
                    st.subheader(part.title, anchor=CITED_ANCHOR)
                st.markdown(safe_model_markdown(part.body))
        else:
            st.markdown(text)
    st.page_link(READER_PAGE, label=t("read_all_pages", lang), icon=":material/list:")
