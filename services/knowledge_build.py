"""The knowledge store and its retriever, made to answer as soon as a server starts (no Streamlit here).

The Services object owns one `KnowledgeBuild` per store location; the UI shows its progress.
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

from config import get_settings

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
