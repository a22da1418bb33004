"""The incremental indexer against a real embedded Chroma (and once a real Chroma server), real embeddings."""

from __future__ import annotations

from pathlib import Path

import pytest
from knowledge_fixtures import RAG_EN, chroma_server, isolated_settings, make_pdf, write_small_corpus

from knowledge.chunking import ChunkingSettings
from knowledge.retrieval import HybridRetriever
from knowledge.store import EMBEDDING, READING, KnowledgeStore, KnowledgeStoreError
from storage.documents import UploadedDocuments

SMALL_SOURCES = ["en/hybrid.md", "fr/agents.md", "fr/hybrid.md"]


@pytest.fixture
def small(tmp_path: Path) -> tuple[KnowledgeStore, Path]:
    corpus = write_small_corpus(tmp_path / "corpus")
    store = KnowledgeStore(isolated_settings(tmp_path / "data", corpus_dir=corpus))
    report = store.index()
    assert sorted(report.added) == SMALL_SOURCES and not report.errors
    return store, corpus


def test_first_index_records_documents_metadata_and_manifest(small: tuple[KnowledgeStore, Path]) -> None:
    store, _ = small
    docs = {d.source: d for d in store.documents()}
    assert sorted(docs) == SMALL_SOURCES
    assert (docs["fr/hybrid.md"].title, docs["fr/hybrid.md"].language) == ("Recherche hybride", "fr")
    assert docs["fr/hybrid.md"].chunks == 2 and docs["fr/hybrid.md"].topics == ("rag",)
    rows = store.chunk_rows()
    meta = rows.metadatas[rows.ids.index(next(i for i, m in zip(rows.ids, rows.metadatas, strict=True)
                                              if m["source"] == "en/hybrid.md" and m["section"] == 2))]
    assert meta["heading_path"] == "Hybrid retrieval > Rank fusion"
    assert meta["lang"] == "en" and meta["topic_rag"] is True and len(meta["doc_hash"]) == 64
    manifest = store._get_collection(create=False).metadata
    assert manifest["embedding_model"] == "all-MiniLM-L6-v2"
    assert manifest["chunking"] == ChunkingSettings().signature()


def test_second_index_skips_everything_and_changes_nothing(small: tuple[KnowledgeStore, Path]) -> None:
    store, _ = small
    generation, ids = store.generation(), store.chunk_rows().ids
    report = KnowledgeStore(store.settings, store.store_dir).index()
    assert sorted(report.skipped) == SMALL_SOURCES
    assert not (report.added or report.updated or report.removed or report.errors)
    assert report.chunks_embedded == 0
    assert store.generation() == generation and store.chunk_rows().ids == ids


def test_changed_documents_are_replaced_and_deleted_ones_removed(small: tuple[KnowledgeStore, Path]) -> None:
    store, corpus = small
    generation = store.generation()
    (corpus / "en" / "hybrid.md").write_text(RAG_EN + "\n## Reranking\n\nA cross-encoder reorders candidates.\n")
    (corpus / "fr" / "agents.md").unlink()
    report = store.index()
    assert report.updated == ["en/hybrid.md"] and report.removed == ["fr/agents.md"]
    assert report.skipped == ["fr/hybrid.md"]
    docs = {d.source: d for d in store.documents()}
    assert sorted(docs) == ["en/hybrid.md", "fr/hybrid.md"] and docs["en/hybrid.md"].chunks == 3
    assert store.generation() == generation + 1
    texts = store.chunk_rows().texts
    assert sum("cross-encoder" in t for t in texts) == 1  # the old version's chunks are gone


