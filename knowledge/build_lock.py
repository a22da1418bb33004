"""One writer at a time for a knowledge store, across threads, processes and app servers.

Several app servers may share one store: one data directory (an embedded Chroma) or one Chroma
server. Whoever writes to it (`cli.py index`, a server's start-up build, the coach studio) holds this
lock; the others wait, then find the work done (unchanged documents are skipped) and reuse it.

- An embedded store lives on one machine: an exclusive `flock` (POSIX) on a file in the store's folder.
- A Chroma server is shared by servers that share the database: with PostgreSQL, a session-level
  advisory lock held on a dedicated connection (as `storage/migrations/env.py` does for migrations);
  with SQLite, which is one file on one machine, an exclusive `flock` on a file beside it.

Both kinds are released by the operating system or the database when their process dies, so a
crashed build never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from config import Settings

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = "agentprep-build.lock"


class BuildBusy(RuntimeError):
    """Another process or thread is writing to the store and the caller chose not to wait."""


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `pg_advisory_lock`, from the collection name."""
    digest = hashlib.sha256(f"agentprep-knowledge:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_target(settings: Settings, store_dir: Path | None) -> str:
    """Where the lock lives: 'postgresql' or a lock file's path (for messages and tests)."""
    if store_dir is not None:
        return str(store_dir / LOCK_FILE)
    url = settings.sqlalchemy_url
    if url.startswith("postgresql"):
        return "postgresql"
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        database = Path(url.removeprefix("sqlite:///"))
        return str(database.parent / f"{database.name}.{LOCK_FILE}")
    return str(settings.data_dir / LOCK_FILE)


@contextlib.contextmanager
def build_lock(
    settings: Settings,
    store_dir: Path | None,
    collection: str,
    wait: bool = True,
    on_wait: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Hold the store's build lock. If another holds it: raise BuildBusy (`wait=False`), or call
    `on_wait` once and wait for it."""
    target = lock_target(settings, store_dir)
    if target == "postgresql":
        with _advisory_lock(settings.sqlalchemy_url, advisory_key(collection), wait, on_wait):
            yield
    else:
        with _file_lock(Path(target), wait, on_wait):
            yield


# One flock per lock file per process, shared by its threads: a thread lock in front of it makes the
# other threads wait as other processes do (flock alone would not exclude threads sharing one file).
_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


def _thread_lock(path: Path) -> threading.Lock:
    with _thread_locks_guard:
        return _thread_locks.setdefault(str(path.resolve()), threading.Lock())


@contextlib.contextmanager
def _file_lock(path: Path, wait: bool, on_wait: Callable[[], None] | None) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    local = _thread_lock(path)
    if not local.acquire(blocking=False):
        if not wait:
            raise BuildBusy(f"another build holds {path}")
        if on_wait:
            on_wait()
            on_wait = None
        local.acquire()
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock_fd(fd, wait, on_wait, path)
            try:
                yield
            finally:
                _unlock_fd(fd)
        finally:
            os.close(fd)
    finally:
        local.release()


def _lock_fd(fd: int, wait: bool, on_wait: Callable[[], None] | None, path: Path) -> None:
    if fcntl is None:  # no flock (Windows): threads of this process are still excluded, processes are not
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        if not wait:
            raise BuildBusy(f"another build holds {path}") from None
        if on_wait:
            on_wait()
        fcntl.flock(fd, fcntl.LOCK_EX)


def _unlock_fd(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def _advisory_lock(url: str, key: int, wait: bool, on_wait: Callable[[], None] | None) -> Iterator[None]:
    """A session-level advisory lock on a connection of its own, held for the whole build."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
                if not wait:
                    raise BuildBusy("another build holds the knowledge store's advisory lock")
                if on_wait:
                    on_wait()
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    finally:
        engine.dispose()
