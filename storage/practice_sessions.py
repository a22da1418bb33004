"""Quizzes and mock interviews in progress, saved after every step so a refresh resumes them.

The flows (`practice.quiz`, `interview`) turn their sessions into plain JSON-able dicts and back;
this store only keeps the latest state of each, and which one a profile has open.
"""

from __future__ import annotations

import json

from sqlalchemy import select, update

from storage.db import PracticeSession, session_factory, utc_now


class PracticeSessionStore:
    def __init__(self, database_url: str):
        self._sessions = session_factory(database_url)

    def save(self, session_id: str, *, profile: str, kind: str, state: dict, active: bool = True) -> None:
        """Keep the latest state; a new active session of a kind closes the profile's other open ones."""
        with self._sessions.begin() as session:
            row = session.get(PracticeSession, session_id)
            if row is None:
                session.execute(
                    update(PracticeSession)
                    .where(PracticeSession.profile == profile, PracticeSession.kind == kind, PracticeSession.active)
                    .values(active=False)
                )
                row = PracticeSession(id=session_id, profile=profile, kind=kind)
            row.state_json, row.active, row.updated_at = json.dumps(state, ensure_ascii=False), active, utc_now()
            session.add(row)

    def close(self, session_id: str) -> None:
        """The candidate finished or abandoned it: it is no longer resumed."""
        with self._sessions.begin() as session:
            session.execute(update(PracticeSession).where(PracticeSession.id == session_id).values(active=False))

    def open_state(self, profile: str, kind: str) -> dict | None:
        """The state of the profile's open session of this kind, the latest if several; None if none."""
        query = (
            select(PracticeSession.state_json)
            .where(PracticeSession.profile == profile, PracticeSession.kind == kind, PracticeSession.active)
            .order_by(PracticeSession.updated_at.desc())
            .limit(1)
        )
        with self._sessions() as session:
            text = session.scalar(query)
        return json.loads(text) if text else None
