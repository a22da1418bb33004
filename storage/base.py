"""The declarative base and the clock every table shares (apart from `storage.db` to avoid an import cycle)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import DeclarativeBase


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """One form for every stored time: SQLite hands back naive datetimes (AgentPrep always writes UTC),
    PostgreSQL aware ones in the session's zone; FSRS and comparisons want aware UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Base(DeclarativeBase):
    pass
