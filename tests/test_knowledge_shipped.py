"""The shipped corpus's vectors (knowledge/shipped_index.npz) and the numpy query encoder.

The file must match today's corpus (this test fails until `python cli.py index --write-shipped` is
run after a corpus edit), a new store must load from it without the model, and an edited corpus must
never be served with the old vectors: its changed chunks are embedded.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from knowledge_fixtures import isolated_settings, write_small_corpus

from knowledge.chunking import ChunkingSettings
from knowledge.embeddings import encode
from knowledge.query_encoder import query_encoder
from knowledge.shipped import SHIPPED_CORPUS, SHIPPED_INDEX, corpus_rows, load_shipped, text_key
from knowledge.store import KnowledgeStore

REGENERATE = "the corpus changed: run `python cli.py index --write-shipped` and commit knowledge/shipped_index.npz"


def no_model(texts):  # type: ignore[no-untyped-def]
    raise AssertionError(f"the model was asked to embed {len(texts)} text(s)")


@pytest.fixture(scope="module")
def shipped():  # type: ignore[no-untyped-def]
    vectors = load_shipped(SHIPPED_INDEX)
    assert vectors is not None, f"{SHIPPED_INDEX} is missing or unreadable: {REGENERATE}"
    return vectors


def test_the_shipped_file_was_made_from_todays_corpus_and_is_small(shipped) -> None:  # type: ignore[no-untyped-def]
    assert shipped.outdated_reason(SHIPPED_CORPUS, ChunkingSettings()) == "", REGENERATE
    rows = corpus_rows(isolated_settings(Path("/nonexistent"), SHIPPED_CORPUS), ChunkingSettings())
    missing = [chunk_id for chunk_id, text, _ in rows if shipped.vector(text) is None]
    assert missing == [], REGENERATE
    assert len(shipped) == len(rows) == shipped.manifest["chunks"]
    assert SHIPPED_INDEX.stat().st_size < 2 * 2**20


def test_the_shipped_vectors_are_the_models_vectors(shipped) -> None:  # type: ignore[no-untyped-def]
    rows = corpus_rows(isolated_settings(Path("/nonexistent"), SHIPPED_CORPUS), ChunkingSettings())
    sample = [text for _, text, _ in rows[:: max(1, len(rows) // 24)]]
    fresh = encode(sample)
    similarity = [float(shipped.vector(text) @ vector) for text, vector in zip(sample, fresh, strict=True)]
    assert min(similarity) > 0.999, similarity


def test_a_new_store_loads_the_shipped_corpus_without_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr("knowledge.embeddings.encode", no_model)
    store = KnowledgeStore(isolated_settings(tmp_path / "data"))
    report = store.prepare()
    assert report is not None and not report.errors and not report.deferred
    assert report.chunks_embedded == 0 and report.chunks_shipped == len(shipped)
    rows = store.chunk_rows()
    assert len(rows.ids) == len(set(rows.ids)) == len(shipped) == store.count()
    assert len({(m["source"], m["position"]) for m in rows.metadatas}) == len(shipped)
    assert store.index().skipped and store.count() == len(shipped)  # a second run adds nothing


def test_an_edited_corpus_is_never_served_with_the_old_vectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped  # type: ignore[no-untyped-def]
) -> None:
    corpus = Path(shutil.copytree(SHIPPED_CORPUS, tmp_path / "corpus"))
    page = corpus / "en" / "agents-fundamentals.md"
    original = page.read_text(encoding="utf-8")
    paragraph = next(p for p in original.split("\n\n")[3:] if len(p) > 200 and not p.startswith("#"))
    edited = original.replace(paragraph, "Zanzibar quokkas orchestrate the agent loop. " + paragraph, 1)
    page.write_text(edited + "\n## Platypus planning\n\nA brand-new section about platypus planning.\n")
    assert "corpus hash" in shipped.outdated_reason(corpus, ChunkingSettings())

    settings = isolated_settings(tmp_path / "data", corpus)
    monkeypatch.setattr("knowledge.embeddings.encode", no_model)
    first = KnowledgeStore(settings).prepare()  # what a server does first: no model
    assert first is not None and first.deferred == [str(page.resolve())]
    assert "en/agents-fundamentals.md" not in {d.source for d in KnowledgeStore(settings).documents()}

    embedded: list[str] = []

    def counting_encode(texts):  # type: ignore[no-untyped-def]
        embedded.extend(texts)
        return encode(texts)

    monkeypatch.setattr("knowledge.embeddings.encode", counting_encode)
    store = KnowledgeStore(settings)
    report = store.index()  # what the background worker does next
    assert report.added == ["en/agents-fundamentals.md"]
    assert 2 <= report.chunks_embedded == len(embedded) < 10  # only the changed chunks
    assert any("Zanzibar quokkas" in text for text in embedded)
    assert any("platypus planning" in text for text in embedded)
    collection = store._get_collection(create=False)
    stored = collection.get(where={"source": "en/agents-fundamentals.md"}, include=["documents", "embeddings"])
    assert any("Zanzibar quokkas" in text for text in stored["documents"])
    assert not any(paragraph in text and "Zanzibar" not in text for text in stored["documents"])
    fresh = encode(stored["documents"])
    similarity = np.sum(np.asarray(stored["embeddings"]) * fresh, axis=1)
    assert similarity.min() > 0.999  # every vector belongs to the text stored with it


def test_a_file_for_another_model_is_not_used(tmp_path: Path, shipped) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "other.npz"
    manifest = {**shipped.manifest, "embedding_model": "another-model"}
    with other.open("wb") as handle:
        np.savez(handle, manifest=np.array(json.dumps(manifest)), keys=np.array([text_key("x")]),
                 ids=np.array(["x"]), vectors=np.ones((1, 384), dtype=np.float16))  # fmt: skip
    assert load_shipped(other) is None
    assert load_shipped(tmp_path / "missing.npz") is None
    (tmp_path / "broken.npz").write_bytes(b"not a zip file")
    assert load_shipped(tmp_path / "broken.npz") is None


@pytest.mark.parametrize(
    "text",
    [
        "Comment fonctionne la fusion RRF ?",
        "What is a ReAct agent loop?",
        "x",
        "Évaluer un agent : traçabilité, coûts, latence. " * 60,  # past the 256 tokens the model reads
        "emoji 🤖 and ｆｕｌｌｗｉｄｔｈ text\tand\u00a0spaces",
    ],
)
def test_the_numpy_query_encoder_gives_the_models_vectors(text: str) -> None:
    mine, reference = query_encoder().embed(text), encode([text])[0]
    assert mine.dtype == np.float32 and mine.shape == reference.shape
    assert float(mine @ reference) > 0.99999
    assert np.abs(mine - reference).max() < 1e-4


def test_the_developer_command_writes_a_file_the_indexer_then_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from knowledge.shipped import write_shipped

    corpus = write_small_corpus(tmp_path / "corpus")
    path = tmp_path / "shipped.npz"
    manifest = write_shipped(isolated_settings(tmp_path / "unused", corpus), path)
    assert manifest["chunks"] == 5 and manifest["dtype"] == "float16"
    written = load_shipped(path)
    assert written is not None and written.outdated_reason(corpus, ChunkingSettings()) == ""
    monkeypatch.setattr("knowledge.embeddings.encode", no_model)
    report = KnowledgeStore(isolated_settings(tmp_path / "data", corpus), shipped=path).index()
    assert (report.chunks_shipped, report.chunks_embedded, len(report.added)) == (5, 0, 3)
