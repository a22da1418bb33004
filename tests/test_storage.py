"""Attempts and review cards: saved before grading, completed after, surviving a restart."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fsrs import Rating

from core.types import CriterionGrade, Grade, Verdict
from storage.attempts import (
    EXPORT_FIELDS,
    AttemptFilter,
    AttemptStore,
    disputed_items,
    export_csv,
    export_json,
    grade_of,
)
from storage.db import dispose_engines
from storage.scheduling import ReviewScheduler, rating_for_score


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'attempts.db'}"


def a_grade(score: float, question_id: str = "q1") -> Grade:
    return Grade(
        question_id=question_id,
        score=score,
        grader="embedded",
        criteria=[CriterionGrade(id="k", text="point", weight=1, verdict=Verdict.met, evidence=["x"])],
        feedback="good",
    )


def test_attempt_is_saved_before_grading_and_survives_a_restart(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    store = AttemptStore(url)
    attempt_id = store.start(profile="alice", question_id="q1", lang="fr", answer="Ma réponse")
    dispose_engines()  # the process "restarts": every pooled connection is gone
    reopened = AttemptStore(url)
    [pending] = reopened.unfinished("alice")
    assert (pending.id, pending.status, pending.answer) == (attempt_id, "pending", "Ma réponse")
    reopened.complete(attempt_id, a_grade(7.5))
    assert reopened.unfinished("alice") == []
    saved = reopened.get(attempt_id)
    assert saved.status == "graded" and saved.score == 7.5
    assert grade_of(saved).criteria[0].verdict == Verdict.met


def test_failed_grading_keeps_the_answer_and_stays_regradable(tmp_path: Path) -> None:
    store = AttemptStore(sqlite_url(tmp_path))
    attempt_id = store.start(profile="bob", question_id="q1", lang="en", answer="An answer")
    store.fail(attempt_id, "ConnectionError: model down")
    [failed] = store.unfinished("bob")
    assert failed.status == "failed" and failed.answer == "An answer" and "model down" in failed.error
    store.complete(attempt_id, a_grade(3.0))
    assert store.get(attempt_id).error is None


def test_profiles_only_see_their_own_attempts_and_filters_apply(tmp_path: Path) -> None:
    store = AttemptStore(sqlite_url(tmp_path))
    store.start(profile="alice", question_id="q1", lang="fr", answer="a")
    store.start(profile="alice", question_id="q2", lang="fr", answer="b", mode="interview")
    store.start(profile="bob", question_id="q1", lang="en", answer="c")
    assert [a.answer for a in store.list("alice")] == ["b", "a"]
    assert [a.answer for a in store.list("alice", AttemptFilter(mode="interview"))] == ["b"]
    assert [a.answer for a in store.list("alice", AttemptFilter(question_ids=("q1",)))] == ["a"]
    assert store.profiles() == ["alice", "bob"]
    assert store.count() == 3 and store.count("bob") == 1


def test_a_dispute_keeps_the_grade_and_names_the_items_and_the_reason(tmp_path: Path) -> None:
    store = AttemptStore(sqlite_url(tmp_path))
    attempt_id = store.start(profile="alice", question_id="q1", lang="fr", answer="a")
    store.complete(attempt_id, a_grade(2.0))
    store.dispute(attempt_id, ["k", "k"], "  I did mention reranking.  ")
    saved = store.get(attempt_id)
    assert saved.contested is True and saved.contest_note == "I did mention reranking."
    assert disputed_items(saved) == ["k"] and saved.review_status == "pending" and saved.score == 2.0


def test_a_dispute_needs_an_item_or_a_reason_and_a_grade(tmp_path: Path) -> None:
    store = AttemptStore(sqlite_url(tmp_path))
    attempt_id = store.start(profile="alice", question_id="q1", lang="fr", answer="a")
    with pytest.raises(ValueError, match="no grade"):
        store.dispute(attempt_id, ["k"], "")
    store.complete(attempt_id, a_grade(2.0))
    with pytest.raises(ValueError, match="at least one rubric item or a reason"):
        store.dispute(attempt_id, [], "   ")
    assert store.get(attempt_id).contested is False


def test_exports_hold_every_attempt_and_defuse_spreadsheet_formulas(tmp_path: Path) -> None:
    store = AttemptStore(sqlite_url(tmp_path))
    first = store.start(profile="alice", question_id="q1", lang="fr", answer='=HYPERLINK("http://x")')
    store.complete(first, a_grade(4.0))
    store.start(profile="alice", question_id="q2", lang="en", answer="plain, with a comma")
    attempts = store.list("alice")
    rows = list(csv.DictReader(io.StringIO(export_csv(attempts))))
    assert {r["question_id"] for r in rows} == {"q1", "q2"}
    formula_row = next(r for r in rows if r["question_id"] == "q1")
    assert formula_row["answer"].startswith("'=HYPERLINK")
    assert next(r for r in rows if r["question_id"] == "q2")["answer"] == "plain, with a comma"
    data = json.loads(export_json(attempts))
    assert {d["question_id"]: d["grade"] is not None for d in data} == {"q1": True, "q2": False}
    assert data[-1]["answer"] == '=HYPERLINK("http://x")'  # JSON keeps the text exactly


def test_score_maps_to_ratings() -> None:
    assert [rating_for_score(s) for s in (0, 3.9, 4, 5.9, 6, 8.4, 8.5, 10)] == [
        Rating.Again, Rating.Again, Rating.Hard, Rating.Hard, Rating.Good, Rating.Good, Rating.Easy, Rating.Easy,
    ]  # fmt: skip


def test_weak_answers_come_back_sooner_and_due_is_weakest_first(tmp_path: Path) -> None:
    scheduler = ReviewScheduler(sqlite_url(tmp_path))
    now = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    due_weak = scheduler.record("alice", "weak", 1.0, when=now)
    due_strong = scheduler.record("alice", "strong", 9.5, when=now)
    scheduler.record("alice", "middle", 6.5, when=now)
    assert due_weak < due_strong
    later = now + timedelta(days=400)
    order = [c.question_id for c in scheduler.due("alice", now=later)]
    assert set(order) == {"weak", "strong", "middle"}
    assert order[0] == "weak"
    assert scheduler.due("bob", now=later) == []
    soon = now + timedelta(minutes=30)
    soon_due = [c.question_id for c in scheduler.due("alice", now=soon)]
    assert soon_due[0] == "weak" and "strong" not in soon_due


def test_a_card_accumulates_reviews(tmp_path: Path) -> None:
    scheduler = ReviewScheduler(sqlite_url(tmp_path))
    now = datetime(2026, 11, 1, tzinfo=UTC)
    scheduler.record("alice", "q1", 2.0, when=now)
    scheduler.record("alice", "q1", 9.0, when=now + timedelta(days=1))
    [card] = scheduler.all_cards("alice", now=now + timedelta(days=1))
    assert card.reviews == 2 and card.last_score == 9.0


def test_the_record_joins_the_grade_the_dispute_and_the_coach_review(tmp_path: Path) -> None:
    store = AttemptStore(sqlite_url(tmp_path))
    attempt_id = store.start(profile="alice", question_id="q1", lang="fr", answer="a", answer_seconds=12.0)
    store.complete(attempt_id, a_grade(3.0))
    store.dispute(attempt_id, ["k"], "too harsh")
    reviewed = store.resolve_review(attempt_id, a_grade(8.0).model_copy(update={"grader": "coach"}), "coach-cleo")
    assert (reviewed.score, reviewed.machine_score, reviewed.review_status) == (8.0, 3.0, "reviewed")
    assert reviewed.reviewed_by == "coach-cleo" and grade_of(reviewed).grader == "coach" and reviewed.contested
    assert store.get(attempt_id) == reviewed and store.review_queue() == []
    with pytest.raises(dataclasses.FrozenInstanceError):
        reviewed.score = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="advice must not change the grade"):
        store.attach_advice(attempt_id, a_grade(8.0))  # the machine's score is 3.0
    # A fresh grade replaces the coach's review of the old one; the dispute stands, so a coach is asked again.
    store.complete(attempt_id, a_grade(5.0))
    regraded = store.get(attempt_id)
    assert (regraded.score, regraded.review_status, regraded.coach_grade_json) == (5.0, "pending", None)
    assert [a.id for a in store.review_queue()] == [attempt_id] and regraded.answer_seconds == 12.0
    row = next(csv.DictReader(io.StringIO(export_csv([regraded]))))
    assert list(row) == EXPORT_FIELDS and row["contested"] == "True" and row["dispute_items"] == '["k"]'
