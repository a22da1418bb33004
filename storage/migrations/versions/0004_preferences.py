"""Preferences kept on the server: a candidate's daily goal and other choices that outlive a session.

Revision ID: 0004_preferences
Revises: 0003_practice_sessions
Created: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_preferences"
down_revision = "0003_practice_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("preferences"):
        return
    op.create_table(
        "preferences",
        sa.Column("scope", sa.String(120), primary_key=True),
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("value_json", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("preferences")
