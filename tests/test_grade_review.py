"""Dispute to review to calibration, without Streamlit: the candidate disputes, the coach settles.

Checks that a disputed grade holds the question's spaced repetition, that the coach's grade then
replaces the machine's for progress and scheduling, and that the pair (answer, coach grade) joins
the question's calibration samples and reaches the judge's next prompt.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from grading_fixtures import GOOD_ANSWER_EN, GOOD_REPLY_EN, QUESTION, judge_reply, no_llm_settings, scripted_judge
from sqlalchemy import inspect

from coach.content import CoachContent
from coach.review import coach_grade, resolve, review_queue
from config import Settings
from core.types import Confidence, Verdict
from evaluators.service import grade_answer
from practice.grading import GradingOptions, GradingRun, Submission, dispute_grade, submit_answer
from question_bank.bank import QuestionBank
from question_bank.overlay import apply_coach_content
from storage.attempts import AttemptStore, grade_of, machine_grade_of
from storage.db import dispose_engines, get_engine
from storage.scheduling import ReviewScheduler

NOTHING_MET = judge_reply({i.id: ("not_met", "") for i in QUESTION.rubric})


@pytest.fixture
def settings(agentprep_data_dir: Path) -> Settings:
    return no_llm_settings(agentprep_data_dir)


def graded_attempt(settings: Settings, store: AttemptStore, scheduler: ReviewScheduler, reply: str) -> GradingRun:
    submission = Submission(profile="ann", question=QUESTION, answer=GOOD_ANSWER_EN, lang="en")
    options = GradingOptions(grader="llm", chat_model=scripted_judge(reply))
    run = submit_answer(submission, store=store, scheduler=scheduler, settings=settings, options=options)
    assert run.finish() is not None
    return run


def test_a_disputed_grade_waits_for_the_coach_whose_grade_then_counts_everywhere(
    settings: Settings, tmp_path: Path
) -> None:
    store, scheduler = AttemptStore(settings.sqlalchemy_url), ReviewScheduler(settings.sqlalchemy_url)
    content = CoachContent(settings.sqlalchemy_url)
    good = graded_attempt(settings, store, scheduler, GOOD_REPLY_EN)
    [card] = scheduler.all_cards("ann")
    due_after_good = card.due
    harsh = graded_attempt(settings, store, scheduler, NOTHING_MET)
    assert harsh.grade.score == 0 and harsh.grade.confidence == Confidence.low  # the embedded grader disagrees
    assert scheduler.all_cards("ann")[0].due < due_after_good  # a 0 brings the question back soon

    assert dispute_grade(harsh.attempt_id, ["rrf", "two-retrievers"], "I explained RRF.", store=store,
                         scheduler=scheduler)  # fmt: skip
    [held] = scheduler.all_cards("ann")
    assert held.due == due_after_good and held.last_score == good.grade.score and held.reviews == 1
    assert scheduler.due("ann", now=due_after_good) == []  # waits for the review, even when due

    [case] = review_queue(store, {QUESTION.id: QUESTION})
    assert case.attempt.id == harsh.attempt_id and case.disputed == ["rrf", "two-retrievers"]
    assert case.reasons[0] == "disputed" and "disagreement" in case.reasons
    outcome = resolve(case, {"two-retrievers": "met", "rrf": "met", "measure": "partly_met"}, "coach-cleo",
                      store=store, scheduler=scheduler, content=content)  # fmt: skip
    assert outcome.grade.score == 9.2 and outcome.grade.grader == "coach" and outcome.rescheduled

    saved = store.get(harsh.attempt_id)
    assert saved.score == 9.2 and saved.machine_score == 0 and saved.review_status == "reviewed"
    assert grade_of(saved).reviewed_by == "coach-cleo" and machine_grade_of(saved).score == 0
    [settled] = scheduler.all_cards("ann")
    assert settled.last_score == 9.2 and settled.reviews == 2 and settled.due > due_after_good
    assert review_queue(store, {QUESTION.id: QUESTION}) == []

    [stored] = content.stored_samples(QUESTION.id)
    assert outcome.sample_id == stored.id and stored.source == "review"
    question = apply_coach_content(QuestionBank([QUESTION], {}), {}, {QUESTION.id: [stored.sample]}).get(QUESTION.id)
    [sample] = question.calibration
    assert sample.answer == GOOD_ANSWER_EN and sample.expected_score == 9.2
    assert sample.verdicts == {"two-retrievers": "met", "rrf": "met", "measure": "partly_met"}
    judge = scripted_judge(GOOD_REPLY_EN)
    grade_answer(question, GOOD_ANSWER_EN + " I also rerank the top 20.", settings=settings, grader="llm",
                 chat_model=judge)  # fmt: skip
    prompt = judge.calls[0][0][1].content
    assert "coach score 9.2/10 (two-retrievers: met, rrf: met, measure: partly_met)" in prompt
    assert "BM25 finds exact terms such as error codes" in prompt.split("<<<ANSWER-")[0]


def test_a_dispute_of_an_older_attempt_holds_that_review_only_and_the_coach_settles_it_in_place(
    settings: Settings,
) -> None:
    store, scheduler = AttemptStore(settings.sqlalchemy_url), ReviewScheduler(settings.sqlalchemy_url)
    older = graded_attempt(settings, store, scheduler, NOTHING_MET)
    newer = graded_attempt(settings, store, scheduler, GOOD_REPLY_EN)
    # The older review is set aside and the card replayed on the newer one, which keeps it schedulable.
    assert not dispute_grade(older.attempt_id, ["rrf"], "", store=store, scheduler=scheduler)
    [card] = scheduler.all_cards("ann")
    assert card.reviews == 1 and card.last_score == newer.grade.score
    assert [c.question_id for c in scheduler.due("ann", now=card.due)] == [QUESTION.id]  # not held: newest not disputed
    log = scheduler.history("ann", QUESTION.id)
    assert [(r.attempt_id, r.status) for r in log] == [(older.attempt_id, "held"), (newer.attempt_id, "counted")]
    assert store.get(older.attempt_id).review_status == "pending"

    [case] = [c for c in review_queue(store, {QUESTION.id: QUESTION}) if c.attempt.id == older.attempt_id]
    outcome = resolve(case, {"rrf": "met"}, "coach-cleo", store=store, scheduler=scheduler, content=None)
    assert outcome.rescheduled  # the coach's grade takes the older review's place, the newer one is replayed after it
    counted = [r for r in scheduler.history("ann", QUESTION.id) if r.status == "counted"]
    assert [(r.attempt_id, r.score) for r in counted] == [
        (older.attempt_id, outcome.grade.score), (newer.attempt_id, newer.grade.score),
    ]  # fmt: skip
    [settled] = scheduler.all_cards("ann")
    assert settled.reviews == 2 and settled.last_score == newer.grade.score


def test_the_queue_lists_disputes_first_then_low_confidence_grades(settings: Settings) -> None:
    store, scheduler = AttemptStore(settings.sqlalchemy_url), ReviewScheduler(settings.sqlalchemy_url)
    low = graded_attempt(settings, store, scheduler, NOTHING_MET)
    confident = graded_attempt(settings, store, scheduler, GOOD_REPLY_EN)
    assert confident.grade.confidence == Confidence.high
    assert [c.attempt.id for c in review_queue(store, {})] == [low.attempt_id]
    dispute_grade(confident.attempt_id, [], "The measure point is there too.", store=store, scheduler=scheduler)
    queue = review_queue(store, {})
    assert [c.attempt.id for c in queue] == [confident.attempt_id, low.attempt_id]
    assert queue[0].reasons == ["disputed"] and queue[1].reasons == ["disagreement"]


def test_a_coach_grade_recomputes_the_score_and_refuses_unknown_items() -> None:
    machine = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=Settings(), grader="embedded")
    graded = coach_grade(machine, {"rrf": Verdict.not_met}, "cleo")
    assert graded.grader == "coach" and [c.verdict for c in graded.criteria if c.id == "rrf"] == [Verdict.not_met]
    unchanged = {c.id: c.verdict for c in machine.criteria if c.id != "rrf"}
    assert {c.id: c.verdict for c in graded.criteria if c.id != "rrf"} == unchanged
    assert graded.score < machine.score or machine.score == 0
    with pytest.raises(ValueError, match="unknown rubric items: nope"):
        coach_grade(machine, {"nope": "met"}, "cleo")


def test_a_database_from_the_previous_version_gains_the_new_columns_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE attempts (id INTEGER PRIMARY KEY, profile VARCHAR(80), question_id VARCHAR(120),"
            " lang VARCHAR(2), answer TEXT, status VARCHAR(16), mode VARCHAR(16), session_id VARCHAR(64),"
            " retry_of INTEGER, score FLOAT, grader VARCHAR(16), model VARCHAR(200), grade_json TEXT, error TEXT,"
            " answer_seconds FLOAT, grading_ms FLOAT, contested BOOLEAN, contest_note TEXT,"
            " created_at DATETIME, graded_at DATETIME)"
        )
        old.execute(
            "INSERT INTO attempts (profile, question_id, lang, answer, status, mode, score, contested, created_at)"
            " VALUES ('ann', 'q1', 'fr', 'ma réponse', 'graded', 'quiz', 6.5, 0, '2026-10-01 10:00:00')"
        )
    url = f"sqlite:///{path}"
    engine = get_engine(url)
    assert "ix_coach_reviews_status" in {index["name"] for index in inspect(engine).get_indexes("coach_reviews")}
    store = AttemptStore(url)
    [attempt] = store.list("ann")
    assert attempt.answer == "ma réponse" and attempt.score == 6.5 and attempt.review_status is None
    store.dispute(attempt.id, [], "Too harsh")
    assert store.get(attempt.id).review_status == "pending"
    dispose_engines()
