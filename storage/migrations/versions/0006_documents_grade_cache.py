"""Uploaded knowledge documents and the grade cache move into the database, shared by every app server.

Revision ID: 0006_documents_grade_cache
Revises: 0005_accounts
Created: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_documents_grade_cache"
down_revision = "0005_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("knowledge_documents"):
        op.create_table(
            "knowledge_documents",
            sa.Column("name", sa.String(160), primary_key=True),
            sa.Column("data", sa.LargeBinary, nullable=False),
            sa.Column("content_hash", sa.String(64), nullable=False),
            sa.Column("size", sa.Integer, nullable=False),
            sa.Column("uploaded_by", sa.String(80), nullable=True),
            sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        )
    if not inspector.has_table("grade_cache"):
        op.create_table(
            "grade_cache",
            sa.Column("key", sa.String(64), primary_key=True),
            sa.Column("grade_json", sa.Text, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        )


def downgrade() -> None:
    op.drop_table("grade_cache")
    op.drop_table("knowledge_documents")
