"""Adaptive quizzes: the level follows scripted scores saved in a real attempt store, and says why."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import pytest
from bank_factory import bank_of, make_question

from core.types import Grade
from practice.adaptive import AdaptivePick, decide_level, level_ladder
from practice.quiz import QuizConfig, QuizSession, advance_quiz, start_quiz
from question_bank.model import Level
from storage.attempts import AttemptStore
from storage.scheduling import ReviewScheduler

LEVEL_COUNTS = {"basic": 3, "intermediate": 5, "advanced": 3}
BANK = bank_of(
    *(make_question(f"rag-{level}-{n}", level=level) for level, count in LEVEL_COUNTS.items() for n in range(count)),
    make_question("agents-basic-0", topics=["agents"], level="basic"),
    make_question("agents-advanced-0", topics=["agents"], level="advanced"),
)
RAG_EN = BANK.topic_label("rag", "en")
RAG_FR = BANK.topic_label("rag", "fr")


@pytest.fixture
def store(tmp_path: Path) -> AttemptStore:
    return AttemptStore(f"sqlite:///{tmp_path / 'db.sqlite'}")


@pytest.fixture
def scheduler(tmp_path: Path) -> ReviewScheduler:
    return ReviewScheduler(f"sqlite:///{tmp_path / 'db.sqlite'}")


def answer_current(quiz: QuizSession, store: AttemptStore, score: float) -> None:
    """What the page does: save the answer, grade it, complete the attempt, record it on the quiz."""
    item = quiz.current
    attempt_id = store.start(profile=quiz.profile, question_id=item.question_id, lang="en", answer="an answer")
    grade = Grade(question_id=item.question_id, score=score, grader="embedded")
    store.complete(attempt_id, grade)
    quiz.record(attempt_id, "an answer", grade)


def play(
    config: QuizConfig, store: AttemptStore, scheduler: ReviewScheduler, scores: Sequence[float], seed: int = 0
) -> QuizSession:
    """Answer with the scripted scores in order, then stop (the last question asked stays unanswered)."""
    rng = random.Random(seed)
    quiz = start_quiz(BANK, scheduler, "alice", config, rng=rng, store=store)
    for score in scores:
        answer_current(quiz, store, score)
        advance_quiz(quiz, BANK, store, scheduler, rng)
    return quiz


def levels_of(quiz: QuizSession) -> list[str]:
    return [item.pick.level.value for item in quiz.items]


def directions_of(quiz: QuizSession) -> list[str]:
    return [item.pick.direction for item in quiz.items]


def test_rising_scores_move_from_basic_to_intermediate_to_advanced(
    store: AttemptStore, scheduler: ReviewScheduler
) -> None:
    quiz = play(QuizConfig(topics=("rag",), count=6, adaptive=True), store, scheduler, [2, 9, 9, 9, 9])
    assert levels_of(quiz) == ["intermediate", "basic", "basic", "basic", "intermediate", "advanced"]
    assert directions_of(quiz) == ["start", "down", "same", "same", "up", "up"]
    assert quiz.items[-1].pick.recent_scores == (9.0, 9.0, 9.0)  # newest first, the last 3 only
    assert quiz.position == 5 and not quiz.finished


def test_falling_scores_move_from_advanced_down_to_basic(store: AttemptStore, scheduler: ReviewScheduler) -> None:
    quiz = play(QuizConfig(topics=("rag",), count=6, adaptive=True), store, scheduler, [9, 9, 2, 2, 2])
    assert levels_of(quiz) == ["intermediate", "advanced", "advanced", "advanced", "intermediate", "basic"]
    assert directions_of(quiz) == ["start", "up", "same", "same", "down", "down"]
    assert quiz.items[2].pick.reason("en") == (
        "Your last 2 answers on rag averaged 9.0/10: staying at advanced, the highest level."
    )


def test_middling_scores_stay_at_the_same_level(store: AttemptStore, scheduler: ReviewScheduler) -> None:
    quiz = play(QuizConfig(topics=("rag",), count=5, adaptive=True), store, scheduler, [6, 5, 7.4, 6])
    assert levels_of(quiz) == ["intermediate"] * 5
    assert directions_of(quiz) == ["start", "same", "same", "same", "same"]


def test_history_before_the_quiz_counts_and_unseen_questions_come_first(
    store: AttemptStore, scheduler: ReviewScheduler
) -> None:
    for qid, score in (("rag-basic-0", 8.0), ("rag-basic-1", 9.0), ("rag-intermediate-0", 8.0)):
        attempt_id = store.start(profile="alice", question_id=qid, lang="en", answer="earlier")
        store.complete(attempt_id, Grade(question_id=qid, score=score, grader="embedded"))
    store.start(profile="alice", question_id="rag-advanced-0", lang="en", answer="never graded")
    store.start(profile="alice", question_id="rag-advanced-1", lang="en", answer="never graded")
    first = start_quiz(BANK, scheduler, "alice", QuizConfig(topics=("rag",), adaptive=True), store=store).items[0]
    assert (first.pick.direction, first.pick.level) == ("up", Level.advanced)
    assert first.question_id == "rag-advanced-2"  # the only advanced question without an attempt
    bobs_first = start_quiz(BANK, scheduler, "bob", QuizConfig(topics=("rag",), adaptive=True), store=store).items[0]
    assert bobs_first.pick.direction == "start"  # another profile's history does not count


def test_the_reason_names_topic_average_and_direction_in_both_languages() -> None:
    up = AdaptivePick("rag-advanced-0", Level.advanced, Level.advanced, "up", "rag", (9.0, 9.0, 7.0))
    assert up.reason("en", BANK.topic_label) == (
        f"Your last 3 answers on {RAG_EN} averaged 8.3/10: moving up to advanced."
    )
    assert up.reason("fr", BANK.topic_label) == (
        f"Vos 3 dernières réponses sur {RAG_FR} ont une moyenne de 8,3/10 : on passe au niveau avancé."
    )
    down = AdaptivePick("rag-basic-0", Level.basic, Level.basic, "down", "rag", (3.0,))
    assert down.reason("en", BANK.topic_label) == f"Your last answer on {RAG_EN} scored 3.0/10: moving down to basic."
    assert down.reason("fr", BANK.topic_label) == (
        f"Votre dernière réponse sur {RAG_FR} a obtenu 3,0/10 : on redescend au niveau débutant."
    )
    start = AdaptivePick("rag-intermediate-0", Level.intermediate, Level.intermediate, "start", "rag", ())
    assert start.reason("en", BANK.topic_label) == f"No graded answer on {RAG_EN} yet: starting at intermediate."
    assert start.reason("fr") == "Pas encore de réponse notée sur rag : on commence au niveau intermédiaire."


def test_no_question_left_at_the_target_level_takes_the_nearest_and_says_so(
    store: AttemptStore, scheduler: ReviewScheduler
) -> None:
    quiz = play(QuizConfig(topics=("rag",), count=8, adaptive=True), store, scheduler, [9, 9, 9, 9, 9, 9, 9])
    assert levels_of(quiz) == ["intermediate", "advanced", "advanced", "advanced"] + ["intermediate"] * 4
    fallback = quiz.items[4].pick
    assert (fallback.target_level, fallback.level) == (Level.advanced, Level.intermediate)
    assert fallback.reason("en").endswith("No advanced question is left, so this one is intermediate.")
    assert "celle-ci est de niveau intermédiaire" in fallback.reason("fr")


def test_no_repeats_and_the_count_is_respected(store: AttemptStore, scheduler: ReviewScheduler) -> None:
    quiz = play(QuizConfig(count=4, adaptive=True), store, scheduler, [8, 3, 6, 9], seed=3)
    ids = [item.question_id for item in quiz.items]
    assert len(ids) == 4 and len(set(ids)) == 4
    assert quiz.finished and quiz.current is None and quiz.planned_total == 4
    assert advance_quiz(quiz, BANK, store, scheduler) is None and len(quiz.items) == 4


def test_a_quiz_that_runs_out_of_questions_ends_gracefully(store: AttemptStore, scheduler: ReviewScheduler) -> None:
    config = QuizConfig(topics=("agents",), count=5, adaptive=True)
    quiz = start_quiz(BANK, scheduler, "alice", config, store=store)
    assert quiz.planned_total == 5
    advance_quiz(quiz, BANK, store, scheduler)  # skipped, unanswered
    assert len(quiz.items) == 2 and quiz.current is quiz.items[1]
    assert advance_quiz(quiz, BANK, store, scheduler) is None
    assert quiz.finished and quiz.exhausted and quiz.planned_total == 2
    empty = start_quiz(BANK, scheduler, "alice", QuizConfig(kinds=("behavioral",), adaptive=True), store=store)
    assert empty.items == [] and empty.finished


def test_other_topics_follow_when_the_last_topic_is_used_up(store: AttemptStore, scheduler: ReviewScheduler) -> None:
    config = QuizConfig(topics=("agents", "rag"), levels=("basic",), count=5, adaptive=True)
    quiz = play(config, store, scheduler, [9, 9, 9, 9])
    topics = [item.pick.topic for item in quiz.items]
    assert sorted(topics) == ["agents", "rag", "rag", "rag"]
    switched = next(item.pick for item in quiz.items[1:] if item.pick.topic != topics[0])
    assert switched.level == Level.basic  # the levels filter bounds the ladder
    assert quiz.finished and quiz.exhausted


def test_plain_advance_cannot_skip_growing_an_adaptive_quiz(store: AttemptStore, scheduler: ReviewScheduler) -> None:
    quiz = start_quiz(BANK, scheduler, "alice", QuizConfig(topics=("rag",), adaptive=True), store=store)
    with pytest.raises(RuntimeError, match="advance_quiz"):
        quiz.advance()
    with pytest.raises(ValueError, match="store"):
        start_quiz(BANK, scheduler, "alice", QuizConfig(adaptive=True))


def test_decide_level_thresholds_and_ladder() -> None:
    ladder = level_ladder(())
    assert decide_level([], None, ladder) == (Level.intermediate, "start")
    assert decide_level([7.5], Level.intermediate, ladder) == (Level.advanced, "up")
    assert decide_level([7.4], Level.intermediate, ladder) == (Level.intermediate, "same")
    assert decide_level([5.0], Level.intermediate, ladder) == (Level.intermediate, "same")
    assert decide_level([4.9], Level.intermediate, ladder) == (Level.basic, "down")
    assert decide_level([1.0], Level.basic, ladder) == (Level.basic, "same")
    assert decide_level([], None, level_ladder(("basic", "advanced"))) == (Level.basic, "start")
    assert decide_level([9.0], Level.basic, level_ladder(("basic", "advanced"))) == (Level.advanced, "up")
