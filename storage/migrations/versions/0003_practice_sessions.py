"""Quizzes and mock interviews in progress are kept on the server.

Revision ID: 0003_practice_sessions
Revises: 0002_coach_content
Created: 2026-12-05

Until now a quiz lived in the browser session only: a refresh or a server restart lost it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_practice_sessions"
down_revision = "0002_coach_content"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("practice_sessions"):
        return
    op.create_table(
        "practice_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("profile", sa.String(80), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state_json", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("practice_sessions")
