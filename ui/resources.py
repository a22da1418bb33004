"""Process-wide resources for the Streamlit app, each built once with `st.cache_resource`.

Heavy things (the embedding model, Chroma, the BM25 index, the database engine) load lazily, the
first time a page needs them, so the app shows its first page in a couple of seconds.
"""

from __future__ import annotations

import streamlit as st

from config import Settings, get_settings
from question_bank import QuestionBank
from storage.attempts import AttemptStore
from storage.scheduling import ReviewScheduler
from ui.i18n import t
from ui.session import current_lang


@st.cache_resource(show_spinner=False)
def load_bank() -> QuestionBank:
    """The bank, loaded leniently: a candidate can practise even if a coach broke one file."""
    settings = get_settings()
    return QuestionBank.load(settings.bank_dir, settings.corpus_dir, lenient=True)


def reload_bank() -> QuestionBank:
    load_bank.clear()
    return load_bank()


@st.cache_resource(show_spinner=False)
def attempt_store(database_url: str) -> AttemptStore:
    return AttemptStore(database_url)


@st.cache_resource(show_spinner=False)
def review_scheduler(database_url: str) -> ReviewScheduler:
    return ReviewScheduler(database_url)


def attempts(settings: Settings | None = None) -> AttemptStore:
    return attempt_store((settings or get_settings()).sqlalchemy_url)


def scheduler(settings: Settings | None = None) -> ReviewScheduler:
    return review_scheduler((settings or get_settings()).sqlalchemy_url)


@st.cache_resource(show_spinner=False)
def _knowledge(store_key: str):  # type: ignore[no-untyped-def]
    """The knowledge store and its hybrid retriever; indexes the shipped corpus on first use.

    `store_key` (the store location) keys the cache so a changed data directory gets its own store.
    Indexing an unchanged corpus only compares hashes, so this is cheap after the first run.
    """
    from knowledge.retrieval import HybridRetriever
    from knowledge.store import KnowledgeStore

    store = KnowledgeStore(get_settings())
    progress = st.progress(0.0, text=t("refs_indexing", current_lang()))

    def on_progress(done: int, total: int, _label: str) -> None:
        progress.progress(min(1.0, done / max(total, 1)), text=t("refs_indexing", current_lang()))

    store.index(progress=on_progress)
    progress.empty()
    return store, HybridRetriever(store)


def knowledge():  # type: ignore[no-untyped-def]
    settings = get_settings()
    key = settings.chroma_url or settings.chroma_host or str(settings.chroma_dir)
    return _knowledge(key)


def references_for(question, lang: str, k: int = 4):  # type: ignore[no-untyped-def]
    """(references, None) or (None, a message): missing excerpts never block grading."""
    from knowledge.retrieval import references

    try:
        _store, retriever = knowledge()
        return references(retriever, question, lang, k=k), None
    except Exception as exc:  # the store may be down or corrupt; grading still works without it
        return None, f"{type(exc).__name__}: {exc}"
