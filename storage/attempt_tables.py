"""The tables of an attempt's record and of spaced repetition (re-exported by `storage.db`).

An attempt keeps the answer; the machine's grade, the candidate's dispute and the coach's review are
rows of their own, and a question's FSRS card is the fold of an append-only review log, so any one
review (not only the last) can be held or undone and the rest replayed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import Base, utc_now


class Attempt(Base):
    """One answer to one question by one profile: what the candidate did, never what anyone judged of it.

    The machine's grade, the candidate's dispute and the coach's review are rows of their own (one each
    at most), so each can change without touching the answer; `storage.records.AttemptRecord` joins them.
    """

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile: Mapped[str] = mapped_column(String(80), index=True)
    question_id: Mapped[str] = mapped_column(String(120), index=True)
    lang: Mapped[str] = mapped_column(String(2))
    answer: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|graded|failed
    mode: Mapped[str] = mapped_column(String(16), default="quiz")  # quiz|interview
    session_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    retry_of: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    answer_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, index=True)

    grade: Mapped[MachineGrade | None] = relationship(cascade="all, delete-orphan")
    dispute: Mapped[Dispute | None] = relationship(cascade="all, delete-orphan")
    coach_review: Mapped[CoachReview | None] = relationship(cascade="all, delete-orphan")
    # When it was graded is the grade's; code holding an Attempt row (tests that date one) still reaches it.
    graded_at: AssociationProxy[datetime | None] = association_proxy("grade", "graded_at")


class MachineGrade(Base):
    """The grade the graders gave an attempt (the last one: a re-grade replaces it), with its provenance."""

    __tablename__ = "grades"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), primary_key=True)
    # Nullable only for grades carried over from early releases, which did not always store them.
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    grader: Mapped[str | None] = mapped_column(String(16), nullable=True)
    model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    grade_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    grading_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    confidence: Mapped[str | None] = mapped_column(String(8), nullable=True)  # high|medium|low
    prompt_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    rubric_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    graded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Dispute(Base):
    """The candidate says an attempt's grade is wrong: which rubric items, and why."""

    __tablename__ = "disputes"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), primary_key=True)
    items_json: Mapped[str] = mapped_column(Text)  # JSON list of rubric item ids
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # None for disputes carried over from before this table: their time was never recorded.
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=utc_now, nullable=True)


class CoachReview(Base):
    """A coach's review of a disputed or doubtful grade: pending in the queue, then the coach's grade.

    Named apart from the FSRS `review_log`, where a "review" is a spaced-repetition review of a card.
    """

    __tablename__ = "coach_reviews"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending|reviewed
    score: Mapped[float | None] = mapped_column(Float, nullable=True)  # the coach's, which then counts
    grade_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ReviewCard(Base):
    """The FSRS card of one question for one profile: the fold of its `review_log`, kept to query `due`.

    `held`: the card's latest review awaits a coach (a disputed grade), so the card is never due.
    """

    __tablename__ = "review_cards"
    __table_args__ = (UniqueConstraint("profile", "question_id", name="uq_card_profile_question"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile: Mapped[str] = mapped_column(String(80), index=True)
    question_id: Mapped[str] = mapped_column(String(120))
    card_json: Mapped[str] = mapped_column(Text)
    due: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ReviewLogEntry(Base):
    """One FSRS review of a card, appended and never deleted (like Anki's revlog).

    `status`: counted (it shapes the card), replaced (a later grade of the same attempt took its
    place), held (a disputed grade waits for a coach), undone. `rating` None marks a card state
    carried over from before the log: a replay starts from its `card_json` instead of reviewing.
    `card_json` and `reviews` are the card after this review as the counted history now stands
    (a replay rewrites them on the rows after a change); nothing else in a row ever changes.
    """

    __tablename__ = "review_log"
    __table_args__ = (Index("ix_review_log_card", "profile", "question_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile: Mapped[str] = mapped_column(String(80))
    question_id: Mapped[str] = mapped_column(String(120))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"), nullable=True, index=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)  # fsrs.Rating: 1 Again .. 4 Easy
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))  # counted|replaced|held|undone
    card_json: Mapped[str] = mapped_column(Text)
    reviews: Mapped[int] = mapped_column(Integer)
    logged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
