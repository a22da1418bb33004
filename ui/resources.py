"""Process-wide resources for the Streamlit app, each built once with `st.cache_resource`.

Heavy things (the embedding model, Chroma, the BM25 index, the database engine) load lazily, the
first time a page needs them, so the app shows its first page in a couple of seconds.
"""

from __future__ import annotations

import collections
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import streamlit as st

from coach.content import CoachContent, shipped_bank
from config import Settings, get_settings
from question_bank import QuestionBank
from storage.attempts import AttemptStore
from storage.documents import UploadedDocuments
from storage.scheduling import ReviewScheduler
from ui.i18n import t
from ui.session import current_lang


@st.cache_resource(show_spinner=False)
def _shipped_bank() -> QuestionBank:
    """The repository's YAML bank, loaded leniently: a candidate can practise even if one file is broken."""
    return shipped_bank(get_settings())


@st.cache_resource(show_spinner=False)
def coach_content(database_url: str) -> CoachContent:
    return CoachContent(database_url)


@st.cache_resource(show_spinner=False, max_entries=4)
def _bank_at(database_url: str, version: str) -> QuestionBank:
    return coach_content(database_url).bank(_shipped_bank())


def load_bank() -> QuestionBank:
    """The bank candidates see: the shipped one with the coaches' content from the database.

    One cheap query per call tells whether any coach (on this server or another sharing the
    database) changed something since the cached bank was built.
    """
    url = get_settings().sqlalchemy_url
    return _bank_at(url, coach_content(url).version())


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
    from ui.sidebar import server_health

    try:
        all_keys()  # reads the string catalogue (core/strings)
        load_bank()
        importlib.import_module("pandas")  # the home page's tables
        importlib.import_module("practice.quiz")
        scheduler()  # opens the database a quiz starts with
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
        server_health(settings, settings.language)  # the sidebar's first LLM check
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


@st.cache_resource(show_spinner=False)
def attempt_store(database_url: str) -> AttemptStore:
    return AttemptStore(database_url)


@st.cache_resource(show_spinner=False)
def review_scheduler(database_url: str) -> ReviewScheduler:
    return ReviewScheduler(database_url)


@st.cache_resource(show_spinner=False)
def _quiz_keeper(database_url: str):  # type: ignore[no-untyped-def]
    from practice.quiz_state import QuizKeeper
    from storage.practice_sessions import PracticeSessionStore

    return QuizKeeper(PracticeSessionStore(database_url), attempt_store(database_url))


@st.cache_resource(show_spinner=False)
def _interview_keeper(database_url: str):  # type: ignore[no-untyped-def]
    from interview.state import InterviewKeeper
    from storage.practice_sessions import PracticeSessionStore

    return InterviewKeeper(PracticeSessionStore(database_url))


def interview_keeper(settings: Settings | None = None):  # type: ignore[no-untyped-def]
    """Saves the mock interview in progress after every page run; a refresh or a restart resumes it."""
    return _interview_keeper((settings or get_settings()).sqlalchemy_url)


def quiz_keeper(settings: Settings | None = None):  # type: ignore[no-untyped-def]
    """Saves the quiz in progress after every step and resumes it after a refresh or a restart."""
    return _quiz_keeper((settings or get_settings()).sqlalchemy_url)


@st.cache_resource(show_spinner=False)
def uploaded_documents(database_url: str) -> UploadedDocuments:
    return UploadedDocuments(database_url)


@st.cache_resource(show_spinner=False)
def _preferences(database_url: str):  # type: ignore[no-untyped-def]
    from storage.preferences import PreferenceStore

    return PreferenceStore(database_url)


def preferences(settings: Settings | None = None):  # type: ignore[no-untyped-def]
    """Choices kept on the server (a candidate's daily goal), shared by every app server."""
    return _preferences((settings or get_settings()).sqlalchemy_url)


def attempts(settings: Settings | None = None) -> AttemptStore:
    return attempt_store((settings or get_settings()).sqlalchemy_url)


def scheduler(settings: Settings | None = None) -> ReviewScheduler:
    return review_scheduler((settings or get_settings()).sqlalchemy_url)


_ROOT = Path(__file__).resolve().parent.parent


