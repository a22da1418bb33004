"""Accounts and sign-ins for a shared (team) server.

Revision ID: 0005_accounts
Revises: 0004_preferences
Created: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_accounts"
down_revision = "0004_preferences"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("accounts"):
        op.create_table(
            "accounts",
            sa.Column("username", sa.String(80), primary_key=True),
            sa.Column("role", sa.String(16), nullable=False),
            sa.Column("password_hash", sa.String(300), nullable=False),
            sa.Column("failures", sa.Integer, nullable=False),
            sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        )
    if not inspector.has_table("login_sessions"):
        op.create_table(
            "login_sessions",
            sa.Column("token_hash", sa.String(64), primary_key=True),
            sa.Column("username", sa.String(80), sa.ForeignKey("accounts.username", ondelete="CASCADE"),
                      nullable=False, index=True),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        )


def downgrade() -> None:
    op.drop_table("login_sessions")
    op.drop_table("accounts")
