"""Spaced repetition with FSRS: every graded attempt reviews the question's card.

The score maps to an FSRS rating, so a weak answer brings the question back soon and a strong one
pushes it out. "Review what is due" serves due cards weakest first.

Each review is a row of the append-only `review_log`; the card (`review_cards`) is derived from it.
A second grade of an attempt, a dispute that holds a grade for a coach, or an undo marks that
attempt's row (never deletes it) and replays the counted reviews after it, in time order, so any
review can be taken back, not only the last one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fsrs import Card, Rating, Scheduler
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.base import as_utc
from storage.db import ReviewCard, ReviewLogEntry, session_factory, utc_now

_scheduler = Scheduler(desired_retention=0.9)
_scheduler_lock = threading.Lock()

COUNTED, REPLACED, HELD, UNDONE = "counted", "replaced", "held", "undone"


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


@dataclass(frozen=True)
class LoggedReview:
    """One row of a card's review log, as `history` returns it (oldest first)."""

    attempt_id: int | None
    rating: Rating | None  # None: a card state carried over from before the log existed
    score: float | None
    reviewed_at: datetime
    status: str  # counted|replaced|held|undone


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
        """Review the card with the rating the score earns, at `when` (now by default); returns the next due date.

        With `attempt_id`, a second grade of the same attempt (a fresh grade) replaces that
        attempt's review where it stands in the history, at the moment of the first one unless
        `when` is given: re-grading last week's answer must not count as practising it today. A
        review newer than a held one makes the card due again on its own grade.
        """
        when = as_utc(when) if when else None
        card = self._write(profile, question_id, lambda s, c, log: _review(s, c, log, score, when, attempt_id))
        assert card is not None
        return as_utc(card.due)

    def hold(self, profile: str, question_id: str, attempt_id: int) -> bool:
        """A disputed grade must not schedule the question: set its review aside until a coach settles it.

        Works for any of the card's reviews: the others are replayed without it. Returns whether the
        card is now held, i.e. the held review is its latest (a newer grade schedules the card on its
        own, and the held one waits in the log); held cards are never "due".
        """

        def set_aside(_session: Session, card: ReviewCard, log: list[ReviewLogEntry]) -> bool:
            already = any(e.attempt_id == attempt_id and e.status == HELD for e in log)
            return _mark(card, log, attempt_id, (COUNTED,), HELD) or already

        card = self._write(profile, question_id, set_aside, create=False)
        return card is not None and card.held

    def undo(self, profile: str, question_id: str, attempt_id: int) -> bool:
        """Take an attempt's review (counted or held) out of the card for good; returns whether there was one."""
        card = self._write(profile, question_id, lambda s, c, log: _mark(c, log, attempt_id, (COUNTED, HELD), UNDONE),
                           create=False)  # fmt: skip
        return card is not None

    def settle(self, profile: str, question_id: str, attempt_id: int, score: float, when: datetime) -> bool:
        """A coach's grade replaces the attempt's review (held or counted) at its place in the history.

        Returns False when the attempt never reviewed the card (or its review was undone): nothing changes.
        """
        when = as_utc(when)

        def replace(session: Session, card: ReviewCard, log: list[ReviewLogEntry]) -> bool:
            if not any(e.attempt_id == attempt_id and e.status in (COUNTED, HELD) for e in log):
                return False
            return _review(session, card, log, score, when, attempt_id)

        return self._write(profile, question_id, replace, create=False) is not None

    def history(self, profile: str, question_id: str) -> list[LoggedReview]:
        """Every review the card ever had, replaced, held and undone ones included, oldest first."""
        with self._sessions() as session:
            log = _log(session, profile, question_id)
        return [
            LoggedReview(e.attempt_id, Rating(e.rating) if e.rating else None, e.score, as_utc(e.reviewed_at), e.status)
            for e in log
        ]

    def _write(
        self,
        profile: str,
        question_id: str,
        change: Callable[[Session, ReviewCard, list[ReviewLogEntry]], bool],
        *,
        create: bool = True,
    ) -> ReviewCard | None:
        """Run `change` on the card (locked) and its log in one transaction; None when nothing changed.

        Two sessions may create the same card at once: the unique key refuses one, which tries again.
        """
        for _ in range(3):
            try:
                with self._sessions.begin() as session:
                    card = session.scalar(
                        select(ReviewCard)
                        .where(ReviewCard.profile == profile, ReviewCard.question_id == question_id)
                        .with_for_update()
                    )
                    if card is None:
                        if not create:
                            return None
                        card = _new_card_row(profile, question_id)
                        session.add(card)
                        session.flush()
                    return card if change(session, card, _log(session, profile, question_id)) else None
            except IntegrityError:
                continue
        raise RuntimeError(f"could not save the review card of {question_id} for {profile}")

    def due(self, profile: str, now: datetime | None = None, limit: int = 100) -> list[DueCard]:
        """Cards due now, weakest first (lowest recall probability, then lowest last score)."""
        now = now or utc_now()
        with self._sessions() as session:
            rows = list(
                session.scalars(
                    select(ReviewCard).where(
                        ReviewCard.profile == profile, ReviewCard.due <= now, ReviewCard.held.is_(False)
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


def _key(entry: ReviewLogEntry) -> tuple[datetime, int]:
    """The order reviews are replayed in: when they happened, then when they were logged."""
    return as_utc(entry.reviewed_at), entry.id


def _log(session: Session, profile: str, question_id: str) -> list[ReviewLogEntry]:
    entries = session.scalars(
        select(ReviewLogEntry).where(ReviewLogEntry.profile == profile, ReviewLogEntry.question_id == question_id)
    )
    return sorted(entries, key=_key)


def _new_card_row(profile: str, question_id: str) -> ReviewCard:
    card = Card()
    return ReviewCard(profile=profile, question_id=question_id, card_json=json.dumps(card.to_dict()), due=card.due,
                      last_score=None, reviews=0, held=False, updated_at=utc_now())  # fmt: skip


def _review(
    session: Session,
    card: ReviewCard,
    log: list[ReviewLogEntry],
    score: float,
    when: datetime | None,
    attempt_id: int | None,
) -> bool:
    """Append a counted review (replacing the attempt's earlier one, if any) and replay from the earliest change.

    Without `when`, a replacement keeps the time of the review it replaces; a first review is now.
    """
    changed = [e for e in log if attempt_id is not None and e.attempt_id == attempt_id and e.status in (COUNTED, HELD)]
    if when is None:
        when = min(as_utc(e.reviewed_at) for e in changed) if changed else utc_now()
    for entry in changed:
        entry.status = REPLACED
    entry = ReviewLogEntry(
        profile=card.profile, question_id=card.question_id, attempt_id=attempt_id, rating=int(rating_for_score(score)),
        score=score, reviewed_at=when, status=COUNTED, card_json="{}", reviews=0, logged_at=utc_now(),
    )  # fmt: skip
    session.add(entry)
    session.flush()  # its id orders it after reviews logged at the same moment
    _replay(card, sorted([*log, entry], key=_key), since=min(_key(e) for e in [*changed, entry]))
    return True


def _mark(card: ReviewCard, log: list[ReviewLogEntry], attempt_id: int, statuses: tuple[str, ...], to: str) -> bool:
    """Give the attempt's review a new status and replay the counted ones after it (False: no such review)."""
    changed = [e for e in log if e.attempt_id == attempt_id and e.status in statuses]
    if not changed:
        return False
    for entry in changed:
        entry.status = to
    _replay(card, log, since=min(_key(e) for e in changed))
    return True


def _replay(card: ReviewCard, log: list[ReviewLogEntry], since: tuple[datetime, int]) -> None:
    """Fold the counted reviews into the card, re-reviewing those from `since` on.

    A counted row keeps the card as it stood after it, so the replay starts from the last one before
    the change: that is what replaying from a new card computes (FSRS reads no due date), without
    drawing new random fuzz for the due dates of reviews that did not change.
    """
    counted = [e for e in log if e.status == COUNTED]
    kept = [e for e in counted if _key(e) < since]
    if kept:
        state, reviews, last_score = Card.from_dict(json.loads(kept[-1].card_json)), kept[-1].reviews, kept[-1].score
    else:
        card_id = json.loads(card.card_json).get("card_id") if card.card_json else None
        state, reviews, last_score = Card(card_id=card_id), 0, None
    for entry in counted[len(kept) :]:
        if entry.rating is None:  # a state carried over from before the log: it already holds what came before
            state, reviews = Card.from_dict(json.loads(entry.card_json)), entry.reviews
        else:
            when = as_utc(entry.reviewed_at)
            with _scheduler_lock:
                state, _ = _scheduler.review_card(state, Rating(entry.rating), review_datetime=when)
            reviews += 1
            entry.card_json, entry.reviews = json.dumps(state.to_dict()), reviews
        last_score = entry.score
    latest = _key(counted[-1]) if counted else None
    card.card_json, card.due = json.dumps(state.to_dict()), state.due
    card.last_score, card.reviews = last_score, reviews
    card.held = any(e.status == HELD and (latest is None or _key(e) > latest) for e in log)
    card.updated_at = utc_now()
