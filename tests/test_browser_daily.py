"""Issue #16, in a real browser: a candidate's day. Review what is due, refresh midway, finish, see the streak."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from browser_support import running_app

from core.types import Grade
from storage.attempts import AttemptStore
from storage.db import Attempt, dispose_engines, session_factory
from storage.scheduling import ReviewScheduler

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DUE = ("aii-20-rag", "agents-react-loop")
ANSWER = (
    "Je commencerais par définir le besoin, puis je citerais les étapes clés, les outils, la mémoire, "
    "les limites et la façon de mesurer le résultat sur un jeu de test."
)


def yesterday_practice(data_dir: Path) -> None:
    """Two questions answered poorly a month ago (due now), and one answer yesterday (a streak of 1)."""
    url = f"sqlite:///{data_dir / 'agentprep.db'}"
    store, scheduler = AttemptStore(url), ReviewScheduler(url)
    now = datetime.now(UTC)
    for question_id in DUE:
        scheduler.record("default", question_id, 1.0, now - timedelta(days=30))
    attempt_id = store.start(profile="default", question_id="aii-19-context-window", lang="fr", answer="Hier.")
    store.complete(attempt_id, Grade(score=5.0, grader="embedded"))
    with session_factory(url).begin() as session:
        row = session.get(Attempt, attempt_id)
        row.created_at = row.graded_at = now - timedelta(days=1)
    dispose_engines()


@pytest.fixture
def server_with_reviews_due(tmp_path: Path):  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    yesterday_practice(data_dir)
    with running_app(data_dir) as url:
        yield url


def answer_and_wait(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("Votre réponse").fill(ANSWER)
    page.get_by_role("button", name="Soumettre").click()
    page.get_by_role("button", name="Question suivante").wait_for(timeout=180_000)


def test_review_what_is_due_refresh_in_the_middle_finish_and_see_the_streak(
    server_with_reviews_due: str, page, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    page.goto(server_with_reviews_due)
    page.get_by_text("Aujourd'hui", exact=True).wait_for()
    page.screenshot(path=str(tmp_path / "1-home.png"), full_page=True)
    page.get_by_role("button", name="Réviser maintenant (2)").click()
    page.get_by_text("Question 1 sur 2").wait_for()
    answer_and_wait(page)

    page.reload()  # the browser session is gone; the quiz is kept on the server
    page.get_by_text("Question 1 sur 2").wait_for()
    page.get_by_text(re.compile(r"\d+[.,]\d/10")).first.wait_for()  # the grade is on screen again
    page.screenshot(path=str(tmp_path / "2-after-refresh.png"), full_page=True)
    page.get_by_role("button", name="Question suivante").click()
    page.get_by_text("Question 2 sur 2").wait_for()
    answer_and_wait(page)
    page.get_by_role("button", name="Question suivante").click()
    page.get_by_text("Bilan du quiz").wait_for()

    page.get_by_role("link", name="Accueil").click()
    page.get_by_text("Aujourd'hui", exact=True).wait_for()
    page.get_by_text("Objectif du jour").wait_for()
    metrics = [m.inner_text() for m in page.get_by_test_id("stMetricValue").all()]
    page.screenshot(path=str(tmp_path / "3-home-after.png"), full_page=True)
    assert metrics[:3] == ["0", "2", "2 / 3"], metrics  # nothing due, a 2-day streak, 2 of 3 today
    assert page.get_by_role("button", name="Réviser maintenant (0)").is_disabled()
    assert (tmp_path / "3-home-after.png").stat().st_size > 10_000
