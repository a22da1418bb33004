"""A throw-away PostgreSQL 15 server for the team-database tests.

Set AGENTPREP_TEST_DATABASE_URL to use a server you already run; otherwise the fixture starts one
from Debian's postgresql package (installed by `make test`) on a free localhost port and stops it.
PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bench.services import PG_BIN, postgres_server


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    external = os.environ.get("AGENTPREP_TEST_DATABASE_URL")
    if external:
        yield external
        return
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"{PG_BIN}/initdb is missing: run `make test`, which installs Debian's postgresql")
    with postgres_server() as url:
        yield url
