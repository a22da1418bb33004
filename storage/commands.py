"""`python cli.py db ...`: the database's schema revision, its upgrade, and a new migration file.

The app upgrades its database on start; these commands let an operator do it before a deploy, see
where a database stands, and let a developer start a migration from the models' differences.
"""

from __future__ import annotations

import click


@click.group("db")
def db_group() -> None:
    """The attempts database: its schema revision and migrations (storage/migrations/)."""


@db_group.command("current")
def db_current() -> None:
    """Print the migration the configured database is at, and the newest one."""
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    from config import get_settings
    from storage.db import migration_config, schema_revision

    url = get_settings().sqlalchemy_url
    head = ScriptDirectory.from_config(migration_config()).get_current_head()
    try:
        current = schema_revision(create_engine(url))
    except OperationalError as exc:
        where = url.split("@")[-1]
        raise click.ClickException(f"cannot open the database {where}: {exc.orig}") from exc
    click.echo(f"database: {current or 'none (not migrated yet)'}; newest: {head}")


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the configured database to the newest schema (the app also does it on start)."""
    from config import get_settings
    from storage.db import get_engine, schema_revision

    click.echo(f"database at {schema_revision(get_engine(get_settings().sqlalchemy_url))}")


@db_group.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes, in a few words.")
def db_revision(message: str) -> None:
    """Write a new migration under storage/migrations/versions/ from the models' differences (review it!)."""
    from alembic import command
    from sqlalchemy import create_engine

    from config import get_settings
    from storage.db import migration_config, upgrade_schema

    engine = create_engine(get_settings().sqlalchemy_url)
    upgrade_schema(engine)
    with engine.begin() as connection:
        command.revision(migration_config(connection), message=message, autogenerate=True)
