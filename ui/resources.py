"""The app's process-wide resources, each built once with `st.cache_resource`: the Services object
(pages reach everything below the UI through `services()`) and the question bank.

Heavy things (the embedding model, Chroma, the BM25 index) load lazily inside Services, the first
time a page needs them, so the app shows its first page in a couple of seconds.
"""

from __future__ import annotations

import logging

import streamlit as st

from coach.content import shipped_bank
from config import get_settings
from question_bank import QuestionBank
from services import Services
from services.knowledge_build import KnowledgeBuild
from ui.i18n import t
from ui.session import current_lang


@st.cache_resource(show_spinner=False)
def _services(database_url: str, store_key: str) -> Services:
    """One Services object per database and knowledge store (a changed data directory gets its own)."""
    return Services(get_settings())


_replacement: list[Services] = []


def use_services(replacement: Services | None) -> None:
    """Serve `replacement` instead of the process's own Services (page tests: a fake model, a health
    check that answers, canned course passages); None goes back to the process's own."""
    _replacement[:] = [replacement] if replacement is not None else []


def services() -> Services:
    """The app's one entry point below the UI (`services.app.Services`), built once per process."""
    if _replacement:
        return _replacement[0]
    settings = get_settings()
    return _services(settings.sqlalchemy_url, settings.chroma_url or settings.chroma_host or str(settings.chroma_dir))


@st.cache_resource(show_spinner=False)
def _shipped_bank() -> QuestionBank:
    """The repository's YAML bank, loaded leniently: a candidate can practise even if one file is broken."""
    return shipped_bank(get_settings())


@st.cache_resource(show_spinner=False, max_entries=4)
def _bank_at(database_url: str, version: str) -> QuestionBank:
    """The bank at a content version; `database_url` is in the key because `services()` reads that database."""
    return services().content.bank(_shipped_bank())


def load_bank() -> QuestionBank:
    """The bank candidates see: the shipped one with the coaches' content from the database.

    One cheap query per call tells whether any coach (on this server or another sharing the
    database) changed something since the cached bank was built.
    """
    return _bank_at(get_settings().sqlalchemy_url, services().content.version())


def warm_up() -> None:
    """Do, before the first visit, the work every first page view would otherwise wait for.

    serve.py runs this once, in a background thread, as soon as the server process starts, so the second
    or two before a browser connects imports the pages' modules and loads the bank. Best effort: on
    any error the page does the work itself and shows the error there.
    """
    import gc
    import importlib
    import inspect

    from ui.i18n import all_keys

    try:
        all_keys()  # reads the string catalogue (core/strings)
        load_bank()
        importlib.import_module("pandas")  # the home page's tables
        importlib.import_module("practice.quiz")
        services()  # opens the database a quiz starts with
        for name in ("ui.render", "practice.grading"):  # the quiz's grade view and the grading stack
            importlib.import_module(name)
        # Streamlit's first element on screen calls inspect.stack() once (env_util.is_repl), which
        # scans every loaded module: done here, inspect remembers the scan.
        inspect.stack()
    except Exception:  # the page that needs it redoes the failing step and reports the error
        logging.getLogger(__name__).debug("warm-up stopped", exc_info=True)
    # Streamlit runs a full gc.collect() after every script run, holding the GIL (so the replies
    # wait) for 0.1-0.4 s with all these modules loaded. They live as long as the server: freezing
    # them leaves each collection only the objects created since.
    gc.collect()
    gc.freeze()
    try:
        settings = get_settings()
        services().health.checked(settings, settings.language)  # the sidebar's first LLM check
    except Exception:
        logging.getLogger(__name__).debug("first LLM health check failed", exc_info=True)


def forget_bank() -> None:
    """Drop the cached banks: the next `load_bank` reads the shipped YAML and the database again."""
    _shipped_bank.clear()
    _bank_at.clear()


def reload_bank() -> QuestionBank:
    """Read the shipped YAML again too (after `git pull` or an edit by hand)."""
    forget_bank()
    return load_bank()


def start_knowledge_build() -> KnowledgeBuild:
    """Called by app.py on every run: starts the build once, then only returns it."""
    return services().knowledge


def knowledge():  # type: ignore[no-untyped-def]
    """(store, retriever), waiting with a progress bar until the store answers (a second or two on a
    new store); while documents are still being embedded in the background, says how far it is."""
    build = start_knowledge_build()
    if not build.done.is_set():
        bar = st.progress(build.progress, text=t("refs_indexing", current_lang()))
        while not build.done.wait(0.2):
            bar.progress(build.progress, text=t("refs_indexing", current_lang()))
        bar.empty()
    if build.error:
        raise RuntimeError(build.error)
    if build.embedding:
        percent = int(100 * build.embed_progress)
        st.progress(build.embed_progress, text=f"{t('coach_kb_indexing', current_lang())} {percent} %")
    return build.store, build.retriever
