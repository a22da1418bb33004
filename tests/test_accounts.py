"""Issue #15: accounts on a shared server: hashed passwords, sessions that expire, guessing slowed down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from click.testing import CliRunner

from cli import cli
from coach.accounts import FREE_FAILURES, sign_in
from coach.auth import hash_password
from config import get_settings
from storage.accounts import AccountStore
from storage.db import get_engine

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def store_with(*accounts: tuple[str, str, str]) -> AccountStore:
    store = AccountStore(get_settings().sqlalchemy_url)
    for username, role, password in accounts:
        store.add(username, role, hash_password(password))
    return store


def test_a_session_lasts_its_hours_and_only_its_hash_is_stored() -> None:
    store = store_with(("ana", "candidate", "correct horse"))
    result = sign_in(store, "ana", "correct horse", hours=12, now=NOW)
    assert result.ok and store.signed_in(result.token, now=NOW + timedelta(hours=11)).username == "ana"
    assert store.signed_in(result.token, now=NOW + timedelta(hours=12, seconds=1)) is None  # expired
    with get_engine(get_settings().sqlalchemy_url).connect() as connection:
        stored = connection.execute(sa.text("SELECT token_hash FROM login_sessions")).scalars().all()
    assert stored and result.token not in stored
    store.end_session(result.token)
    assert store.signed_in(result.token, now=NOW) is None


def test_wrong_passwords_are_slowed_down_per_account_and_a_success_resets_the_count() -> None:
    store = store_with(("ana", "candidate", "correct horse"))
    for _ in range(FREE_FAILURES - 1):
        assert sign_in(store, "ana", "guess", hours=1, now=NOW).error == "wrong"
    last = sign_in(store, "ana", "guess", hours=1, now=NOW)
    assert last.error == "wrong" and last.wait_s > 0  # the next try must wait
    refused = sign_in(store, "ana", "correct horse", hours=1, now=NOW + timedelta(seconds=1))
    assert refused.error == "throttled" and not refused.ok  # even the right password, while waiting
    later = NOW + timedelta(seconds=last.wait_s + 1)
    assert sign_in(store, "ana", "correct horse", hours=1, now=later).ok
    assert store.get("ana").failures == 0
    assert sign_in(store, "nobody", "guess", hours=1, now=NOW).error == "wrong"  # no hint that names exist


def test_a_new_password_ends_the_accounts_sessions() -> None:
    store = store_with(("ben", "coach", "first password"))
    token = sign_in(store, "ben", "first password", hours=1, now=NOW).token
    store.set_password("ben", hash_password("second password"))
    assert store.signed_in(token, now=NOW) is None
    assert store.signed_in(sign_in(store, "ben", "second password", hours=1, now=NOW).token, now=NOW).is_coach


def test_the_users_commands_add_list_and_remove() -> None:
    runner = CliRunner()
    added = runner.invoke(cli, ["users", "add", "cleo", "--role", "coach", "--password-stdin"], input="long enough\n")
    assert added.exit_code == 0, added.output
    short = runner.invoke(cli, ["users", "add", "dan", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "at least 8" in short.output
    bad_name = runner.invoke(cli, ["users", "add", "<script>", "--password-stdin"], input="long enough\n")
    assert bad_name.exit_code == 1
    assert runner.invoke(cli, ["users", "list"]).output == "cleo\tcoach\n"
    assert runner.invoke(cli, ["users", "remove", "cleo"]).exit_code == 0
    assert runner.invoke(cli, ["users", "remove", "cleo"]).exit_code == 1