def test_bad_inputs_are_reported_and_nothing_indexed_is_lost(
    small: tuple[KnowledgeStore, Path], tmp_path: Path
) -> None:
    store, _ = small
    before = store.chunk_rows().ids
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.md").write_bytes(b"")
    (bad / "binary.md").write_bytes(b"\x00\x01\x02 not text")
    (bad / "scan.pdf").write_bytes(make_pdf(None))
    (bad / "latin1.txt").write_bytes("Résumé".encode("latin-1"))
    with (bad / "huge.md").open("wb") as handle:
        handle.truncate(50 * 2**20)
    (tmp_path / "no-docs").mkdir()
    (tmp_path / "no-docs" / "photo.jpg").write_bytes(b"\xff\xd8")
    report = store.index([bad, tmp_path / "does-not-exist", tmp_path / "no-docs"])
    assert len(report.errors) == 7, report.errors
    for needle in ("empty.md", "binary.md", "scan.pdf", "latin1.txt", "huge.md", "does-not-exist", "no-docs"):
        assert sum(needle in e for e in report.errors) == 1, needle
    assert not (report.added or report.updated or report.removed)
    assert store.chunk_rows().ids == before


def test_a_known_document_that_becomes_unreadable_keeps_its_chunks(small: tuple[KnowledgeStore, Path]) -> None:
    store, corpus = small
    before = [d for d in store.documents() if d.source == "fr/agents.md"]
    (corpus / "fr" / "agents.md").write_bytes("Agents réactifs".encode("latin-1"))
    report = store.index()
    assert any("agents.md: not valid UTF-8" in e for e in report.errors)
    assert [d for d in store.documents() if d.source == "fr/agents.md"] == before


def test_files_outside_the_corpus_are_tracked_by_path(small: tuple[KnowledgeStore, Path], tmp_path: Path) -> None:
    store, _ = small
    notes = tmp_path / "coach" / "notes.md"
    notes.parent.mkdir()
    notes.write_text("# Coach notes\n\nAsk about vector databases and HNSW.", encoding="utf-8")
    assert store.index([notes.parent]).added == [notes.resolve().as_posix()]
    notes.write_text("# Coach notes\n\nAsk about rerankers.", encoding="utf-8")
    assert store.index().updated == [notes.resolve().as_posix()]  # re-checked without being named again
    notes.unlink()
    assert store.index().removed == [notes.resolve().as_posix()]


def test_uploads_are_indexed_from_the_database_by_name_not_by_a_server_path(small: tuple[KnowledgeStore, Path]) -> None:
    store, _ = small
    uploads = UploadedDocuments(store.settings.sqlalchemy_url)
    uploads.save("team notes.md", b"# Team notes\n\nOur agents call tools through an MCP gateway.")
    assert store.index().added == ["upload/team notes.md"]
    hits = HybridRetriever(store).search("MCP gateway for tools", k=1, lang="en")
    assert hits[0].source == "upload/team notes.md" and hits[0].heading_path.startswith("Team notes")
    uploads.save("team notes.md", b"# Team notes\n\nOur agents call tools through a proxy.")
    assert store.index().updated == ["upload/team notes.md"]
    assert "upload/team notes.md" in store.index().skipped  # unchanged: skipped by its hash, never re-read
    uploads.remove("team notes.md")
    assert store.index().removed == ["upload/team notes.md"]


def test_an_uploads_folder_left_by_an_older_release_is_moved_into_the_database(tmp_path: Path) -> None:
    corpus = write_small_corpus(tmp_path / "corpus")
    settings = isolated_settings(tmp_path / "data", corpus_dir=corpus)
    settings.uploads_dir.mkdir(parents=True)
    (settings.uploads_dir / "old.md").write_bytes(b"# Old notes\n\nWritten before uploads moved to the database.")
    report = KnowledgeStore(settings).index()
    assert "upload/old.md" in report.added
    assert UploadedDocuments(settings.sqlalchemy_url).read("old.md") == (
        b"# Old notes\n\nWritten before uploads moved to the database."
    )
    assert not settings.uploads_dir.exists() and (settings.data_dir / "uploads.imported" / "old.md").is_file()


