"""A server's knowledge store answers at once on a new data directory (issue #15, item 4).

`KnowledgeBuild` is what every app server starts: it must load the shipped corpus from its shipped
vectors without embedding anything in the server process, and leave only the documents those
vectors lack (here, a coach's page) to a background child process that embeds them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from knowledge_fixtures import write_small_corpus

from config import get_settings
from knowledge.shipped import SHIPPED_CORPUS, SHIPPED_INDEX, load_shipped
from services import knowledge_build as resources

COACH_PAGE = """---
title: Coach notes on KV caching
language: en
topics: [llm]
---

# Coach notes on KV caching

## Why it matters

The key-value cache keeps the attention keys and values of past tokens, so each new token is decoded
without recomputing the whole prompt. Ask candidates how it bounds the context length in memory.
"""


def no_model(texts):  # type: ignore[no-untyped-def]
    raise AssertionError(f"the server process embedded {len(texts)} text(s)")


@pytest.fixture
def server_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """This test process plays the server: it must never embed a document itself."""
    monkeypatch.setattr("knowledge.embeddings.encode", no_model)
    monkeypatch.setattr(resources, "_load_embeddings_when_idle", lambda: None)  # the grader's preload


def test_a_new_data_directory_answers_without_embedding_anything(
    server_process: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_child(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a child process was started although nothing needs the model")

    monkeypatch.setattr(resources.subprocess, "Popen", no_child)
    build = resources.KnowledgeBuild()
    assert build.done.wait(120) and build.error is None
    assert build.settled.wait(120) and build.embed_error is None and not build.embedding
    shipped = load_shipped(SHIPPED_INDEX)
    assert shipped is not None and build.store.count() == len(shipped)
    hits = build.retriever.search("Reciprocal Rank Fusion", k=3, lang="en")
    assert hits and all(hit.source.startswith("en/") for hit in hits)
    assert str(get_settings().data_dir) in build.store.location  # the store lives in the data directory


def test_only_a_coachs_own_document_is_embedded_in_the_background(
    server_process: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    corpus = Path(shutil.copytree(SHIPPED_CORPUS, tmp_path / "corpus"))
    (corpus / "en" / "coach-kv-cache.md").write_text(COACH_PAGE, encoding="utf-8")
    monkeypatch.setenv("AGENTPREP_CORPUS_DIR", str(corpus))
    get_settings.cache_clear()
    progress: list[tuple[int, int]] = []
    original = resources.KnowledgeBuild._on_embed_progress

    def recording(self, done: int, total: int, label: str) -> None:  # type: ignore[no-untyped-def]
        progress.append((done, total))
        original(self, done, total, label)

    monkeypatch.setattr(resources.KnowledgeBuild, "_on_embed_progress", recording)
    build = resources.KnowledgeBuild()
    assert build.done.wait(120) and build.error is None
    ready_sources = {d.source for d in build.store.documents()}
    assert "en/coach-kv-cache.md" not in ready_sources and "en/rag-pipeline.md" in ready_sources
    assert build.settled.wait(300) and build.embed_error is None
    assert progress == [(1, 1)]  # the page's one chunk, and nothing else, was embedded
    hits = build.retriever.search("key-value cache of past tokens", k=1, lang="en")
    assert [hit.source for hit in hits] == ["en/coach-kv-cache.md"]


def test_without_usable_shipped_vectors_the_pages_wait_for_the_embedding(
    server_process: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A corpus the shipped file knows nothing of: nothing can answer before the model has run, so the
    build is not "done" (pages wait, with its progress) until the child has embedded it."""
    monkeypatch.setenv("AGENTPREP_CORPUS_DIR", str(write_small_corpus(tmp_path / "corpus")))
    get_settings.cache_clear()
    build = resources.KnowledgeBuild()
    assert build.done.wait(300) and build.error is None
    assert build.store.count() == 5 and build.settled.is_set()  # already complete when "done"
    assert build.retriever.search("boucle ReAct outil", k=1, lang="fr")[0].source == "fr/agents.md"
