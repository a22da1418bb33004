"""Two builders on one store, in two processes: one builds, the other waits and reuses its work.

Builder A stops inside the build lock (at its first progress call) until the test lets it go, so
the order is forced, not hoped for: B's attempts happen while A certainly holds the lock. Run for an
embedded store in a shared data directory (file lock), a Chroma server with a shared SQLite data
directory (file lock beside the database), and a Chroma server with PostgreSQL (advisory lock).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from knowledge_fixtures import chroma_server, isolated_settings, write_small_corpus

from config import PROJECT_ROOT
from knowledge.retrieval import HybridRetriever, RetrievalConfig
from knowledge.store import KnowledgeStore

SMALL_SOURCES = ["en/hybrid.md", "fr/agents.md", "fr/hybrid.md"]
SMALL_CHUNKS = 5
BUILDER = r"""
import json, sys, time
from pathlib import Path
from config import get_settings
from knowledge.store import READING, WAITING, BuildBusy, KnowledgeStore

mode, inside, release = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
store = KnowledgeStore(get_settings())
paused = []

def progress(done, total, label):
    if label == WAITING:
        print("@waiting", flush=True)
    if mode == "pause" and label == READING and not paused:
        paused.append(True)
        inside.touch()
        deadline = time.monotonic() + 300  # never outlive a test that died
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.05)

try:
    if mode == "prepare":
        report = store.prepare(progress=progress)
    else:
        report = store.index(progress=progress, wait=mode != "try")
except BuildBusy as exc:
    print("@busy", exc, flush=True)
    sys.exit(0)
summary = None if report is None else {"added": report.added, "skipped": report.skipped,
                                       "embedded": report.chunks_embedded, "deferred": report.deferred}
