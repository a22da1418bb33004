"""Issue #14: the schema is migrated by Alembic; a database an earlier release made loses nothing."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fsrs import Card, Rating, Scheduler

from core.types import CriterionGrade, Grade, Verdict
from storage.attempts import AttemptStore, disputed_items, grade_of, machine_grade_of
from storage.base import as_utc
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


def release_schema(connection: sa.Connection) -> None:
    """The schema of the last release before migrations: the baseline's, with no `alembic_version` table."""
    command.upgrade(migration_config(connection), "0001_baseline")
    connection.execute(sa.text("DROP TABLE alembic_version"))


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
    with legacy.begin() as connection:
        release_schema(connection)
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
    assert attempt.machine_score == 4.0  # the grade moved to its own table
    columns = {c["name"] for c in sa.inspect(get_engine(url)).get_columns("attempts")}
    assert "score" not in columns and {"profile", "answer", "created_at"} <= columns
    assert ReviewScheduler(url).all_cards("bo") == []  # the missing table was created
    assert schema_revision(get_engine(url)) == HEAD
    store.dispute(attempt.id, ["k"], "I covered it")  # the new columns work on the old row
    assert store.get(attempt.id).contested


def test_a_database_at_the_first_revision_gains_the_coach_tables_and_keeps_its_rows(tmp_path: Path) -> None:
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


# Issue #14, revision 0007: an attempt's grade, dispute and coach's review leave `attempts` for tables of
# their own, and review cards become the fold of a review log. A database at 0006, with rows of each
# kind, must read the same afterwards.

REV_0006 = "0006_documents_grade_cache"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=3)


def grade_json(score: float, grader: str = "llm") -> str:
    criterion = CriterionGrade(id="rrf", text="RRF", weight=1, verdict=Verdict.met, evidence=["RRF"])
    return Grade(question_id="q1", score=score, grader=grader, criteria=[criterion], feedback="ok").model_dump_json()


def old_attempt(**values: object) -> dict:
    """A row of 0006's `attempts`: what the store of that revision wrote (unset columns are NULL)."""
    row = dict.fromkeys(
        ("session_id", "retry_of", "score", "grader", "model", "grade_json", "error", "answer_seconds", "grading_ms",
         "contest_note", "dispute_items", "confidence", "prompt_version", "rubric_version", "review_status",
         "machine_score", "coach_grade_json", "reviewed_by", "reviewed_at", "graded_at"),
    )  # fmt: skip
    row |= {"profile": "ana", "lang": "fr", "mode": "quiz", "contested": False, "created_at": T0}
    return row | values


OLD_ATTEMPTS = [
    old_attempt(id=1, question_id="q1", answer="Réponse notée", status="graded", session_id="s-1", score=7.0,
                machine_score=7.0, grader="llm", model="qwen2.5", grade_json=grade_json(7.0), answer_seconds=42.5,
                grading_ms=1234.0, confidence="high", prompt_version="p3", rubric_version="r9",
                graded_at=T0 + timedelta(minutes=1)),
    old_attempt(id=2, question_id="q2", answer="Contestée", status="graded", score=2.0, machine_score=2.0,
                grader="llm", model="qwen2.5", grade_json=grade_json(2.0), confidence="low", contested=True,
                contest_note="J'ai parlé de RRF.", dispute_items='["rrf"]', review_status="pending",
                graded_at=T0 + timedelta(days=1)),
    old_attempt(id=3, question_id="q3", answer="Relue", status="graded", score=9.0, machine_score=3.0,
                grader="embedded", grade_json=grade_json(3.0, "embedded"), confidence="medium", contested=True,
                contest_note=None, dispute_items="[]", review_status="reviewed",
                coach_grade_json=grade_json(9.0, "coach"), reviewed_by="coach-cleo",
                reviewed_at=T0 + timedelta(days=2), graded_at=T0 + timedelta(hours=2)),
    old_attempt(id=4, question_id="q1", answer="En attente", status="pending", retry_of=1, mode="interview"),
    old_attempt(id=5, question_id="q2", answer="Échouée", status="failed", error="ConnectionError: down"),
    old_attempt(id=6, question_id="q3", answer="Ancienne", status="graded", score=5.5, grader="embedded",
                graded_at=T0),  # from before `machine_score`: the machine's score was `score`
]  # fmt: skip


