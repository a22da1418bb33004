"""Accounts and sign-ins of a shared server. All in the database, so every app server knows every session."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from storage.base import as_utc
from storage.db import Account, LoginSession, session_factory, utc_now

ROLES = ("candidate", "coach")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    username: str
    role: str

    @property
    def is_coach(self) -> bool:
        return self.role == "coach"


class AccountStore:
    def __init__(self, database_url: str):
        self._sessions = session_factory(database_url)

    def add(self, username: str, role: str, password_hash: str) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        with self._sessions.begin() as session:
            if session.get(Account, username) is not None:
                raise ValueError(f"an account {username!r} already exists")
            session.add(Account(username=username, role=role, password_hash=password_hash, failures=0))

    def set_password(self, username: str, password_hash: str) -> None:
        """A new password also ends every sign-in of the account."""
        with self._sessions.begin() as session:
            account = session.get(Account, username)
            if account is None:
                raise KeyError(username)
            account.password_hash, account.failures = password_hash, 0
            session.execute(delete(LoginSession).where(LoginSession.username == username))

    def remove(self, username: str) -> bool:
        with self._sessions.begin() as session:
            session.execute(delete(LoginSession).where(LoginSession.username == username))
            return session.execute(delete(Account).where(Account.username == username)).rowcount > 0

    def get(self, username: str) -> Account | None:
        with self._sessions() as session:
            return session.get(Account, username)

    def all(self) -> list[Account]:
        with self._sessions() as session:
            return list(session.scalars(select(Account).order_by(Account.username)))

    def record_failure(self, username: str, now: datetime | None = None) -> None:
        with self._sessions.begin() as session:
            account = session.get(Account, username)
            if account is not None:
                account.failures, account.last_failure_at = (account.failures or 0) + 1, now or utc_now()

    def start_session(self, username: str, hours: float, now: datetime | None = None) -> str:
        """A new sign-in; returns its token (only its hash is stored). Resets the wrong-password count."""
        token = secrets.token_urlsafe(32)
        now = now or utc_now()
        with self._sessions.begin() as session:
            account = session.get(Account, username)
            if account is None:
                raise KeyError(username)
            account.failures = 0
            session.add(LoginSession(token_hash=token_hash(token), username=username,
                                     expires_at=now + timedelta(hours=hours), created_at=now))  # fmt: skip
            session.execute(delete(LoginSession).where(LoginSession.expires_at < now))  # tidy the expired ones
        return token

    def signed_in(self, token: str | None, now: datetime | None = None) -> SignedIn | None:
        """Who holds this token, if its sign-in has not expired."""
        if not token:
            return None
        now = now or utc_now()
        with self._sessions() as session:
            row = session.get(LoginSession, token_hash(token))
            if row is None or as_utc(row.expires_at) <= now:
                return None
            account = session.get(Account, row.username)
            return SignedIn(account.username, account.role) if account is not None else None

    def end_session(self, token: str | None) -> None:
        if token:
            with self._sessions.begin() as session:
                session.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash(token)))