print("@report", json.dumps(summary), flush=True)
"""


class Builders:
    def __init__(self, tmp_path: Path, corpus: Path) -> None:
        self.tmp = tmp_path
        self.corpus = corpus
        self.inside, self.release = tmp_path / "a-inside", tmp_path / "a-release"
        self.processes: list[subprocess.Popen] = []

    def start(self, mode: str, env: dict[str, str]) -> subprocess.Popen:
        full_env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "AGENTPREP_CORPUS_DIR": str(self.corpus),
                    "HF_HUB_OFFLINE": "1", **env}  # fmt: skip
        process = subprocess.Popen(
            [sys.executable, "-c", BUILDER, mode, str(self.inside), str(self.release)],
            cwd=self.tmp, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.processes.append(process)
        return process

    def wait_until_a_holds_the_lock(self, a: subprocess.Popen) -> None:
        deadline = time.monotonic() + 120  # a safety net for a broken set-up, not a measured delay
        while not self.inside.exists():
            assert a.poll() is None, a.communicate()
            assert time.monotonic() < deadline, "builder A never reached its first progress call"
            time.sleep(0.05)

    def close(self) -> None:
        self.release.touch()
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.communicate()


@pytest.fixture
def builders(tmp_path: Path):  # type: ignore[no-untyped-def]
    running = Builders(tmp_path, write_small_corpus(tmp_path / "corpus"))
    yield running
    running.close()


def report_of(process: subprocess.Popen, timeout: float = 300) -> dict | None:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    lines = [line for line in out.splitlines() if line.startswith("@report ")]
    assert len(lines) == 1, out + err
    return json.loads(lines[0].removeprefix("@report "))


def read_until(process: subprocess.Popen, wanted: str) -> list[str]:
    """Lines of `process` up to the first `wanted` one; fails if it exits without printing it."""
    seen = []
    for line in process.stdout or ():
        seen.append(line.strip())
        if line.strip() == wanted:
            return seen
    pytest.fail(f"the process ended without printing {wanted}: {seen} {process.communicate()[1]}")


def one_builds_the_other_waits_and_reuses(builders: Builders, env_a: dict[str, str], env_b: dict[str, str]) -> None:
    a = builders.start("pause", env_a)
    builders.wait_until_a_holds_the_lock(a)
    tried = builders.start("try", env_b).communicate(timeout=300)[0]
    assert "@busy" in tried and "@report" not in tried  # B does not write while A holds the lock
    b = builders.start("prepare", env_b)  # what a second server does when it starts
    read_until(b, "@waiting")
    assert a.poll() is None  # A is still paused inside the lock: B really is waiting for it
    builders.release.touch()
    first, second = report_of(a), report_of(b)
    assert first is not None and sorted(first["added"]) == SMALL_SOURCES and first["embedded"] == SMALL_CHUNKS
    assert second == {"added": [], "skipped": SMALL_SOURCES, "embedded": 0, "deferred": []}


def assert_one_copy_of_each_chunk(store: KnowledgeStore) -> None:
    rows = store.chunk_rows()
    assert store.count() == len(rows.ids) == len(set(rows.ids)) == SMALL_CHUNKS
    assert len({(m["source"], m["position"]) for m in rows.metadatas}) == SMALL_CHUNKS
    assert sum(d.chunks for d in store.documents()) == SMALL_CHUNKS


def test_two_builders_on_one_data_directory_embedded_store(builders: Builders, tmp_path: Path) -> None:
    env = {"AGENTPREP_DATA_DIR": str(tmp_path / "shared-data")}
    one_builds_the_other_waits_and_reuses(builders, env, env)
    assert_one_copy_of_each_chunk(KnowledgeStore(isolated_settings(tmp_path / "shared-data", builders.corpus)))


def test_two_builders_on_one_chroma_server_sharing_a_sqlite_data_directory(builders: Builders, tmp_path: Path) -> None:
    with chroma_server(tmp_path / "chroma-server") as url:
        env = {"AGENTPREP_DATA_DIR": str(tmp_path / "shared-data"), "AGENTPREP_CHROMA_URL": url}
        one_builds_the_other_waits_and_reuses(builders, env, env)
        settings = isolated_settings(tmp_path / "shared-data", builders.corpus, chroma_url=url)
        assert_one_copy_of_each_chunk(KnowledgeStore(settings))


def test_two_builders_on_one_chroma_server_sharing_postgresql(
    builders: Builders, tmp_path: Path, postgres_url: str
) -> None:
    with chroma_server(tmp_path / "chroma-server") as url:
        shared = {"AGENTPREP_CHROMA_URL": url, "AGENTPREP_DATABASE_URL": postgres_url,
                  "AGENTPREP_COLLECTION": "lock-test-pg"}  # fmt: skip
        env_a = {**shared, "AGENTPREP_DATA_DIR": str(tmp_path / "data-a")}  # two machines: no shared folder
        env_b = {**shared, "AGENTPREP_DATA_DIR": str(tmp_path / "data-b")}
        one_builds_the_other_waits_and_reuses(builders, env_a, env_b)
        settings = isolated_settings(tmp_path / "data-a", builders.corpus, chroma_url=url, collection="lock-test-pg")
        assert_one_copy_of_each_chunk(KnowledgeStore(settings))


def test_a_server_serves_a_store_at_once_while_another_process_updates_it(builders: Builders, tmp_path: Path) -> None:
    env = {"AGENTPREP_DATA_DIR": str(tmp_path / "shared-data")}
    settings = isolated_settings(tmp_path / "shared-data", builders.corpus)
    assert sorted(KnowledgeStore(settings).index().added) == SMALL_SOURCES
    a = builders.start("pause", env)  # e.g. `cli.py index` embedding a coach's documents
    builders.wait_until_a_holds_the_lock(a)
    out, err = builders.start("prepare", env).communicate(timeout=300)
    assert "@report null" in out, err  # the store can answer: B leaves the work to A
    assert "@waiting" not in out and a.poll() is None  # B finished while A still held the lock


def test_dense_search_sees_documents_another_process_added(tmp_path: Path) -> None:
    """An embedded Chroma keeps its vector index in memory: after another process writes, the
    retriever must bring this process's index up to date, or dense search misses the new chunks."""
    corpus = write_small_corpus(tmp_path / "corpus")
    settings = isolated_settings(tmp_path / "data", corpus)
    store = KnowledgeStore(settings)
    store.index()
    dense_only = HybridRetriever(store, RetrievalConfig(use_lexical=False))
    assert len(dense_only.search("Reciprocal Rank Fusion", k=1)) == 1  # this process has loaded the index now
    notes = tmp_path / "notes" / "kv-cache.md"
    notes.parent.mkdir()
    notes.write_text("# KV cache\n\nThe key-value cache stores attention keys and values of past tokens, so "
                     "each new token is decoded without recomputing the prompt.\n", encoding="utf-8")  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "AGENTPREP_DATA_DIR": str(tmp_path / "data"),
           "AGENTPREP_CORPUS_DIR": str(corpus), "HF_HUB_OFFLINE": "1"}  # fmt: skip
    worker = subprocess.Popen([sys.executable, "-m", "knowledge.index_worker", str(notes)], cwd=tmp_path, env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = worker.stdout.read()  # type: ignore[union-attr] - the worker runs while its stdin stays open
    worker.stdin.close()  # type: ignore[union-attr]
    assert worker.wait(timeout=300) == 0, output
    hits = dense_only.search("key-value cache of attention keys and values for past tokens", k=1)
    assert [hit.source for hit in hits] == [notes.resolve().as_posix()]