def old_cards() -> tuple[list[dict], Card]:
    """0006's review cards: one with the snapshot of its last review (attempt 1), one held for the disputed
    attempt 2, one from before snapshots. Returns them and the card before attempt 1's review."""
    scheduler = Scheduler(enable_fuzzing=False)

    def reviewed(*ratings: Rating) -> Card:
        card = Card()
        for day, rating in enumerate(ratings):
            card, _ = scheduler.review_card(card, rating, review_datetime=T0 + timedelta(days=day))
        return card

    before, after = reviewed(Rating.Good), reviewed(Rating.Good, Rating.Good)
    snapshot = {"card": json.dumps(before.to_dict()), "due": before.due.isoformat(), "last_score": 7.5, "reviews": 1}
    held, legacy = reviewed(Rating.Hard), reviewed(Rating.Again, Rating.Good, Rating.Easy)

    def card(question_id: str, state: Card, last_score: float, reviews: int, **snapshot_columns: object) -> dict:
        columns = dict.fromkeys(("last_attempt_id", "previous_json", "held_for_attempt")) | snapshot_columns
        return {"profile": "ana", "question_id": question_id, "card_json": json.dumps(state.to_dict()),
                "due": state.due, "last_score": last_score, "reviews": reviews, "updated_at": state.last_review,
                **columns}  # fmt: skip

    return [
        card("q1", after, 7.0, 2, last_attempt_id=1, previous_json=json.dumps(snapshot)),
        card("q2", held, 5.0, 1, held_for_attempt=2),
        card("q3", legacy, 9.0, 3),
    ], before


def database_at_0006(url: str) -> Card:
    """Migrate `url` to 0006 and write the rows above; returns the card state before attempt 1's review."""
    cards, before = old_cards()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        command.upgrade(migration_config(connection), REV_0006)
        tables = sa.MetaData()
        tables.reflect(connection, only=["attempts", "review_cards"])
        connection.execute(tables.tables["attempts"].insert(), OLD_ATTEMPTS)
        connection.execute(tables.tables["review_cards"].insert(), cards)
    engine.dispose()
    return before


def utc(moment: object) -> object:
    return as_utc(moment) if isinstance(moment, datetime) else moment


def assert_nothing_lost(url: str, before_attempt_1: Card) -> None:
    store, scheduler = AttemptStore(url), ReviewScheduler(url)
    for old in OLD_ATTEMPTS:
        record = store.get(old["id"])
        expected = old | {"machine_score": old["machine_score"] if old["machine_score"] is not None else old["score"]}
        assert {k: utc(getattr(record, k)) for k in expected} == {k: utc(v) for k, v in expected.items()}
    assert grade_of(store.get(3)).grader == "coach" and machine_grade_of(store.get(3)).score == 3.0
    assert disputed_items(store.get(2)) == ["rrf"]
    assert [a.id for a in store.review_queue()] == [2]
    assert [a.id for a in store.unfinished("ana")] == [4, 5]

    cards, _ = old_cards()
    now_cards = [(c.question_id, utc(c.due), c.last_score, c.reviews) for c in scheduler.all_cards("ana", now=NOW)]
    old = [(c["question_id"], utc(c["due"]), c["last_score"], c["reviews"]) for c in cards]
    assert now_cards == sorted(old, key=lambda c: c[1])
    assert "q2" not in {c.question_id for c in scheduler.due("ana", now=NOW + timedelta(days=365))}  # still held
    assert [(r.attempt_id, r.rating, r.status) for r in scheduler.history("ana", "q1")] == [
        (None, None, "counted"), (1, Rating.Good, "counted"),
    ]  # fmt: skip
    assert [(r.attempt_id, r.status) for r in scheduler.history("ana", "q2")] == [(None, "counted"), (2, "held")]
    assert [(r.attempt_id, r.rating, r.reviewed_at) for r in scheduler.history("ana", "q3")] == [
        (None, None, T0 + timedelta(days=2)),
    ]  # fmt: skip

    # What the snapshot columns allowed still works: undo attempt 1's review, settle the held attempt 2.
    assert scheduler.undo("ana", "q1", 1)
    [q1] = [c for c in scheduler.all_cards("ana", now=NOW) if c.question_id == "q1"]
    assert (utc(q1.due), q1.last_score, q1.reviews) == (before_attempt_1.due, 7.5, 1)
    assert scheduler.settle("ana", "q2", 2, 8.0, T0 + timedelta(days=1))
    [q2] = [c for c in scheduler.due("ana", now=NOW + timedelta(days=365)) if c.question_id == "q2"]
    assert (q2.last_score, q2.reviews) == (8.0, 2)


