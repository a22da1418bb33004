"""The coach gate without Streamlit: hashing, verification, the back-off on wrong passwords."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from cli import cli
from coach import auth
from coach.auth import (
    GLOBAL_FREE_FAILURES,
    SESSION_FREE_FAILURES,
    InvalidHashError,
    LoginThrottle,
    attempt_login,
    gate_required,
    hash_password,
    is_unlocked,
    password_matches,
    verify_password,
)
from config import Settings

PASSWORD = "correct horse battery staple"
FAST = {"n": 2**10, "r": 8, "p": 1}  # cheap parameters keep the tests quick; the format is the same


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def settings_with(**values: object) -> Settings:
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def stored_hash() -> str:
    return hash_password(PASSWORD, **FAST)


def test_hash_format_and_verification(stored_hash: str) -> None:
    scheme, n, r, p, salt, digest = stored_hash.split("$")
    assert (scheme, n, r, p) == ("scrypt", "1024", "8", "1")
    assert salt and digest and PASSWORD not in stored_hash
    assert verify_password(PASSWORD, stored_hash)
    assert not verify_password(PASSWORD + " ", stored_hash)
    assert not verify_password("", stored_hash)
    assert hash_password(PASSWORD, **FAST) != stored_hash  # a fresh random salt each time


def test_default_parameters_are_the_strong_ones() -> None:
    encoded = hash_password("x")
    assert encoded.startswith("scrypt$16384$8$1$") and verify_password("x", encoded)


@pytest.mark.parametrize(
    "bad", ["plain-text", "scrypt$1024$8$1$c2FsdA", "bcrypt$1024$8$1$c2FsdA$aGFzaA", "scrypt$1000$8$1$c2FsdA$aGFzaA",
            "scrypt$1073741824$8$1$c2FsdA$aGFzaA", "scrypt$1024$8$1$$aGFzaA"],
)  # fmt: skip
def test_malformed_or_dangerous_hashes_are_refused(bad: str) -> None:
    with pytest.raises(InvalidHashError):
        verify_password(PASSWORD, bad)


def test_which_secret_is_used(stored_hash: str) -> None:
    open_studio = settings_with()
    assert not gate_required(open_studio) and password_matches("anything", open_studio)
    clear = settings_with(coach_password=SecretStr(PASSWORD))
    assert gate_required(clear) and password_matches(PASSWORD, clear) and not password_matches("nope", clear)
    hashed = settings_with(coach_password_hash=stored_hash)
    assert password_matches(PASSWORD, hashed) and not password_matches(stored_hash, hashed)
    hash_in_password_var = settings_with(coach_password=SecretStr(stored_hash))
    assert password_matches(PASSWORD, hash_in_password_var)


def test_wrong_passwords_are_throttled_per_session_with_exponential_back_off(stored_hash: str) -> None:
    clock = FakeClock()
    throttle = LoginThrottle(clock)
    settings = settings_with(coach_password_hash=stored_hash)
    for _ in range(SESSION_FREE_FAILURES - 1):
        result = attempt_login("wrong", settings, "tab-1", throttle=throttle)
        assert result.error == "wrong_password" and result.wait_s == 0
    fifth = attempt_login("wrong", settings, "tab-1", throttle=throttle)
    assert fifth.error == "wrong_password" and fifth.wait_s == pytest.approx(auth.BASE_WAIT_S)
    # While throttled, even the right password is not checked.
    blocked = attempt_login(PASSWORD, settings, "tab-1", throttle=throttle)
    assert not blocked.ok and blocked.error == "throttled" and blocked.wait_s > 0
    clock.now += fifth.wait_s
    sixth = attempt_login("wrong", settings, "tab-1", throttle=throttle)
    assert sixth.wait_s == pytest.approx(2 * auth.BASE_WAIT_S)  # doubles with each failure
    # Another session is not slowed by this one's few failures.
    assert attempt_login(PASSWORD, settings, "tab-2", throttle=throttle, now=0.0).ok
    clock.now += sixth.wait_s
    success = attempt_login(PASSWORD, settings, "tab-1", throttle=throttle, now=0.0)
    assert success.ok and success.unlocked_until == auth.UNLOCK_SECONDS
    assert throttle.wait_seconds("tab-1") == 0  # a success forgets this session's failures


def test_new_sessions_do_not_escape_the_process_wide_limit(stored_hash: str) -> None:
    clock = FakeClock()
    throttle = LoginThrottle(clock)
    settings = settings_with(coach_password_hash=stored_hash)
    for number in range(GLOBAL_FREE_FAILURES):
        assert attempt_login("guess", settings, f"fresh-session-{number}", throttle=throttle).error == "wrong_password"
    refused = attempt_login(PASSWORD, settings, "yet-another-session", throttle=throttle)
    assert refused.error == "throttled" and refused.wait_s > 0
    clock.now += auth.FAILURE_MEMORY_S + 1  # old failures are forgotten
    assert attempt_login(PASSWORD, settings, "yet-another-session", throttle=throttle).ok


def test_no_clear_password_is_kept(stored_hash: str) -> None:
    throttle = LoginThrottle(FakeClock())
    settings = settings_with(coach_password_hash=stored_hash)
    results = [attempt_login(pw, settings, "tab", throttle=throttle) for pw in ("first guess", PASSWORD)]
    kept = repr(results) + repr(vars(throttle)) + repr([vars(f) for f in throttle._by_key.values()])
    assert PASSWORD not in kept and "first guess" not in kept
    assert set(vars(results[1])) == {"ok", "unlocked_until", "wait_s", "error"}


def test_a_broken_hash_says_so_instead_of_counting_a_failure() -> None:
    throttle = LoginThrottle(FakeClock())
    result = attempt_login(PASSWORD, settings_with(coach_password_hash="scrypt$oops"), "tab", throttle=throttle)
    assert result.error == "bad_hash" and throttle.wait_seconds("tab") == 0


def test_unlock_expires() -> None:
    assert is_unlocked(settings_with(), None)
    locked = settings_with(coach_password=SecretStr(PASSWORD))
    assert not is_unlocked(locked, None)
    assert is_unlocked(locked, 200.0, now=100.0) and not is_unlocked(locked, 200.0, now=200.0)


def test_hash_password_command(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    from_stdin = runner.invoke(cli, ["coach", "hash-password", "--stdin"], input=PASSWORD + "\n")
    assert from_stdin.exit_code == 0
    encoded = from_stdin.output.strip()
    assert verify_password(PASSWORD, encoded) and PASSWORD not in from_stdin.output
    prompted = runner.invoke(cli, ["coach", "hash-password"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0 and verify_password(PASSWORD, prompted.output.strip().splitlines()[-1])
    assert PASSWORD not in prompted.output  # hidden input is not echoed
    empty = runner.invoke(cli, ["coach", "hash-password", "--stdin"], input="\n")
    assert empty.exit_code == 1 and "empty" in empty.output
