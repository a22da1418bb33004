"""A throw-away PostgreSQL 15 server for the team-database tests.

Set AGENTPREP_TEST_DATABASE_URL to use a server you already run; otherwise the fixture starts one
from Debian's postgresql package (installed by `make test`) on a free localhost port and stops it.
PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    external = os.environ.get("AGENTPREP_TEST_DATABASE_URL")
    if external:
        yield external
        return
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"{PG_BIN}/initdb is missing: run `make test`, which installs Debian's postgresql")
    # Not under pytest's own temp root: that one is private to root and the server user cannot enter it.
    root = Path(tempfile.mkdtemp(prefix="agentprep-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
        root.chmod(0o700)
    port = free_port()
    subprocess.run(
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "agentprep", "-E", "UTF8"]),
        check=True, capture_output=True,
    )  # fmt: skip
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off"
    start = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "pg.log"), "-w", "start"]
    subprocess.run(_as_postgres(start), check=True, capture_output=True)
    try:
        subprocess.run(
            _as_postgres([str(PG_BIN.parent / "bin" / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "agentprep",
                          "-d", "postgres", "-c", "CREATE DATABASE agentprep"]),
            check=True, capture_output=True,
        )  # fmt: skip
        yield f"postgresql+psycopg://agentprep@127.0.0.1:{port}/agentprep"
    finally:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]), check=False)
        shutil.rmtree(root, ignore_errors=True)