def test_an_interrupted_write_is_repaired_at_the_next_index(small: tuple[KnowledgeStore, Path]) -> None:
    store, _ = small
    collection = store._get_collection(create=False)
    victim = collection.get(where={"source": "fr/hybrid.md"}, limit=1)["ids"]
    collection.delete(ids=victim)
    assert [d.complete for d in store.documents() if d.source == "fr/hybrid.md"] == [False]
    assert store.index().updated == ["fr/hybrid.md"]
    assert [d.chunks for d in store.documents() if d.source == "fr/hybrid.md"] == [2]


def test_changed_chunking_or_model_rebuilds_the_index(small: tuple[KnowledgeStore, Path]) -> None:
    store, _ = small
    smaller = KnowledgeStore(store.settings, store.store_dir, chunking=ChunkingSettings(max_chars=500))
    report = smaller.index()
    assert report.rebuilt and "chunking" in report.rebuild_reason
    assert sorted(report.updated) == SMALL_SOURCES
    collection = smaller._get_collection(create=False)
    collection.modify(metadata={**collection.metadata, "embedding_model": "an-older-model"})
    report = smaller.index()
    assert report.rebuilt and "embedding model" in report.rebuild_reason
    assert sorted(d.source for d in smaller.documents()) == SMALL_SOURCES
    assert not KnowledgeStore(store.settings, store.store_dir, chunking=ChunkingSettings(max_chars=500)).index().rebuilt


def test_rebuild_flag_and_remove(small: tuple[KnowledgeStore, Path]) -> None:
    store, _ = small
    report = store.index(rebuild=True)
    assert report.rebuilt and sorted(report.updated) == SMALL_SOURCES
    generation = store.generation()
    assert store.remove("fr/agents.md") is True
    assert store.remove("fr/agents.md") is False
    assert "fr/agents.md" not in [d.source for d in store.documents()]
    assert store.generation() == generation + 1


def test_progress_reports_reading_then_embedding(tmp_path: Path) -> None:
    corpus = write_small_corpus(tmp_path / "corpus")
    calls: list[tuple[int, int, str]] = []
    KnowledgeStore(isolated_settings(tmp_path / "data", corpus_dir=corpus)).index(
        progress=lambda done, total, label: calls.append((done, total, label))
    )
    reading = [c for c in calls if c[2] == READING]
    embedding = [c for c in calls if c[2] == EMBEDDING]
    assert reading[-1] == (3, 3, READING) and embedding[-1] == (5, 5, EMBEDDING)
    assert calls.index(reading[-1]) < calls.index(embedding[0])


def test_langchain_vectorstore_view_reads_the_same_collection(small: tuple[KnowledgeStore, Path]) -> None:
    store, _ = small
    documents = store.as_vectorstore().similarity_search("ReAct loop: reason, call a tool, observe", k=1)
    assert documents[0].metadata["source"] == "fr/agents.md"


def test_unreachable_server_gives_a_clear_error(tmp_path: Path) -> None:
    store = KnowledgeStore(isolated_settings(tmp_path, chroma_url="http://127.0.0.1:9"))
    with pytest.raises(KnowledgeStoreError, match=r"cannot open the knowledge store at http://127\.0\.0\.1:9"):
        store.index()


@pytest.mark.slow
def test_same_code_works_against_a_real_chroma_server(tmp_path: Path) -> None:
    corpus = write_small_corpus(tmp_path / "corpus")
    with chroma_server(tmp_path / "server-data") as url:
        settings = isolated_settings(tmp_path / "data", corpus_dir=corpus, chroma_url=url)
        store = KnowledgeStore(settings)
        assert store.use_server and store.location == url
        assert sorted(store.index().added) == SMALL_SOURCES
        assert sorted(KnowledgeStore(settings).index().skipped) == SMALL_SOURCES
        hits = HybridRetriever(store).search("Reciprocal Rank Fusion k = 60", k=2, lang="en")
        assert hits[0].source == "en/hybrid.md" and hits[0].heading_path == "Hybrid retrieval > Rank fusion"
    assert not (tmp_path / "data" / "chroma").exists()  # nothing was written to an embedded store
