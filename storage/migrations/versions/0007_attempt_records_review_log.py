"""An attempt's grade, dispute and coach's review move to tables of their own; FSRS gets a review log.

Revision ID: 0007_attempt_records_review_log
Revises: 0006_documents_grade_cache
Created: 2026-12-06

`attempts` kept 29 columns: the answer, the machine's grade, the candidate's dispute and the coach's
review. Each now has its own table keyed by the attempt (`grades`, `disputes`, `coach_reviews`);
every row's values are copied there, then the columns are dropped from `attempts`. Two values were
never stored and stay unknown: a dispute's time (NULL), and the machine's score of an attempt from
before `machine_score`, which was its `score` (copied so).

`review_cards` kept one snapshot (`previous_json`), so only the last review could be undone or held.
Reviews are now rows of `review_log`, and a card is the fold of its counted rows. The reviews made
before this revision were never logged one by one, so their history cannot be rebuilt: each card
gets one `counted` row with no rating carrying its current state (its `reviews` count included),
where a replay starts. What the old columns did record is kept as well:
- a card with the snapshot of its last review: the baseline row carries the snapshot, and the last
  review is a row of its own (attempt, score, rating), so it can still be held, replaced or undone;
- a card held for a disputed attempt: a `held` row for that attempt after the baseline, so the
  coach's grade still settles it (a hold whose attempt no longer exists is dropped: nothing could
  settle it, and the log's `attempt_id` is a foreign key).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007_attempt_records_review_log"
down_revision = "0006_documents_grade_cache"
branch_labels = None
depends_on = None

GRADE_COLUMNS = ("grader", "model", "grade_json", "grading_ms", "confidence", "prompt_version", "rubric_version",
                 "graded_at")  # fmt: skip
MOVED = ("score", *GRADE_COLUMNS, "machine_score", "contested", "contest_note", "dispute_items", "review_status",
         "coach_grade_json", "reviewed_by", "reviewed_at")  # fmt: skip
CARD_SNAPSHOT = ("last_attempt_id", "previous_json", "held_for_attempt")

attempts = sa.table(
    "attempts", sa.column("id", sa.Integer), sa.column("score", sa.Float), sa.column("machine_score", sa.Float),
    sa.column("grader", sa.String), sa.column("model", sa.String), sa.column("grade_json", sa.Text),
    sa.column("grading_ms", sa.Float), sa.column("confidence", sa.String), sa.column("prompt_version", sa.String),
    sa.column("rubric_version", sa.String), sa.column("graded_at", sa.DateTime(timezone=True)),
    sa.column("contested", sa.Boolean), sa.column("contest_note", sa.Text), sa.column("dispute_items", sa.Text),
    sa.column("review_status", sa.String), sa.column("coach_grade_json", sa.Text),
    sa.column("reviewed_by", sa.String), sa.column("reviewed_at", sa.DateTime(timezone=True)),
)  # fmt: skip
grades = sa.table("grades", sa.column("attempt_id", sa.Integer), sa.column("score", sa.Float),
                  *(sa.column(name) for name in GRADE_COLUMNS))  # fmt: skip
disputes = sa.table("disputes", sa.column("attempt_id", sa.Integer), sa.column("items_json", sa.Text),
                    sa.column("note", sa.Text))  # fmt: skip
coach_reviews = sa.table(
    "coach_reviews", sa.column("attempt_id", sa.Integer), sa.column("status", sa.String),
    sa.column("score", sa.Float), sa.column("grade_json", sa.Text), sa.column("reviewed_by", sa.String),
    sa.column("reviewed_at", sa.DateTime(timezone=True)),
)  # fmt: skip
review_cards = sa.table(
    "review_cards", sa.column("id", sa.Integer), sa.column("profile", sa.String), sa.column("question_id", sa.String),
    sa.column("card_json", sa.Text), sa.column("due", sa.DateTime(timezone=True)), sa.column("last_score", sa.Float),
    sa.column("reviews", sa.Integer), sa.column("updated_at", sa.DateTime(timezone=True)),
    sa.column("last_attempt_id", sa.Integer), sa.column("previous_json", sa.Text),
    sa.column("held_for_attempt", sa.Integer), sa.column("held", sa.Boolean),
)  # fmt: skip
review_log = sa.table(
    "review_log", sa.column("profile", sa.String), sa.column("question_id", sa.String),
    sa.column("attempt_id", sa.Integer), sa.column("rating", sa.Integer), sa.column("score", sa.Float),
    sa.column("reviewed_at", sa.DateTime(timezone=True)), sa.column("status", sa.String),
    sa.column("card_json", sa.Text), sa.column("reviews", sa.Integer),
    sa.column("logged_at", sa.DateTime(timezone=True)),
)  # fmt: skip


def _rating(score: float | None) -> int | None:
    """`storage.scheduling.rating_for_score` as of this revision (a migration must not follow later changes)."""
    if score is None:
        return None
    return 1 if score < 4.0 else 2 if score < 6.0 else 3 if score < 8.5 else 4


def _create_tables() -> None:
    def attempt_key() -> sa.Column:
        return sa.Column("attempt_id", sa.Integer, sa.ForeignKey("attempts.id"), primary_key=True)

    op.create_table(
        "grades", attempt_key(), sa.Column("score", sa.Float, nullable=True),
        sa.Column("grader", sa.String(16), nullable=True), sa.Column("model", sa.String(200), nullable=True),
        sa.Column("grade_json", sa.Text, nullable=True), sa.Column("grading_ms", sa.Float, nullable=True),
        sa.Column("confidence", sa.String(8), nullable=True), sa.Column("prompt_version", sa.String(40), nullable=True),
        sa.Column("rubric_version", sa.String(40), nullable=True),
        sa.Column("graded_at", sa.DateTime(timezone=True), nullable=True),
    )  # fmt: skip
    op.create_table(
        "disputes", attempt_key(), sa.Column("items_json", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=True), sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
    )  # fmt: skip
    op.create_table(
        "coach_reviews", attempt_key(),
        sa.Column("status", sa.String(16), nullable=False, index=True), sa.Column("score", sa.Float, nullable=True),
        sa.Column("grade_json", sa.Text, nullable=True), sa.Column("reviewed_by", sa.String(80), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
    )  # fmt: skip
    op.create_table(
        "review_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("profile", sa.String(80), nullable=False), sa.Column("question_id", sa.String(120), nullable=False),
        sa.Column("attempt_id", sa.Integer, sa.ForeignKey("attempts.id"), nullable=True, index=True),
        sa.Column("rating", sa.Integer, nullable=True), sa.Column("score", sa.Float, nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False), sa.Column("card_json", sa.Text, nullable=False),
        sa.Column("reviews", sa.Integer, nullable=False),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_review_log_card", "profile", "question_id"),
    )  # fmt: skip
    with op.batch_alter_table("review_cards") as batch:
        batch.add_column(sa.Column("held", sa.Boolean, nullable=False, server_default=sa.false()))


def _move_attempt_records() -> None:
    a = attempts.c
    machine_score = sa.func.coalesce(a.machine_score, a.score)  # releases before `machine_score` kept it in `score`
    graded = sa.or_(machine_score.isnot(None), *(a[name].isnot(None) for name in GRADE_COLUMNS))
    op.execute(grades.insert().from_select(
        ["attempt_id", "score", *GRADE_COLUMNS],
        sa.select(a.id, machine_score, *(a[name] for name in GRADE_COLUMNS)).where(graded),
    ))  # fmt: skip
    op.execute(disputes.insert().from_select(
        ["attempt_id", "items_json", "note"],
        sa.select(a.id, sa.func.coalesce(a.dispute_items, "[]"), a.contest_note).where(a.contested == sa.true()),
    ))  # fmt: skip
    # `score` held the coach's score once a coach had graded (the machine's stayed in `machine_score`).
    coached = sa.or_(a.coach_grade_json.isnot(None), a.review_status == "reviewed")
    op.execute(coach_reviews.insert().from_select(
        ["attempt_id", "status", "score", "grade_json", "reviewed_by", "reviewed_at"],
        sa.select(a.id, sa.func.coalesce(a.review_status, "reviewed"), sa.case((coached, a.score)),
                  a.coach_grade_json, a.reviewed_by, a.reviewed_at)
        .where(sa.or_(a.review_status.isnot(None), a.coach_grade_json.isnot(None))),
    ))  # fmt: skip


def _last_review(card_json: str | None, fallback: datetime) -> datetime:
    raw = json.loads(card_json).get("last_review") if card_json else None
    return datetime.fromisoformat(raw) if raw else fallback


def _log_rows(card: sa.Row, known: set[int], scores: dict[int, float | None], now: datetime) -> list[dict]:
    """The review log one card's columns imply (see the module's docstring)."""

    def row(**values: object) -> dict:
        return {"profile": card.profile, "question_id": card.question_id, "status": "counted", "logged_at": now,
                "rating": None, "attempt_id": None, **values}  # fmt: skip

    rows = []
    previous = json.loads(card.previous_json) if card.previous_json else None
    if previous is not None:
        if previous.get("card") and previous.get("reviews"):
            rows.append(row(score=previous.get("last_score"), card_json=previous["card"], reviews=previous["reviews"],
                            reviewed_at=_last_review(previous["card"], card.updated_at)))  # fmt: skip
        last = card.last_attempt_id if card.last_attempt_id in known else None
        rows.append(row(attempt_id=last, rating=_rating(card.last_score), score=card.last_score,
                        card_json=card.card_json, reviews=card.reviews or 0,
                        reviewed_at=_last_review(card.card_json, card.updated_at)))  # fmt: skip
    elif card.reviews:
        rows.append(row(score=card.last_score, card_json=card.card_json, reviews=card.reviews,
                        reviewed_at=_last_review(card.card_json, card.updated_at)))  # fmt: skip
    if card.held_for_attempt in known:
        # A hold left the card as it was before the disputed review, and `updated_at` at that review's time.
        held_at = max([card.updated_at, *(r["reviewed_at"] for r in rows)], key=_utc)
        score = scores.get(card.held_for_attempt)
        rows.append(row(attempt_id=card.held_for_attempt, rating=_rating(score), score=score, status="held",
                        card_json=card.card_json, reviews=card.reviews or 0, reviewed_at=held_at))  # fmt: skip
    return rows


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _build_review_log() -> None:
    bind = op.get_bind()
    cards = bind.execute(sa.select(review_cards)).all()
    known = {card.last_attempt_id for card in cards} | {card.held_for_attempt for card in cards}
    found = bind.execute(
        sa.select(attempts.c.id, sa.func.coalesce(attempts.c.machine_score, attempts.c.score))
        .where(attempts.c.id.in_([i for i in known if i is not None]))
    ).all()  # fmt: skip
    scores = {attempt_id: score for attempt_id, score in found}
    now = datetime.now(UTC)
    rows = [r for card in cards for r in _log_rows(card, set(scores), scores, now)]
    if rows:
        bind.execute(review_log.insert(), rows)
    held = [card.id for card in cards if card.held_for_attempt in scores]
    if held:
        bind.execute(review_cards.update().where(review_cards.c.id.in_(held)).values(held=True))


def _drop_columns(table: str, names: tuple[str, ...]) -> None:
    """Drop the columns with their indexes (SQLite: `batch_alter_table` copies the table without them)."""
    indexes = [i["name"] for i in sa.inspect(op.get_bind()).get_indexes(table) if set(i["column_names"]) & set(names)]
    with op.batch_alter_table(table) as batch:
        for index in indexes:
            batch.drop_index(index)
        for name in names:
            batch.drop_column(name)


def upgrade() -> None:
    _create_tables()
    _move_attempt_records()
    _build_review_log()
    _drop_columns("attempts", MOVED)
    _drop_columns("review_cards", CARD_SNAPSHOT)


def _old_attempt_columns() -> list[sa.Column]:
    """The columns 0006 had, nullable (a downgraded row may lack a grade); `contested` false by default."""
    types = {"score": sa.Float, "machine_score": sa.Float, "grader": sa.String(16), "model": sa.String(200),
             "grade_json": sa.Text, "grading_ms": sa.Float, "confidence": sa.String(8),
             "prompt_version": sa.String(40), "rubric_version": sa.String(40), "graded_at": sa.DateTime(timezone=True),
             "contest_note": sa.Text, "dispute_items": sa.Text, "review_status": sa.String(16),
             "coach_grade_json": sa.Text, "reviewed_by": sa.String(80), "reviewed_at": sa.DateTime(timezone=True)}
    columns = [sa.Column(name, kind, nullable=True) for name, kind in types.items()]
    return [*columns, sa.Column("contested", sa.Boolean, nullable=False, server_default="0")]  # fmt: skip


def _card_snapshot(log: list[sa.Row]) -> dict:
    """The 0006 columns of one card from its log: the last counted review's attempt and the state before it."""
    counted = [r for r in log if r.status == "counted"]
    last = counted[-1] if counted else None
    held = [r for r in log if r.status == "held" and (last is None or _order(r) > _order(last))]
    if held:  # 0006 showed a hold as the state before the held review, with nothing to undo
        return {"last_attempt_id": None, "previous_json": None, "held_for_attempt": held[-1].attempt_id}
    if last is None or last.rating is None:
        return {"last_attempt_id": None, "previous_json": None, "held_for_attempt": None}
    before = counted[-2] if len(counted) > 1 else None
    previous = {"card": None, "due": None, "last_score": None, "reviews": 0}
    if before is not None:
        due = json.loads(before.card_json).get("due")
        previous = {"card": before.card_json, "due": due, "last_score": before.score, "reviews": before.reviews}
    return {"last_attempt_id": last.attempt_id, "previous_json": json.dumps(previous), "held_for_attempt": None}


