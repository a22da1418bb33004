"""Spaced repetition with FSRS: every graded attempt reviews the question's card.

The score maps to an FSRS rating, so a weak answer brings the question back soon and a strong one
pushes it out. "Review what is due" serves due cards weakest first.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime

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

    def record(self, profile: str, question_id: str, score: float, when: datetime | None = None) -> datetime:
        """Review the card with the rating the score earns; returns the next due date."""
        when = when or utc_now()
        for _ in range(3):  # two sessions may create the same card at once: retry on the unique key
            try:
                with self._sessions.begin() as session:
                    row = session.scalar(
                        select(ReviewCard).where(ReviewCard.profile == profile, ReviewCard.question_id == question_id)
                    )
                    card = Card.from_dict(json.loads(row.card_json)) if row else Card()
                    with _scheduler_lock:
                        card, _log = _scheduler.review_card(card, rating_for_score(score), review_datetime=when)
                    if row is None:
                        row = ReviewCard(profile=profile, question_id=question_id, reviews=0)
                        session.add(row)
                    row.card_json = json.dumps(card.to_dict())
                    row.due = card.due
                    row.last_score = score
                    row.reviews = (row.reviews or 0) + 1
                    row.updated_at = when
                    return card.due
            except IntegrityError:
                continue
        raise RuntimeError(f"could not save the review card of {question_id} for {profile}")

    def due(self, profile: str, now: datetime | None = None, limit: int = 100) -> list[DueCard]:
        """Cards due now, weakest first (lowest recall probability, then lowest last score)."""
        now = now or utc_now()
        with self._sessions() as session:
            rows = list(session.scalars(select(ReviewCard).where(ReviewCard.profile == profile, ReviewCard.due <= now)))
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
