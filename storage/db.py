"""Tables and the engine: SQLite under the data directory by default, PostgreSQL for a team.

An attempt is written *before* grading starts and completed after, so a crash, a closed tab or a
model that never answers cannot lose what the candidate typed. The attempt's tables (grade, dispute,
coach's review) and spaced repetition's (review log, cards) are in `storage.attempt_tables`.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from storage.attempt_tables import Attempt as Attempt
from storage.attempt_tables import CoachReview as CoachReview
from storage.attempt_tables import Dispute as Dispute
from storage.attempt_tables import MachineGrade as MachineGrade
from storage.attempt_tables import ReviewCard as ReviewCard
from storage.attempt_tables import ReviewLogEntry as ReviewLogEntry
from storage.base import Base, utc_now


class CoachQuestion(Base):
    """A question a coach added, or a coach's edit of a shipped one (an override); `deleted` hides one.

    The shipped bank is YAML in the repository and read-only at run time: a coach's work lives here,
    so every app server sees it and `git pull` never meets it.
    """

    __tablename__ = "coach_questions"

    question_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    question_json: Mapped[str | None] = mapped_column(Text, nullable=True)  # None with `deleted`
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, index=True)


class CalibrationSampleRow(Base):
    """A sample answer with the grade a coach expects: from the studio, an import or a settled dispute."""

    __tablename__ = "calibration_samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question_id: Mapped[str] = mapped_column(String(120), index=True)
    sample_json: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="studio")  # studio|import|review
    attempt_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, index=True)


class PracticeSession(Base):
    """A quiz or mock interview in progress, kept so that a refresh or a server restart loses nothing."""

    __tablename__ = "practice_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    profile: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # quiz|interview
    state_json: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, index=True)


class Preference(Base):
    """A setting kept on the server: a candidate's (scope `profile:<name>`) or the server-wide default."""

    __tablename__ = "preferences"

    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value_json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Account(Base):
    """A person who signs in (team mode): a candidate or a coach. The password is a scrypt hash."""

    __tablename__ = "accounts"

    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # candidate|coach
    password_hash: Mapped[str] = mapped_column(String(300))
    failures: Mapped[int] = mapped_column(Integer, default=0)  # wrong passwords since the last success
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class LoginSession(Base):
    """A sign-in: only the SHA-256 of its token is kept, so a stolen database opens no session."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("accounts.username", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class KnowledgeDocumentRow(Base):
    """A document a coach uploaded: its bytes live here, so every app server can index and open it.

    The knowledge store names it `upload/<name>`, never by a path on one server's disk.
    """

    __tablename__ = "knowledge_documents"

    name: Mapped[str] = mapped_column(String(160), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    content_hash: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class CachedGrade(Base):
    """A grade kept under the key of everything that shaped it (see `evaluators.cache`), shared by all servers."""

    __tablename__ = "grade_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    grade_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _configure_sqlite(engine: Engine) -> None:
    """WAL lets readers work while one writer commits; busy_timeout waits instead of failing."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def get_engine(url: str) -> Engine:
    """One engine per database URL per process, its schema migrated to the newest on first use."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is not None:
            return engine
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            _configure_sqlite(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
        upgrade_schema(engine)
        _engines[url] = engine
        return engine


MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def migration_config(connection: Connection | None = None) -> AlembicConfig:
    """Alembic's configuration, in code: the app migrates its own database, no alembic.ini to find."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade_schema(engine: Engine) -> None:
    """Bring the database to the newest schema (`storage/migrations/versions/`), keeping every row.

    A new database is created by the migrations; one an earlier release made (no `alembic_version`
    table) is brought up by the first migration, then stamped like any other.

    On SQLite, foreign keys are off while migrating (SQLite's own procedure for schema changes): a
    batch migration recreates a table, and dropping the old copy of one that others reference would
    otherwise fail, even deferred. The pragma is ignored inside a transaction, hence before `begin`.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        enforced = bool(connection.exec_driver_sql("PRAGMA foreign_keys").scalar()) if sqlite else False
        if enforced:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            with connection.begin():
                command.upgrade(migration_config(connection), "head")
        finally:
            if enforced:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def schema_revision(engine: Engine) -> str | None:
    """The migration the database is at (None before any)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def session_factory(url: str) -> sessionmaker:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


def dispose_engines() -> None:
    """Close every pooled connection (tests and clean shutdown)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
