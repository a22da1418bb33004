"""Coach content moves into the database: added or edited questions, and calibration samples.

Revision ID: 0002_coach_content
Revises: 0001_baseline
Created: 2026-12-05

Until now the studio, `bank import` and a settled dispute wrote YAML into the repository's bank
folder. The shipped bank stays there, read-only; a coach's work is rows in these two tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_coach_content"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("coach_questions"):
        op.create_table(
            "coach_questions",
            sa.Column("question_id", sa.String(120), primary_key=True),
            sa.Column("question_json", sa.Text, nullable=True),
            sa.Column("deleted", sa.Boolean, nullable=False),
            sa.Column("updated_by", sa.String(80), nullable=True),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, index=True),
        )
    if not inspector.has_table("calibration_samples"):
        op.create_table(
            "calibration_samples",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("question_id", sa.String(120), nullable=False, index=True),
            sa.Column("sample_json", sa.Text, nullable=False),
            sa.Column("source", sa.String(16), nullable=False),
            sa.Column("attempt_id", sa.Integer, nullable=True),
            sa.Column("created_by", sa.String(80), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
        )


def downgrade() -> None:
    op.drop_table("calibration_samples")
    op.drop_table("coach_questions")
