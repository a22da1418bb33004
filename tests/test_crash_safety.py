"""Killing the process mid-work loses nothing: the next start finds the answer and can grade it."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from config import PROJECT_ROOT, get_settings
from practice.grading import GradingOptions, grade_saved_attempt
from question_bank import QuestionBank
from storage.attempts import AttemptStore
from storage.db import dispose_engines
from storage.scheduling import ReviewScheduler

GRADING_SCRIPT = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r})
    from config import get_settings, PROJECT_ROOT
    from practice.grading import GradingOptions, Submission, submit_answer
    from question_bank import QuestionBank
    from storage.attempts import AttemptStore
    from storage.scheduling import ReviewScheduler
    from fake_judge import HonestFakeJudge

    class StuckJudge(HonestFakeJudge):
        def _stream(self, *args, **kwargs):
            print("GRADING", flush=True)
            time.sleep(600)
            yield from ()

    settings = get_settings()
    bank = QuestionBank.load(settings.bank_dir, settings.corpus_dir)
    question = bank.get("aii-20-rag")
    submission = Submission(profile="alice", question=question, answer="Mon answer survives the crash", lang="fr")
    store, scheduler = AttemptStore(settings.sqlalchemy_url), ReviewScheduler(settings.sqlalchemy_url)
    for event in submit_answer(submission, store=store, scheduler=scheduler, settings=settings,
                               options=GradingOptions(grader="llm", chat_model=StuckJudge())):
        pass
    """
)


def test_killing_the_app_mid_grading_keeps_the_answer_regradable(agentprep_data_dir: Path) -> None:
    script = agentprep_data_dir / "grade_then_die.py"
    script.write_text(GRADING_SCRIPT.format(root=str(PROJECT_ROOT), tests=str(PROJECT_ROOT / "tests")))
    env = {**os.environ, "AGENTPREP_DATA_DIR": str(agentprep_data_dir), "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        [sys.executable, str(script)], cwd=agentprep_data_dir, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        line = ""
        while "GRADING" not in line and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                pytest.fail(f"the grading process ended early with code {process.returncode}")
        assert "GRADING" in line, "grading never started"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    settings = get_settings()
    database = settings.data_dir / "agentprep.db"
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    dispose_engines()
    store = AttemptStore(settings.sqlalchemy_url)
    [pending] = store.unfinished("alice")
    assert pending.answer == "Mon answer survives the crash" and pending.status == "pending"
    bank = QuestionBank.load(settings.bank_dir, settings.corpus_dir)
    scheduler = ReviewScheduler(settings.sqlalchemy_url)
    question = bank.get(pending.question_id)
    stream = grade_saved_attempt(
        pending.id, question, pending.answer, profile="alice", store=store, scheduler=scheduler, settings=settings,
        options=GradingOptions(grader="embedded"),
    )  # fmt: skip
    events = list(stream)
    assert events[-1].kind == "grade"
    assert store.unfinished("alice") == []
    assert store.get(pending.id).status == "graded"


def write_notes(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        sections = "\n\n".join(
            f"## Section {s}\n\n" + f"Note {n}.{s}: retrieval, chunking, reranking and agents, topic {n * 7 + s}. " * 3
            for s in range(4)
        )
        (folder / f"note-{n:03d}.md").write_text(f"# Note {n}\n\n{sections}\n", encoding="utf-8")


def test_killing_the_indexer_leaves_a_usable_store_that_the_next_run_completes(agentprep_data_dir: Path) -> None:
    notes, store_dir = agentprep_data_dir / "notes", agentprep_data_dir / "store"
    write_notes(notes, 40)
    env = {**os.environ, "AGENTPREP_DATA_DIR": str(agentprep_data_dir), "HF_HUB_OFFLINE": "1"}
    cli = [sys.executable, str(PROJECT_ROOT / "cli.py")]
    command = [*cli, "index", str(notes), "--store", str(store_dir), "--no-corpus"]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    progress = bytearray()

    def collect() -> None:
        for chunk in iter(lambda: process.stderr.read1(256), b""):
            progress.extend(chunk)

    threading.Thread(target=collect, daemon=True).start()
    deadline = time.monotonic() + 300
    embedding = re.compile(rb"Embedding chunks:\s+\d+%\|[^|]*\|\s*[1-9]\d*/")
    while time.monotonic() < deadline and not embedding.search(bytes(progress)) and process.poll() is None:
        time.sleep(0.05)
    assert embedding.search(bytes(progress)), "the indexer never started embedding"
    os.kill(process.pid, signal.SIGKILL)  # mid-embedding: some chunks written, most not
    process.wait(timeout=30)
    rerun = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    search = subprocess.run(
        [*cli, "search", "Note 37 reranking", "--store", str(store_dir), "--json"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert search.returncode == 0, search.stderr[-2000:]
    hits = json.loads(search.stdout)
    assert hits and all(h["source"] for h in hits)
    from knowledge.store import KnowledgeStore

    documents = KnowledgeStore(get_settings(), store_dir=store_dir).documents()
    assert len([d for d in documents if "note-" in str(d.source)]) == 40
