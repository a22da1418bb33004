"""Issue #14: the schema is migrated by Alembic; a database an earlier release made loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.attempts import AttemptStore
from storage.db import Base, dispose_engines, get_engine, migration_config, schema_revision
from storage.scheduling import ReviewScheduler

HEAD = ScriptDirectory.from_config(migration_config()).get_current_head()

# The attempts table as a release before disputes, reviews and confidence created it.
OLDEST_ATTEMPTS = """
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY, profile VARCHAR(80) NOT NULL, question_id VARCHAR(120) NOT NULL,
    lang VARCHAR(2) NOT NULL, answer TEXT NOT NULL, status VARCHAR(16) NOT NULL, mode VARCHAR(16) NOT NULL,
    session_id VARCHAR(64), retry_of INTEGER, score FLOAT, grader VARCHAR(16), model VARCHAR(200),
    grade_json TEXT, error TEXT, created_at TIMESTAMP NOT NULL, graded_at TIMESTAMP
)"""


def schema_differences(engine: sa.Engine) -> list:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


def test_a_new_database_is_made_by_the_migrations_and_matches_the_models(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert schema_revision(engine) == HEAD
    assert schema_differences(engine) == []


def test_a_database_the_last_release_made_is_stamped_and_keeps_every_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'release.db'}"
    legacy = sa.create_engine(url)
    Base.metadata.create_all(legacy)  # exactly how the release before migrations made its schema
    with legacy.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO attempts (profile, question_id, lang, answer, status, mode, contested, created_at, score)"
            " VALUES ('ana', 'aii-20-rag', 'fr', 'Le RAG récupère des passages.', 'graded', 'quiz', 0,"
            " '2026-11-01 10:00:00', 6.5)"))  # fmt: skip
    legacy.dispose()
    store = AttemptStore(url)
    [attempt] = store.list("ana")
    assert (attempt.answer, attempt.score, attempt.status) == ("Le RAG récupère des passages.", 6.5, "graded")
    engine = get_engine(url)
    assert schema_revision(engine) == HEAD and schema_differences(engine) == []


def test_an_older_database_gets_the_missing_columns_and_loses_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    legacy = sa.create_engine(url)
    with legacy.begin() as connection:
        connection.execute(sa.text(OLDEST_ATTEMPTS))
        connection.execute(sa.text(
            "INSERT INTO attempts (profile, question_id, lang, answer, status, mode, created_at, score)"
            " VALUES ('bo', 'q1', 'en', 'An old answer', 'graded', 'quiz', '2026-01-01 09:00:00', 4.0)"))  # fmt: skip
    legacy.dispose()
    store = AttemptStore(url)
    [attempt] = store.list("bo")
    assert attempt.answer == "An old answer" and attempt.score == 4.0 and attempt.review_status is None
    columns = {c["name"] for c in sa.inspect(get_engine(url)).get_columns("attempts")}
    assert {"machine_score", "review_status", "contest_note", "confidence"} <= columns
    assert ReviewScheduler(url).all_cards("bo") == []  # the missing table was created
    assert schema_revision(get_engine(url)) == HEAD
    store.dispute(attempt.id, ["k"], "I covered it")  # the new columns work on the old row
    assert store.get(attempt.id).contested


def test_a_database_at_the_first_revision_gains_the_coach_tables_and_keeps_its_rows(tmp_path: Path) -> None:
    from alembic import command

    from coach.content import CoachContent
    from question_bank.model import CalibrationSample

    url = f"sqlite:///{tmp_path / 'rev1.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        command.upgrade(migration_config(connection), "0001_baseline")
        connection.execute(sa.text(
            "INSERT INTO attempts (profile, question_id, lang, answer, status, mode, contested, created_at)"
            " VALUES ('cy', 'q1', 'en', 'Kept across the upgrade', 'pending', 'quiz', 0,"
            " '2026-12-01 09:00:00')"))  # fmt: skip
    assert not sa.inspect(engine).has_table("coach_questions")
    engine.dispose()
    [attempt] = AttemptStore(url).list("cy")
    assert attempt.answer == "Kept across the upgrade"
    assert schema_revision(get_engine(url)) == HEAD and schema_differences(get_engine(url)) == []
    CoachContent(url).add_samples("q1", [CalibrationSample(lang="en", answer="ok", expected_score=5)])
    assert [row.sample.answer for row in CoachContent(url).stored_samples("q1")] == ["ok"]


@pytest.mark.slow
def test_postgresql_is_migrated_the_same_way(postgres_url: str) -> None:
    dispose_engines()
    engine = get_engine(postgres_url)
    assert schema_revision(engine) == HEAD
    assert schema_differences(engine) == []


def test_the_db_commands_upgrade_and_report_the_revision(agentprep_data_dir: Path) -> None:
    from click.testing import CliRunner

    from cli import cli
    from config import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    before = runner.invoke(cli, ["db", "current"])
    assert before.exit_code == 0 and "database: none (not migrated yet)" in before.output
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    current = runner.invoke(cli, ["db", "current"])
    assert current.exit_code == 0 and f"database: {HEAD}; newest: {HEAD}" in current.output
