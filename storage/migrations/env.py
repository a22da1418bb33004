"""Alembic's environment: run the migrations on the connection `storage.db.upgrade_schema` hands over.

There is no alembic.ini: the app migrates its own database on start (`storage.db.get_engine`); an
operator runs `python cli.py db upgrade` before a deploy and `python cli.py db current` to see where a
database stands; a developer starts a migration with `python cli.py db revision -m "..."`.
"""

from __future__ import annotations

from alembic import context

from storage.db import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Several app servers may start at once: one migrates, the others wait and find it done.
        context.execute("SELECT pg_advisory_xact_lock(741852963)")
    context.run_migrations()
