"""Twenty candidates take a quiz at the same time against one database: nothing lost or mixed up.

Each thread plays one browser session through the same code path the quiz page uses
(`practice.grading.submit_answer` with the embedded grader), so the database sees the same
interleaving of short transactions as a server with twenty open tabs.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from config import PROJECT_ROOT, get_settings
from practice.grading import GradingOptions, Submission, submit_answer
from practice.quiz import QuizConfig, start_quiz
from question_bank import QuestionBank
from storage.attempts import AttemptStore
from storage.db import dispose_engines
from storage.scheduling import ReviewScheduler

SESSIONS = 20
QUESTIONS_EACH = 3
BANK = QuestionBank.load(PROJECT_ROOT / "question_bank" / "bank", PROJECT_ROOT / "knowledge" / "corpus")


def take_quiz(session_number: int, database_url: str, start: threading.Barrier) -> list[tuple[int, str, str]]:
    """One candidate: pick questions, answer each, grade it; returns (attempt id, question, answer)."""
    settings = get_settings()
    store, scheduler = AttemptStore(database_url), ReviewScheduler(database_url)
    profile = f"candidate-{session_number:02d}"
    rng = random.Random(session_number)
    quiz = start_quiz(BANK, scheduler, profile, QuizConfig(count=QUESTIONS_EACH, lang="en"), rng=rng)
    start.wait()
    saved = []
    for item in quiz.items:
        question = BANK.get(item.question_id)
        answer = f"{profile} answers {question.id}: {question.reference_answer.en[:300]}"
        submission = Submission(profile=profile, question=question, answer=answer, lang="en", session_id=quiz.id)
        run = submit_answer(
            submission, store=store, scheduler=scheduler, settings=settings, options=GradingOptions(grader="embedded")
        )
        events = list(run)
        assert run.error is None, run.error
        assert [e.kind for e in events if e.kind in ("grade", "error")] == ["grade"]
        saved.append((run.attempt_id, question.id, answer))
    return saved


def run_sessions(database_url: str) -> None:
    start = threading.Barrier(SESSIONS)
    with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        futures = [pool.submit(take_quiz, n, database_url, start) for n in range(SESSIONS)]
        results = {n: f.result(timeout=600) for n, f in enumerate(futures)}
    store = AttemptStore(database_url)
    assert store.count() == SESSIONS * QUESTIONS_EACH
    for n, saved in results.items():
        profile = f"candidate-{n:02d}"
        rows = {a.id: a for a in store.list(profile)}
        assert len(rows) == QUESTIONS_EACH
        for attempt_id, question_id, answer in saved:
            row = rows[attempt_id]
            assert (row.question_id, row.answer, row.status) == (question_id, answer, "graded")
            assert row.score is not None
        assert store.unfinished(profile) == []
        assert len(ReviewScheduler(database_url).all_cards(profile)) == QUESTIONS_EACH


@pytest.mark.slow
def test_twenty_sessions_on_one_sqlite_database(agentprep_data_dir) -> None:  # type: ignore[no-untyped-def]
    run_sessions(f"sqlite:///{agentprep_data_dir / 'shared.db'}")
    dispose_engines()


@pytest.mark.slow
def test_twenty_sessions_on_postgresql(postgres_url: str) -> None:
    run_sessions(postgres_url)
    dispose_engines()
