"""Choices kept on the server, so they follow a candidate from one browser session (or server) to the next."""

from __future__ import annotations

import json

from storage.db import Preference, session_factory, utc_now

SERVER = "server"


def profile_scope(profile: str) -> str:
    return f"profile:{profile}"


class PreferenceStore:
    def __init__(self, database_url: str):
        self._sessions = session_factory(database_url)

    def get(self, scope: str, key: str, default: object = None) -> object:
        with self._sessions() as session:
            row = session.get(Preference, (scope, key))
        return json.loads(row.value_json) if row is not None else default

    def set(self, scope: str, key: str, value: object) -> None:
        with self._sessions.begin() as session:
            row = session.get(Preference, (scope, key)) or Preference(scope=scope, key=key)
            row.value_json, row.updated_at = json.dumps(value, ensure_ascii=False), utc_now()
            session.add(row)
