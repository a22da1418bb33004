"""Issue #14: FSRS reviews are an append-only log; the card is its fold, so any review can be held or undone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.attempts import AttemptStore
from storage.scheduling import ReviewScheduler

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(days=30)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'log.db'}"


def attempts(url: str, n: int, question_id: str = "q1") -> list[int]:
    """Real attempts: the log's rows name them (a foreign key)."""
    store = AttemptStore(url)
    return [store.start(profile="ana", question_id=question_id, lang="en", answer=f"answer {i}") for i in range(n)]


def statuses(scheduler: ReviewScheduler, question_id: str = "q1") -> list[tuple[int | None, float | None, str]]:
    return [(r.attempt_id, r.score, r.status) for r in scheduler.history("ana", question_id)]


def recorded(url: str, scores: list[float], days: list[int], ids: list[int]) -> ReviewScheduler:
    scheduler = ReviewScheduler(url)
    for score, day, attempt_id in zip(scores, days, ids, strict=True):
        scheduler.record("ana", "q1", score, T0 + timedelta(days=day), attempt_id=attempt_id)
    return scheduler


def only(scheduler: ReviewScheduler, now: datetime = LATER):  # type: ignore[no-untyped-def]
    [card] = scheduler.all_cards("ana", now=now)
    return card


def test_a_second_grade_of_an_attempt_replaces_its_review_and_the_first_stays_in_the_log(url: str) -> None:
    [a1] = attempts(url, 1)
    scheduler = recorded(url, [2.0, 9.0], [0, 0], [a1, a1])
    assert only(scheduler).reviews == 1 and only(scheduler).last_score == 9.0
    assert statuses(scheduler) == [(a1, 2.0, "replaced"), (a1, 9.0, "counted")]


def test_a_fresh_grade_of_an_old_attempt_keeps_the_review_where_it_was(url: str) -> None:
    a1, a2 = attempts(url, 2)
    scheduler = recorded(url, [3.0, 8.0], [0, 2], [a1, a2])
    scheduler.record("ana", "q1", 5.0, attempt_id=a1)  # no time: a re-grade, today, of last month's answer
    history = scheduler.history("ana", "q1")
    assert [(r.attempt_id, r.reviewed_at, r.status) for r in history if r.status == "counted"] == [
        (a1, T0, "counted"), (a2, T0 + timedelta(days=2), "counted")
    ]
    card = only(scheduler)
    assert card.last_score == 8.0 and card.due < datetime.now(UTC)  # still scheduled from day 2, not from today


def test_holding_an_older_review_replays_the_others_as_if_it_never_counted(url: str, tmp_path: Path) -> None:
    a1, a2, a3 = attempts(url, 3)
    scheduler = recorded(url, [1.0, 9.0, 6.0], [0, 1, 5], [a1, a2, a3])
    assert not scheduler.hold("ana", "q1", a1)  # the card is not held: its latest grade is not disputed
    assert statuses(scheduler) == [(a1, 1.0, "held"), (a2, 9.0, "counted"), (a3, 6.0, "counted")]
    card = only(scheduler)
    assert (card.reviews, card.last_score) == (2, 6.0)
    # The same reviews without a1, in a database of their own: FSRS's memory state is the same.
    b2, b3 = attempts(f"sqlite:///{tmp_path / 'without.db'}", 2)
    without = only(recorded(f"sqlite:///{tmp_path / 'without.db'}", [9.0, 6.0], [1, 5], [b2, b3]))
    assert card.retrievability == pytest.approx(without.retrievability)
    assert [c.question_id for c in scheduler.due("ana", now=card.due)] == ["q1"]  # it stays schedulable


def test_undoing_an_older_review_replays_the_rest_and_keeps_it_in_the_log(url: str) -> None:
    a1, a2, a3 = attempts(url, 3)
    scheduler = recorded(url, [9.5, 1.0, 7.0], [0, 2, 4], [a1, a2, a3])
    before = only(scheduler)
    assert scheduler.undo("ana", "q1", a2)
    after = only(scheduler)
    assert (after.reviews, after.last_score) == (2, 7.0) and after.retrievability != before.retrievability
    assert statuses(scheduler) == [(a1, 9.5, "counted"), (a2, 1.0, "undone"), (a3, 7.0, "counted")]
    assert not scheduler.undo("ana", "q1", a2)  # nothing left to undo
    assert not scheduler.settle("ana", "q1", a2, 8.0, T0 + timedelta(days=2))  # an undone review stays undone


def test_holding_the_latest_review_restores_the_card_exactly_and_it_is_never_due(url: str) -> None:
    a1, a2 = attempts(url, 2)
    scheduler = recorded(url, [8.0], [0], [a1])
    good = only(scheduler)
    scheduler.record("ana", "q1", 0.0, T0 + timedelta(days=1), attempt_id=a2)
    assert scheduler.hold("ana", "q1", a2)
    held = only(scheduler)
    assert (held.due, held.last_score, held.reviews) == (good.due, 8.0, 1)  # no new random fuzz either
    assert scheduler.due("ana", now=T0 + timedelta(days=3650)) == []
    assert scheduler.hold("ana", "q1", a2) and only(scheduler) == held  # already held: nothing changes
    assert scheduler.settle("ana", "q1", a2, 9.0, T0 + timedelta(days=1))
    assert statuses(scheduler) == [(a1, 8.0, "counted"), (a2, 0.0, "replaced"), (a2, 9.0, "counted")]
    assert only(scheduler).reviews == 2 and scheduler.due("ana", now=T0 + timedelta(days=3650)) != []


def test_a_newer_grade_makes_a_held_card_due_again_and_the_coach_still_settles_the_held_one(url: str) -> None:
    a1, a2, a3 = attempts(url, 3)
    scheduler = recorded(url, [6.0, 1.0], [0, 1], [a1, a2])
    scheduler.hold("ana", "q1", a2)
    scheduler.record("ana", "q1", 9.0, T0 + timedelta(days=2), attempt_id=a3)
    assert scheduler.due("ana", now=T0 + timedelta(days=3650)) != []
    assert scheduler.settle("ana", "q1", a2, 5.0, T0 + timedelta(days=1))  # in place, before a3's review
    assert [(r.attempt_id, r.score) for r in scheduler.history("ana", "q1") if r.status == "counted"] == [
        (a1, 6.0), (a2, 5.0), (a3, 9.0),
    ]  # fmt: skip
    assert (only(scheduler).reviews, only(scheduler).last_score) == (3, 9.0)


def test_holding_or_undoing_what_never_reviewed_the_card_changes_nothing(url: str) -> None:
    [a1, other] = attempts(url, 2)
    scheduler = recorded(url, [5.0], [0], [a1])
    before = only(scheduler)
    assert not scheduler.hold("ana", "q1", other) and not scheduler.undo("ana", "q1", other)
    assert not scheduler.hold("ana", "unknown", a1) and not scheduler.settle("ana", "unknown", a1, 9.0, T0)
    assert only(scheduler) == before and scheduler.all_cards("ana", now=LATER) == [before]
