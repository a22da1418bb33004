"""Issue #15, with real requests: on a shared server people sign in, stay signed in across a refresh,
see only their own history, only coaches open the studio, sessions expire, guessing is slowed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from browser_support import running_app

from coach.auth import hash_password
from core.types import Grade
from storage.accounts import AccountStore
from storage.attempts import AttemptStore
from storage.db import Account, dispose_engines, get_engine

pytestmark = [pytest.mark.browser, pytest.mark.slow]
BEN_ANSWER = "La réponse privée de Ben sur le RAG."


@pytest.fixture
def team_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    url = f"sqlite:///{data_dir / 'agentprep.db'}"
    accounts = AccountStore(url)
    accounts.add("ana", "candidate", hash_password("ana's password"))
    accounts.add("ben", "candidate", hash_password("ben's password"))
    accounts.add("cleo", "coach", hash_password("cleo's password"))
    store = AttemptStore(url)
    attempt = store.start(profile="ben", question_id="aii-20-rag", lang="fr", answer=BEN_ANSWER)
    store.complete(attempt, Grade(score=6.0, grader="embedded"))
    dispose_engines()
    try:
        with running_app(data_dir, {"AGENTPREP_TEAM_MODE": "true", "AGENTPREP_INDEX_ON_START": "false"}) as address:
            yield address, url
    finally:
        dispose_engines()


def sign_in(page, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_sign_in_refresh_privacy_roles_expiry_and_throttling(team_server, chromium_browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    address, url = team_server
    candidate = chromium_browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    candidate.set_default_timeout(60_000)
    candidate.goto(f"{address}/progress")
    candidate.get_by_role("button", name="Se connecter").wait_for()
    assert candidate.get_by_text("Progression").count() == 0  # nothing but the form before signing in

    sign_in(candidate, "ana", "wrong one")
    candidate.get_by_text("Identifiant ou mot de passe incorrect.").wait_for()
    sign_in(candidate, "ana", "ana's password")
    candidate.get_by_text("Connecté : ana (candidat)").wait_for()
    # the cookie is written by a script in an iframe drawn after the sign-in: under load it can come
    # later than the text above, and a refresh before it is a refresh without it
    candidate.wait_for_function("document.cookie.includes('agentprep_session=')")
    candidate.reload()  # the cookie keeps the sign-in
    candidate.get_by_text("Connecté : ana (candidat)").wait_for()
    assert candidate.get_by_role("link", name="Espace coach").count() == 0  # candidates never see the studio
    assert candidate.get_by_label("Profil").count() == 0  # and cannot type another candidate's name
    candidate.get_by_role("link", name="Progression").click()
    candidate.get_by_text("Aucune tentative pour le profil « ana »").wait_for()  # ana's own (empty) history
    assert BEN_ANSWER not in candidate.inner_text("body")
    candidate.screenshot(path=str(tmp_path / "candidate.png"), full_page=True)

    with get_engine(url).begin() as connection:  # the sign-in expires
        connection.execute(sa.text("UPDATE login_sessions SET expires_at = '2000-01-01 00:00:00'"))
    candidate.reload()
    candidate.get_by_role("button", name="Se connecter").wait_for()

    for _ in range(3):
        sign_in(candidate, "ben", "a guess")
        candidate.get_by_text("Identifiant ou mot de passe incorrect.").wait_for()
    # Right, but too soon after three wrong ones. The last failure is moved a minute ahead so that the
    # five-second wait is still running when a slow machine gets to the next click.
    with get_engine(url).begin() as connection:
        connection.execute(sa.update(Account).where(Account.username == "ben")
                           .values(last_failure_at=datetime.now(UTC) + timedelta(seconds=60)))  # fmt: skip
    sign_in(candidate, "ben", "ben's password")
    candidate.get_by_text("réessayez dans", exact=False).wait_for()

    coach = chromium_browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    coach.set_default_timeout(60_000)
    coach.goto(address)
    sign_in(coach, "cleo", "cleo's password")
    coach.get_by_role("link", name="Espace coach").click()
    coach.get_by_role("heading", name="Espace coach").wait_for()
    coach.screenshot(path=str(tmp_path / "coach.png"), full_page=True)
