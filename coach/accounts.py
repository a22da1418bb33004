"""Signing in on a shared server: check a password, slow down guessing, start a session.

The wrong-password count is kept with the account in the database, so guessing one account is slowed
on every app server at once, and opening new browser sessions does not reset it. Hashing is the coach
gate's scrypt (`coach.auth`). No Streamlit here: the page only asks and shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from coach.auth import hash_password, verify_password
from storage.accounts import AccountStore
from storage.base import as_utc

FREE_FAILURES = 3  # wrong passwords before the account makes people wait
BASE_WAIT_S = 5.0
MAX_WAIT_S = 15 * 60.0
_DUMMY_HASH = hash_password("never a real password")  # an unknown name costs as much time as a known one


@dataclass(frozen=True)
class SignInResult:
    token: str | None = None
    wait_s: float = 0.0  # > 0: refused without checking the password; try again after this
    error: str | None = None  # "wrong" (name or password) or "throttled"

    @property
    def ok(self) -> bool:
        return self.token is not None


def wait_seconds(failures: int, last_failure_at: datetime | None, now: datetime) -> float:
    if failures < FREE_FAILURES or last_failure_at is None:
        return 0.0
    wait = min(MAX_WAIT_S, BASE_WAIT_S * 2 ** (failures - FREE_FAILURES))
    return max(0.0, (as_utc(last_failure_at) - now).total_seconds() + wait)


def sign_in(
    store: AccountStore, username: str, password: str, *, hours: float, now: datetime | None = None
) -> SignInResult:
    """Check the password (unless the account must wait) and start a session of `hours`."""
    now = now or datetime.now(UTC)
    account = store.get(username.strip())
    if account is None:
        verify_password(password, _DUMMY_HASH)  # same cost: the answer's timing does not tell which names exist
        return SignInResult(error="wrong")
    wait = wait_seconds(account.failures or 0, account.last_failure_at, now)
    if wait > 0:
        return SignInResult(wait_s=wait, error="throttled")
    if not verify_password(password, account.password_hash):
        store.record_failure(account.username, now)
        return SignInResult(error="wrong", wait_s=wait_seconds((account.failures or 0) + 1, now, now))
    return SignInResult(token=store.start_session(account.username, hours, now=now))