def _order(row: sa.Row) -> tuple[datetime, int]:
    return _utc(row.reviewed_at), row.id


def downgrade() -> None:
    """Put the columns back from the new tables, then drop them. The log keeps more than 0006 could:
    each card gets back its last counted review's attempt and the state before it, or its held attempt."""
    with op.batch_alter_table("attempts") as batch:
        for column in _old_attempt_columns():
            batch.add_column(column)
    op.create_index("ix_attempts_review_status", "attempts", ["review_status"])
    a = attempts.c

    def of(table: sa.TableClause, column: str) -> sa.ScalarSelect:
        return sa.select(table.c[column]).where(table.c.attempt_id == a.id).scalar_subquery()

    values = {name: of(grades, name) for name in GRADE_COLUMNS}
    values |= {
        "machine_score": of(grades, "score"),
        "score": sa.func.coalesce(of(coach_reviews, "score"), of(grades, "score")),
        "contested": sa.exists().where(disputes.c.attempt_id == a.id),
        "contest_note": of(disputes, "note"), "dispute_items": of(disputes, "items_json"),
        "review_status": of(coach_reviews, "status"), "coach_grade_json": of(coach_reviews, "grade_json"),
        "reviewed_by": of(coach_reviews, "reviewed_by"), "reviewed_at": of(coach_reviews, "reviewed_at"),
    }  # fmt: skip
    op.execute(attempts.update().values(**values))

    with op.batch_alter_table("review_cards") as batch:
        batch.add_column(sa.Column("last_attempt_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("previous_json", sa.Text, nullable=True))
        batch.add_column(sa.Column("held_for_attempt", sa.Integer, nullable=True))
    bind = op.get_bind()
    log = sa.table("review_log", sa.column("id", sa.Integer), *(sa.column(c.name, c.type) for c in review_log.c))
    entries: dict[tuple[str, str], list[sa.Row]] = {}
    for entry in bind.execute(sa.select(log)).all():
        entries.setdefault((entry.profile, entry.question_id), []).append(entry)
    for card in bind.execute(sa.select(review_cards.c.id, review_cards.c.profile, review_cards.c.question_id)).all():
        card_log = sorted(entries.get((card.profile, card.question_id), []), key=_order)
        bind.execute(review_cards.update().where(review_cards.c.id == card.id).values(**_card_snapshot(card_log)))
    _drop_columns("review_cards", ("held",))
    for table in ("review_log", "coach_reviews", "disputes", "grades"):
        op.drop_table(table)
