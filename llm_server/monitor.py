"""The one memory of whether the LLM server answers, shared by every page, session and grade of a process.

Probing the server on every grade or page view would add its round trip (or its time-out, when it
is down) to each; three separate memories with three lifetimes gave three answers at once. Only the
first check of a server waits; after that callers get the last answer at once, and a stale "it
answers" is refreshed in the background. A stale "it is down" is checked again before it is served:
a server that came back must be used by the next grade, not one grade later.

Answers are remembered per language too, because the message that says what is wrong is written in
one: the sidebar (the UI's language) and grading (the settings' language) may each check once.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

from config import Settings
from llm_server.health import Health, check_health

HEALTH_TTL_S = 30.0
"""How long an answer is fresh; after that it is still served while a background check refreshes it."""
HEALTH_TIMEOUT_S = 1.5
"""How long the first check of a server may make a page wait."""

Checker = Callable[..., Health]


class HealthMonitor:
    """`check_health`, remembered per server, model, key and language."""

    def __init__(
        self, checker: Checker = check_health, ttl_s: float = HEALTH_TTL_S, timeout_s: float = HEALTH_TIMEOUT_S
    ):
        self._checker = checker
        self._ttl_s = ttl_s
        self._timeout_s = timeout_s
        self._answers: dict[tuple, tuple[float, Health]] = {}
        self._refreshing: set[tuple] = set()
        self._lock = threading.Lock()

    def checked(self, settings: Settings, lang: str | None = None) -> tuple[float, Health]:
        """(when checked, health) of the server `settings` name, in `lang` (the settings' language by default)."""
        lang = lang or settings.language
        key = _server_key(settings, lang)
        with self._lock:
            entry = self._answers.get(key)
            stale = entry is not None and time.time() - entry[0] > self._ttl_s
            refresh = stale and entry[1].ok and key not in self._refreshing
            if refresh:
                self._refreshing.add(key)
        if entry is None or (stale and not entry[1].ok):
            return self._check(key, settings, lang)
        if refresh:
            threading.Thread(target=self._check, args=(key, settings, lang), name="llm-health", daemon=True).start()
        return entry

    def health(self, settings: Settings, lang: str | None = None) -> Health:
        return self.checked(settings, lang)[1]

    def forget(self) -> None:
        """Drop every answer (a changed server URL is a new key anyway; tests start clean)."""
        with self._lock:
            self._answers.clear()
            self._refreshing.clear()

    def _check(self, key: tuple, settings: Settings, lang: str) -> tuple[float, Health]:
        try:
            entry = (time.time(), self._checker(settings, timeout_s=self._timeout_s, lang=lang))
            with self._lock:
                self._answers[key] = entry
            return entry
        finally:
            with self._lock:
                self._refreshing.discard(key)


def _server_key(settings: Settings, lang: str) -> tuple:
    url = settings.ollama_url if settings.provider == "ollama" else settings.openai_base_url
    api_key = hashlib.sha256(settings.openai_api_key.get_secret_value().encode()).hexdigest()
    return settings.provider, url, settings.model, api_key, lang


PROCESS_MONITOR = HealthMonitor()
"""The process's one monitor: the Services object, the grading pipeline and the CLI all read this one
(a test may give its Services another one; grading inside that test still reads this)."""
