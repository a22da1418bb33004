"""Spaced repetition with FSRS: every graded attempt reviews the question's card.

The score maps to an FSRS rating, so a weak answer brings the question back soon and a strong one
pushes it out. "Review what is due" serves due cards weakest first.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from fsrs import Card, Rating, Scheduler
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.db import ReviewCard, session_factory, utc_now

_scheduler = Scheduler(desired_retention=0.9)
_scheduler_lock = threading.Lock()


def rating_for_score(score: float) -> Rating:
    """0-10 score -> FSRS rating. The cut-offs follow what an interviewer would call each answer."""
    if score < 4.0:
        return Rating.Again
    if score < 6.0:
        return Rating.Hard
    if score < 8.5:
        return Rating.Good
    return Rating.Easy


@dataclass(frozen=True)
class DueCard:
    question_id: str
    due: datetime
    last_score: float | None
    retrievability: float
    reviews: int


class ReviewScheduler:
    """FSRS cards of every profile, stored beside the attempts."""

    def __init__(self, database_url: str):
        self._sessions = session_factory(database_url)

    def record(
        self,
        profile: str,
        question_id: str,
        score: float,
        when: datetime | None = None,
        *,
        attempt_id: int | None = None,
    ) -> datetime:
        """Review the card with the rating the score earns; returns the next due date.

        With `attempt_id`, a second grade of the same attempt (a fresh grade, a coach's review)
        replaces that attempt's review instead of counting as another one.
        """
        when = as_utc(when) if when else utc_now()
        for _ in range(3):  # two sessions may create the same card at once: retry on the unique key
            try:
                with self._sessions.begin() as session:
                    row = self._row(session, profile, question_id)
                    if row is None:
                        row = ReviewCard(profile=profile, question_id=question_id, reviews=0)
                        _restore(row, _NEW_CARD)
                        session.add(row)
                    elif attempt_id is not None and row.last_attempt_id == attempt_id and row.previous_json:
                        _restore(row, json.loads(row.previous_json))
                    row.previous_json = json.dumps(_snapshot(row))
                    card = Card.from_dict(json.loads(row.card_json))
                    with _scheduler_lock:
                        card, _log = _scheduler.review_card(card, rating_for_score(score), review_datetime=when)
                    row.card_json = json.dumps(card.to_dict())
                    row.due = card.due
                    row.last_score = score
                    row.reviews = (row.reviews or 0) + 1
                    row.updated_at = when
                    row.last_attempt_id = attempt_id
                    row.held_for_attempt = None  # a newer grade settles the card
                    return card.due
            except IntegrityError:
                continue
        raise RuntimeError(f"could not save the review card of {question_id} for {profile}")

    def hold(self, profile: str, question_id: str, attempt_id: int) -> bool:
        """A disputed grade must not schedule the question: undo its review until a coach settles it.

        Only the card's latest review can be undone (a later attempt already rescheduled the card
        on its own grade); returns whether the card is now held. Held cards are never "due".
        """
        with self._sessions.begin() as session:
            row = self._row(session, profile, question_id)
            if row is None or row.last_attempt_id != attempt_id or not row.previous_json:
                return False
            _restore(row, json.loads(row.previous_json))
            row.previous_json = None
            row.last_attempt_id = None
            row.held_for_attempt = attempt_id
            return True

    def settle(self, profile: str, question_id: str, attempt_id: int, score: float, when: datetime) -> bool:
        """A coach's grade replaces the attempt's review, if that attempt still governs the card."""
        with self._sessions() as session:
            row = self._row(session, profile, question_id)
            governs = row is not None and attempt_id in (row.held_for_attempt, row.last_attempt_id)
        if governs:
            self.record(profile, question_id, score, when, attempt_id=attempt_id)
        return governs

    @staticmethod
    def _row(session, profile: str, question_id: str) -> ReviewCard | None:  # type: ignore[no-untyped-def]
        return session.scalar(
            select(ReviewCard).where(ReviewCard.profile == profile, ReviewCard.question_id == question_id)
        )

    def due(self, profile: str, now: datetime | None = None, limit: int = 100) -> list[DueCard]:
        """Cards due now, weakest first (lowest recall probability, then lowest last score)."""
        now = now or utc_now()
        with self._sessions() as session:
            rows = list(
                session.scalars(
                    select(ReviewCard).where(
                        ReviewCard.profile == profile, ReviewCard.due <= now, ReviewCard.held_for_attempt.is_(None)
                    )
                )
            )
        cards = [self._as_due(row, now) for row in rows]
        cards.sort(key=lambda c: (c.retrievability, c.last_score if c.last_score is not None else 0.0))
        return cards[:limit]

    def all_cards(self, profile: str, now: datetime | None = None) -> list[DueCard]:
        now = now or utc_now()
        with self._sessions() as session:
            rows = list(session.scalars(select(ReviewCard).where(ReviewCard.profile == profile)))
        return sorted((self._as_due(row, now) for row in rows), key=lambda c: c.due)

    @staticmethod
    def _as_due(row: ReviewCard, now: datetime) -> DueCard:
        card = Card.from_dict(json.loads(row.card_json))
        with _scheduler_lock:
            retrievability = _scheduler.get_card_retrievability(card, current_datetime=now)
        due = row.due if row.due.tzinfo else row.due.replace(tzinfo=now.tzinfo)
        return DueCard(row.question_id, due, row.last_score, float(retrievability), row.reviews or 0)


def as_utc(moment: datetime) -> datetime:
    """FSRS wants UTC; SQLite hands back naive datetimes, which AgentPrep always wrote in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


_NEW_CARD = {"card": None, "due": None, "last_score": None, "reviews": 0}


def _snapshot(row: ReviewCard) -> dict:
    return {"card": row.card_json, "due": row.due.isoformat(), "last_score": row.last_score, "reviews": row.reviews}


def _restore(row: ReviewCard, state: dict) -> None:
    """Put a card back as a snapshot recorded it (`card` None: a card never reviewed)."""
    card = Card.from_dict(json.loads(state["card"])) if state["card"] else Card()
    row.card_json = json.dumps(card.to_dict())
    row.due = datetime.fromisoformat(state["due"]) if state["due"] else card.due
    row.last_score = state["last_score"]
    row.reviews = state["reviews"] or 0
