"""The schema of the last release before migrations: attempts and review cards.

Revision ID: 0001_baseline
Revises:
Created: 2026-12-05

A new database gets both tables. A database made by an earlier release, which has no
`alembic_version` table, is brought to this schema without losing a row: the columns later
releases added are added (all nullable), with their indexes. After that, every change is a
migration of its own.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def _attempts_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("profile", sa.String(80), nullable=False, index=True),
        sa.Column("question_id", sa.String(120), nullable=False, index=True),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=True, index=True),
        sa.Column("retry_of", sa.Integer, sa.ForeignKey("attempts.id"), nullable=True),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("grader", sa.String(16), nullable=True),
        sa.Column("model", sa.String(200), nullable=True),
        sa.Column("grade_json", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("answer_seconds", sa.Float, nullable=True),
        sa.Column("grading_ms", sa.Float, nullable=True),
        sa.Column("contested", sa.Boolean, nullable=False),
        sa.Column("contest_note", sa.Text, nullable=True),
        sa.Column("dispute_items", sa.Text, nullable=True),
        sa.Column("confidence", sa.String(8), nullable=True),
        sa.Column("prompt_version", sa.String(40), nullable=True),
        sa.Column("rubric_version", sa.String(40), nullable=True),
        sa.Column("review_status", sa.String(16), nullable=True, index=True),
        sa.Column("machine_score", sa.Float, nullable=True),
        sa.Column("coach_grade_json", sa.Text, nullable=True),
        sa.Column("reviewed_by", sa.String(80), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("graded_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _review_cards_columns() -> list:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("profile", sa.String(80), nullable=False, index=True),
        sa.Column("question_id", sa.String(120), nullable=False),
        sa.Column("card_json", sa.Text, nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("last_score", sa.Float, nullable=True),
        sa.Column("reviews", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_id", sa.Integer, nullable=True),
        sa.Column("previous_json", sa.Text, nullable=True),
        sa.Column("held_for_attempt", sa.Integer, nullable=True),
        sa.UniqueConstraint("profile", "question_id", name="uq_card_profile_question"),
    ]


TABLES = {"attempts": _attempts_columns, "review_cards": _review_cards_columns}


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    for name, columns in TABLES.items():
        if not inspector.has_table(name):
            op.create_table(name, *columns())
            continue
        present = {column["name"] for column in inspector.get_columns(name)}
        indexed = {tuple(index["column_names"]) for index in inspector.get_indexes(name)}
        for column in columns():
            if not isinstance(column, sa.Column) or column.name in present:
                continue
            op.add_column(name, sa.Column(column.name, column.type, nullable=True))
            if column.index and (column.name,) not in indexed:
                op.create_index(f"ix_{name}_{column.name}", name, [column.name])


def downgrade() -> None:
    op.drop_table("review_cards")
    op.drop_table("attempts")