def _child_environment() -> dict[str, str]:
    """This process's environment (settings, .env folder kept as cwd) with the project importable."""
    path = os.pathsep.join(p for p in (str(_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


_last_activity = [0.0]  # time.monotonic() of the last start or end of an app.py run


def note_activity() -> None:
    """app.py calls this when a run starts and ends: background loading waits for a quiet moment."""
    _last_activity[0] = time.monotonic()


def _load_embeddings_when_idle(quiet_s: float = 1.0, at_most_s: float = 20.0) -> None:
    """The embedding model (the grader's; queries use knowledge.query_encoder), loaded in this process
    once no page has run for `quiet_s`: importing torch holds the GIL for seconds, so not while the
    candidate clicks, but while they read the question and type, before their first submit needs it."""
    deadline = time.monotonic() + at_most_s
    while time.monotonic() < deadline and time.monotonic() - _last_activity[0] < quiet_s:
        time.sleep(0.2)
    try:
        from knowledge.embeddings import get_embeddings

        get_embeddings()
    except Exception:  # the first grade loads it again and reports the error
        logging.getLogger(__name__).debug("embedding model preload failed", exc_info=True)


def _warm(retriever) -> None:  # type: ignore[no-untyped-def]
    """Build what the first search needs (chunk list, BM25 indexes, query encoder) before it comes."""
    try:
        from knowledge.query_encoder import query_encoder

        retriever.snapshot()
        query_encoder().embed("warm-up")
    except Exception:  # the first search does it again and reports the error
        logging.getLogger(__name__).debug("retriever warm-up failed", exc_info=True)


class KnowledgeBuild:
    """The knowledge store, made to answer as soon as the app starts, then kept in step in the background.

    Ready at once: the shipped corpus's vectors ship with it (knowledge/shipped.py), so a new store is
    loaded in a background thread of this process without the embedding model
    (`KnowledgeStore.prepare`, a second or two), and queries are embedded by a numpy encoder that
    loads in a fraction of a second (knowledge/query_encoder.py). Several servers may share one
    store: its writers hold its build lock, so one loads a new store while the others wait for it
    (or, if it can already answer, serve it at once); none loads it twice.

    Only what the shipped vectors do not cover (a coach's documents, corpus pages edited since the
    vectors were written) needs the model: it is embedded afterwards in a child process at low
    priority (`knowledge.index_worker`), while the store already answers. Loading torch and
    embedding in the server would hold its GIL for seconds and slow every page meanwhile.
    `embedding` and `embed_progress` say how far that is; the retriever follows as chunks arrive.
    """

    def __init__(self) -> None:
        self.done = threading.Event()  # set once the store answers (or failed to open)
        self.progress = 0.0
        self.store = None
        self.retriever = None
        self.error: str | None = None
        self.embedding = False  # documents the shipped vectors lack are being embedded
        self.embed_progress = 0.0
        self.embed_error: str | None = None
        self.settled = threading.Event()  # set once nothing is left to embed (or that failed)
        threading.Thread(target=self._build, name="knowledge-index", daemon=True).start()
        threading.Thread(target=_load_embeddings_when_idle, name="embedding-model", daemon=True).start()

    def _build(self) -> None:
        try:
            from knowledge.retrieval import HybridRetriever
            from knowledge.store import KnowledgeStore

            store = KnowledgeStore(get_settings())
            report = store.prepare(progress=self._on_progress)
            deferred = report.deferred if report is not None else []
            retriever = HybridRetriever(store)
            if store.servable():  # the usual case: answer now, embed what is left meanwhile
                _warm(retriever)
                self.store, self.retriever = store, retriever
                self.progress = 1.0
                self.done.set()
            if deferred:  # without a usable shipped file the pages wait for this, with its progress
                self.embedding = True
                error = self._index_in_child(store, deferred)
                if self.done.is_set():
                    self.embed_error = error
                else:
                    self.error = error
            self.store, self.retriever = store, retriever
        except Exception as exc:  # shown to the candidate; the app works on without excerpts
            message = f"{type(exc).__name__}: {exc}"
            if self.done.is_set():  # the store keeps answering with what it has
                self.embed_error = message
            else:
                self.error = message
        finally:
            self.embedding = False
            self.progress = 1.0
            self.done.set()
            self.settled.set()

    def _index_in_child(self, store, paths: list[str]) -> str | None:  # type: ignore[no-untyped-def]
        """None once `paths` are embedded, else what went wrong. In this process if no child starts."""
        try:
            child = subprocess.Popen(
                [sys.executable, "-m", "knowledge.index_worker", *paths], env=_child_environment(),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, encoding="utf-8", errors="replace",
            )  # fmt: skip
        except OSError:
            store.index([Path(p) for p in paths], progress=self._on_embed_progress)
            return None
        error, tail = None, collections.deque(maxlen=5)
        with child:  # stdin stays open until the child is done; then closed, and the child waited for
            for line in child.stdout or ():
                tag, _, rest = line.strip().partition(" ")
                if tag == "@progress":
                    done, total = rest.split()
                    self._on_embed_progress(int(done), int(total), "")
                elif tag == "@error":
                    error = rest
                elif line.strip() and tag != "@waiting":
                    tail.append(line.strip())
        if child.returncode == 0:
            return None
        return error or f"indexing stopped (exit code {child.returncode}): {' / '.join(tail)}"

    def _on_progress(self, done: int, total: int, _label: str) -> None:
        self.progress = min(1.0, done / max(total, 1))

    def _on_embed_progress(self, done: int, total: int, _label: str) -> None:
        self.embed_progress = min(1.0, done / max(total, 1))
        if not self.done.is_set():
            self.progress = self.embed_progress


@st.cache_resource(show_spinner=False)
def _knowledge_build(store_key: str) -> KnowledgeBuild:
    """One build per store location (a changed data directory gets its own store)."""
    return KnowledgeBuild()


def start_knowledge_build() -> KnowledgeBuild:
    """Called by app.py on every run: starts the build once, then only returns it."""
    settings = get_settings()
    return _knowledge_build(settings.chroma_url or settings.chroma_host or str(settings.chroma_dir))


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


def references_for(question, lang: str, k: int = 4):  # type: ignore[no-untyped-def]
    """(references, None) or (None, a message): missing excerpts never block or break grading."""
    from knowledge.retrieval import references

    build = start_knowledge_build()
    if not build.done.is_set():
        return None, t("refs_still_indexing", lang, percent=int(100 * build.progress))
    if build.error:
        return None, build.error
    try:
        return references(build.retriever, question, lang, k=k), None
    except Exception as exc:  # the store may be down or corrupt; grading still works without it
        return None, f"{type(exc).__name__}: {exc}"


def excerpts_for(question, lang: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The texts of the question's excerpts, for the judge; empty while the index is not ready."""
    refs, _error = references_for(question, lang)
    return [hit.text for hit in refs.hits] if refs else []
