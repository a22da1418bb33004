"""Quiz selection, progress through a quiz, and its summary, without Streamlit."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bank_factory import bank_of, make_question

from core.types import Grade
from practice.progress import filter_history, history_frame, mastery_by_topic, score_over_time
from practice.quiz import QuizConfig, start_quiz, summarize
from storage.attempts import AttemptStore
from storage.scheduling import ReviewScheduler

BANK = bank_of(
    make_question("rag-a", topics=["rag"], level="basic"),
    make_question("rag-b", topics=["rag", "embeddings"], level="advanced", sources=["fr/doc.md", "en/doc.md"]),
    make_question("agents-a", topics=["agents"], level="intermediate", sources=["en/agents.md"]),
    make_question("career-a", topics=["career"], kind="behavioral", level="basic", sources=[]),
)


def scheduler_for(tmp_path: Path) -> ReviewScheduler:
    return ReviewScheduler(f"sqlite:///{tmp_path / 'db.sqlite'}")


def grade(score: float) -> Grade:
    return Grade(score=score, grader="embedded")


def test_filters_pick_only_matching_questions(tmp_path: Path) -> None:
    quiz = start_quiz(BANK, scheduler_for(tmp_path), "alice", QuizConfig(topics=("rag",), count=10))
    assert sorted(i.question_id for i in quiz.items) == ["rag-a", "rag-b"]
    quiz = start_quiz(BANK, scheduler_for(tmp_path), "alice", QuizConfig(kinds=("behavioral",), count=10))
    assert [i.question_id for i in quiz.items] == ["career-a"]
    quiz = start_quiz(BANK, scheduler_for(tmp_path), "alice", QuizConfig(levels=("advanced",), topics=("agents",)))
    assert quiz.items == []


def test_count_is_respected_and_unseen_questions_come_first(tmp_path: Path) -> None:
    scheduler = scheduler_for(tmp_path)
    for qid in ("rag-a", "rag-b", "agents-a"):
        scheduler.record("alice", qid, 5.0)
    quiz = start_quiz(BANK, scheduler, "alice", QuizConfig(count=2), rng=random.Random(1))
    assert len(quiz.items) == 2
    assert quiz.items[0].question_id == "career-a"


def test_review_mode_serves_due_cards_weakest_first(tmp_path: Path) -> None:
    scheduler = scheduler_for(tmp_path)
    past = datetime.now(UTC) - timedelta(days=365)
    scheduler.record("alice", "rag-a", 8.0, when=past)
    scheduler.record("alice", "agents-a", 1.0, when=past)
    quiz = start_quiz(BANK, scheduler, "alice", QuizConfig(due_only=True, count=5))
    assert [i.question_id for i in quiz.items] == ["agents-a", "rag-a"]
    assert start_quiz(BANK, scheduler, "bob", QuizConfig(due_only=True)).items == []


def test_a_quiz_records_retries_and_summarises_best_scores(tmp_path: Path) -> None:
    config = QuizConfig(count=3, lang="en")
    quiz = start_quiz(BANK, scheduler_for(tmp_path), "alice", config, rng=random.Random(0))
    ids = [i.question_id for i in quiz.items]
    scores = {ids[0]: [3.0, 8.0], ids[1]: [4.0]}
    for qid in ids:
        for attempt, score in enumerate(scores.get(qid, [])):
            quiz.record(attempt + 1, f"answer {attempt}", grade(score))
        quiz.advance()
    assert quiz.finished and quiz.current is None
    summary = summarize(quiz, BANK)
    assert dict(summary.per_question) == {ids[0]: 8.0, ids[1]: 4.0, ids[2]: None}
    assert summary.average == 6.0
    weak_question = BANK.get(ids[1])
    assert set(summary.weakest_topics) <= set(weak_question.topics) | set(BANK.get(ids[0]).topics)
    assert all(ts.average < 7 for ts in summary.per_topic if ts.topic in summary.weakest_topics)
    english_sources = [s for s in weak_question.sources if s.startswith("en/")]
    assert summary.to_read == (english_sources or weak_question.sources)


def test_progress_frames(tmp_path: Path) -> None:
    store = AttemptStore(f"sqlite:///{tmp_path / 'db.sqlite'}")
    for qid, score in (("rag-a", 2.0), ("rag-a", 9.0), ("agents-a", 4.0)):
        attempt_id = store.start(profile="alice", question_id=qid, lang="en", answer="x")
        store.complete(attempt_id, Grade(question_id=qid, score=score, grader="embedded"))
    store.start(profile="alice", question_id="rag-b", lang="en", answer="unfinished")
    history = history_frame(store.list("alice"), BANK, "en")
    assert len(history) == 4
    assert list(score_over_time(history)["score"]) == [2.0, 9.0, 4.0]
    mastery = mastery_by_topic(history, BANK).set_index("topic")["mastery"].to_dict()
    assert mastery == {"agents": 4.0, "rag": 9.0}  # latest score of rag-a counts, not the first
    assert len(filter_history(history, statuses=["pending"])) == 1
    assert len(filter_history(history, topics=["agents"])) == 1
