"""Settings that follow a candidate, and the server-wide defaults a coach sets.

What a session uses, from lowest to highest: the process's settings (`AGENTPREP_*`), the coach's
server defaults, the candidate's own saved choices. Kept in the database (`storage.preferences`),
so they outlive a browser session and are the same on every app server. An API key is never
stored: it lives in the browser session only.
"""

from __future__ import annotations

from typing import Any

from storage.preferences import SERVER, PreferenceStore, profile_scope

KEY = "settings"
GRADER_MODES = ("auto", "embedded")
PROVIDERS = ("ollama", "openai")


def clean_choices(raw: object) -> dict[str, Any]:
    """Only the choices a person may make, each checked: stored data is never trusted as is."""
    if not isinstance(raw, dict):
        return {}
    clean: dict[str, Any] = {}
    if raw.get("provider") in PROVIDERS:
        clean["provider"] = raw["provider"]
    if raw.get("grader_mode") in GRADER_MODES:
        clean["grader_mode"] = raw["grader_mode"]
    for name in ("model", "ollama_url", "openai_base_url"):
        value = raw.get(name)
        if isinstance(value, str) and value.strip() and len(value) <= 500:
            clean[name] = value.strip()
    timeout = raw.get("llm_timeout_s")
    if isinstance(timeout, int | float) and 5 <= timeout <= 900:
        clean["llm_timeout_s"] = float(timeout)
    return clean


def saved_choices(preferences: PreferenceStore, profile: str) -> dict[str, Any]:
    """The server defaults with the candidate's own choices on top."""
    return {
        **clean_choices(preferences.get(SERVER, KEY)),
        **clean_choices(preferences.get(profile_scope(profile), KEY)),
    }


def save_choices(preferences: PreferenceStore, profile: str, choices: dict[str, Any]) -> dict[str, Any]:
    """Add to the candidate's own saved choices (the server defaults are not copied in: a coach may change them)."""
    kept = {**clean_choices(preferences.get(profile_scope(profile), KEY)), **clean_choices(choices)}
    preferences.set(profile_scope(profile), KEY, kept)
    return kept


def server_defaults(preferences: PreferenceStore) -> dict[str, Any]:
    return clean_choices(preferences.get(SERVER, KEY))


def save_server_defaults(preferences: PreferenceStore, choices: dict[str, Any]) -> dict[str, Any]:
    """A coach's defaults for every candidate who has not chosen otherwise; {} clears them."""
    kept = clean_choices(choices)
    preferences.set(SERVER, KEY, kept)
    return kept