def test_a_database_at_0006_moves_every_row_to_the_new_tables_and_loses_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rev6.db'}"
    before = database_at_0006(url)
    engine = get_engine(url)  # migrates to the head, foreign keys on as the app runs
    assert schema_revision(engine) == HEAD and schema_differences(engine) == []
    attempt_columns = {c["name"] for c in sa.inspect(engine).get_columns("attempts")}
    assert attempt_columns == {"id", "profile", "question_id", "lang", "answer", "mode", "session_id", "retry_of",
                               "answer_seconds", "status", "error", "created_at"}  # fmt: skip
    card_columns = {c["name"] for c in sa.inspect(engine).get_columns("review_cards")}
    assert not card_columns & {"previous_json", "last_attempt_id", "held_for_attempt"}
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on after migrating
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    assert_nothing_lost(url, before)


def test_0007_downgrades_to_the_old_columns_with_their_values(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'down.db'}"
    database_at_0006(url)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        command.upgrade(migration_config(connection), "head")
        command.downgrade(migration_config(connection), REV_0006)
    with engine.connect() as connection:
        rows = {row.id: row._asdict() for row in connection.execute(sa.text("SELECT * FROM attempts"))}
        cards = {row.question_id: row for row in connection.execute(sa.text("SELECT * FROM review_cards"))}
    def raw(column: str, value: object) -> object:  # SQLite hands raw rows back as stored: text, 0/1
        if column.endswith("_at") and isinstance(value, str):
            return as_utc(datetime.fromisoformat(value))
        return bool(value) if column == "contested" else utc(value)

    for old in OLD_ATTEMPTS:
        expected = old | {"machine_score": old["machine_score"] if old["machine_score"] is not None else old["score"]}
        assert {k: raw(k, v) for k, v in rows[old["id"]].items()} == {k: utc(v) for k, v in expected.items()}
    assert cards["q1"].last_attempt_id == 1 and json.loads(cards["q1"].previous_json)["reviews"] == 1
    assert cards["q2"].held_for_attempt == 2 and cards["q2"].previous_json is None
    assert cards["q3"].last_attempt_id is None and cards["q3"].held_for_attempt is None
    engine.dispose()
    assert_nothing_lost(url, old_cards()[1])  # and up again


@pytest.mark.slow
def test_postgresql_at_0006_moves_every_row_the_same_way(postgres_url: str) -> None:
    server = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    name = f"rev0006_{uuid.uuid4().hex[:8]}"
    with server.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    server.dispose()
    url = sa.make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    before = database_at_0006(url)
    engine = get_engine(url)
    assert schema_revision(engine) == HEAD and schema_differences(engine) == []
    assert_nothing_lost(url, before)
