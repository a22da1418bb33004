"""The coach gate: password hashing, verification and the rate limit on wrong passwords.

When a coach password is configured, the studio stays locked until it is given. The password is
compared in constant time, never kept in clear (the caller stores only "unlocked until T"), and
wrong guesses slow down exponentially, both per browser session and for the whole process, so a
script cannot escape the back-off by opening new sessions. No Streamlit here: the page only asks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from config import Settings

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # ~16 MiB and ~50 ms a check: slow for guessing, fine for a login
_MAX_SCRYPT_N = 2**20  # a hash string sets its own cost; refuse one that would exhaust memory
HASH_PREFIX = "scrypt$"
UNLOCK_SECONDS = 8 * 3600

SESSION_FREE_FAILURES = 5  # wrong passwords a session may make before waiting
GLOBAL_FREE_FAILURES = 20  # wrong passwords the whole process tolerates before everyone waits
BASE_WAIT_S = 2.0
MAX_WAIT_S = 15 * 60.0
FAILURE_MEMORY_S = 60 * 60.0  # failures older than this are forgotten


class InvalidHashError(ValueError):
    """AGENTPREP_COACH_PASSWORD_HASH is not a hash from `cli.py coach hash-password`."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """`scrypt$n$r$p$salt$hash` with a random 16-byte salt; what `coach hash-password` prints."""
    if not password:
        raise ValueError("the password is empty")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r * p, dklen=32)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """True if `password` matches the scrypt hash `encoded` (constant-time comparison)."""
    try:
        scheme, n_text, r_text, p_text, salt_text, hash_text = encoded.strip().split("$")
        n, r, p = int(n_text), int(r_text), int(p_text)
        salt, expected = _unb64(salt_text), _unb64(hash_text)
    except ValueError:
        raise InvalidHashError("expected scrypt$n$r$p$salt$hash (from `python cli.py coach hash-password`)") from None
    if scheme != "scrypt" or not (2 <= n <= _MAX_SCRYPT_N) or n & (n - 1) or not (1 <= r <= 32 and 1 <= p <= 16):
        raise InvalidHashError("unsupported scrypt parameters in the coach password hash")
    if not expected or not salt:
        raise InvalidHashError("the coach password hash has an empty salt or digest")
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r * p, dklen=len(expected)
    )
    return hmac.compare_digest(digest, expected)


def configured_secret(settings: Settings) -> str | None:
    """The configured hash, or clear password, or None when the studio is open (single user)."""
    if settings.coach_password_hash and settings.coach_password_hash.strip():
        return settings.coach_password_hash.strip()
    if settings.coach_password is not None and settings.coach_password.get_secret_value():
        return settings.coach_password.get_secret_value()
    return None


def gate_required(settings: Settings) -> bool:
    return configured_secret(settings) is not None


def password_matches(password: str, settings: Settings) -> bool:
    """Check against the hash, or (AGENTPREP_COACH_PASSWORD) the clear value or a hash put there."""
    secret = configured_secret(settings)
    if secret is None:
        return True
    if secret.startswith(HASH_PREFIX):
        return verify_password(password, secret)
    # Compare digests, not the strings: equal lengths, so the time taken says nothing about the length.
    given = hashlib.sha256(password.encode("utf-8")).digest()
    expected = hashlib.sha256(secret.encode("utf-8")).digest()
    return hmac.compare_digest(given, expected)


@dataclass
class _Failures:
    times: list[float] = field(default_factory=list)


class LoginThrottle:
    """Exponential back-off after too many wrong passwords, per session key and process-wide."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._by_key: dict[str, _Failures] = {}
        self._global = _Failures()

    def _recent(self, failures: _Failures, now: float) -> list[float]:
        failures.times = [t for t in failures.times if now - t < FAILURE_MEMORY_S]
        return failures.times

    @staticmethod
    def _wait(times: list[float], free: int, now: float) -> float:
        if len(times) < free:
            return 0.0
        wait = min(MAX_WAIT_S, BASE_WAIT_S * 2 ** (len(times) - free))
        return max(0.0, times[-1] + wait - now)

    def wait_seconds(self, key: str) -> float:
        """Seconds before `key` may try again (0 = now)."""
        with self._lock:
            now = self._clock()
            mine = self._recent(self._by_key.setdefault(key, _Failures()), now)
            everyone = self._recent(self._global, now)
            return max(self._wait(mine, SESSION_FREE_FAILURES, now), self._wait(everyone, GLOBAL_FREE_FAILURES, now))

    def record_failure(self, key: str) -> None:
        with self._lock:
            now = self._clock()
            self._by_key.setdefault(key, _Failures()).times.append(now)
            self._global.times.append(now)

    def record_success(self, key: str) -> None:
        with self._lock:
            self._by_key.pop(key, None)


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    unlocked_until: float | None = None  # wall-clock time (time.time()) the unlock lasts until
    wait_s: float = 0.0  # > 0: refused without checking, try again later
    error: str | None = None  # "wrong_password", "throttled" or "bad_hash"


_THROTTLE = LoginThrottle()


def process_throttle() -> LoginThrottle:
    """The one throttle of this process, shared by every browser session."""
    return _THROTTLE


def reset_process_throttle() -> None:
    """Forget every failure (tests; a restart does the same)."""
    global _THROTTLE
    _THROTTLE = LoginThrottle()


def attempt_login(
    password: str,
    settings: Settings,
    session_key: str,
    *,
    throttle: LoginThrottle | None = None,
    now: float | None = None,
) -> LoginResult:
    """Check a password under the rate limit. While throttled, the password is not even checked."""
    throttle = throttle or process_throttle()
    wait = throttle.wait_seconds(session_key)
    if wait > 0:
        return LoginResult(ok=False, wait_s=wait, error="throttled")
    try:
        ok = password_matches(password, settings)
    except InvalidHashError:
        return LoginResult(ok=False, error="bad_hash")
    if not ok:
        throttle.record_failure(session_key)
        return LoginResult(ok=False, wait_s=throttle.wait_seconds(session_key), error="wrong_password")
    throttle.record_success(session_key)
    return LoginResult(ok=True, unlocked_until=(now if now is not None else time.time()) + UNLOCK_SECONDS)


def is_unlocked(settings: Settings, unlocked_until: float | None, now: float | None = None) -> bool:
    """Open when no password is configured; otherwise only until the time a login granted."""
    if not gate_required(settings):
        return True
    return unlocked_until is not None and (now if now is not None else time.time()) < unlocked_until
