"""`cli.py index` and `cli.py search`, through click's CliRunner, on a small corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from knowledge_fixtures import write_small_corpus

from cli import cli
from config import get_settings


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_small_corpus(tmp_path / "corpus")
    monkeypatch.setenv("AGENTPREP_CORPUS_DIR", str(root))
    get_settings.cache_clear()
    return root


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_index_reports_added_then_skipped(corpus: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    first = run("index", "--store", store)
    assert first.exit_code == 0, first.output
    assert "Added (3):" in first.output and "fr/hybrid.md" in first.output
    assert "3 added, 0 updated, 0 removed, 0 skipped, 0 error(s)" in first.output
    second = run("index", "--store", store)
    assert second.exit_code == 0
    assert "0 added, 0 updated, 0 removed, 3 skipped" in second.output


def test_index_with_bad_paths_exits_1_and_keeps_the_index(corpus: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    assert run("index", "--store", store).exit_code == 0
    empty = tmp_path / "empty.md"
    empty.write_text("")
    result = run("index", "--store", store, str(tmp_path / "missing"), str(empty))
    assert result.exit_code == 1
    assert "missing: no such file or folder" in result.stderr
    assert "empty.md: the file is empty" in result.stderr
    assert "3 skipped, 2 error(s)" in result.stdout
    assert run("search", "--store", store, "ReAct", "--json").exit_code == 0


def test_search_json_lists_hits_best_first(corpus: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    run("index", "--store", store)
    result = run("search", "--store", store, "Reciprocal Rank Fusion k = 60", "-k", "2", "--lang", "en", "--json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert len(hits) == 2
    assert all(set(hit) == {"text", "source", "title", "score"} for hit in hits)
    assert hits[0]["source"] == "en/hybrid.md" and hits[0]["title"] == "Hybrid retrieval"
    assert "Reciprocal Rank Fusion" in hits[0]["text"]
    assert hits[0]["score"] >= hits[1]["score"]
    human = run("search", "--store", store, "boucle ReAct outil", "--lang", "fr")
    assert human.exit_code == 0 and human.stdout.startswith("1. Les agents > La boucle ReAct  [fr/agents.md")


def test_search_on_a_new_store_finds_shipped_passages_without_an_index_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_model(texts):  # type: ignore[no-untyped-def]
        raise AssertionError(f"the shipped corpus was embedded again ({len(texts)} texts)")

    monkeypatch.setattr("knowledge.embeddings.encode", no_model)
    result = run("search", "--store", str(tmp_path / "new"), "Reciprocal Rank Fusion", "--lang", "en", "--json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert len(hits) == 5 and all(hit["source"].startswith("en/") for hit in hits)
    assert any("Reciprocal Rank Fusion" in hit["text"] for hit in hits[:2])


def test_search_with_nothing_to_search_says_to_index_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "no-corpus").mkdir()
    monkeypatch.setenv("AGENTPREP_CORPUS_DIR", str(tmp_path / "no-corpus"))
    get_settings.cache_clear()
    result = run("search", "--store", str(tmp_path / "nothing"), "agents")
    assert result.exit_code == 1
    assert "is empty: run `python cli.py index` first" in result.stderr
