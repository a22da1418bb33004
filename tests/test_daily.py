"""Issue #16: Home shows what is due with a "Review now (N)" button, a streak, a daily goal and the next review."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from streamlit.testing.v1 import AppTest

from config import PROJECT_ROOT, get_settings
from core.i18n import moment
from core.types import Grade
from practice.daily import DEFAULT_DAILY_GOAL, daily_goal, daily_plan, set_daily_goal, streak_days
from storage.attempts import AttemptStore
from storage.db import Attempt, session_factory
from storage.preferences import PreferenceStore
from storage.scheduling import ReviewScheduler

APP = str(PROJECT_ROOT / "app.py")
PARIS = ZoneInfo("Europe/Paris")


def stores() -> tuple[AttemptStore, ReviewScheduler, PreferenceStore]:
    url = get_settings().sqlalchemy_url
    return AttemptStore(url), ReviewScheduler(url), PreferenceStore(url)


def graded_at(store: AttemptStore, profile: str, when: datetime, question_id: str = "aii-20-rag") -> int:
    attempt_id = store.start(profile=profile, question_id=question_id, lang="fr", answer="Une réponse.")
    store.complete(attempt_id, Grade(score=6.0, grader="embedded"))
    with session_factory(get_settings().sqlalchemy_url).begin() as session:
        row = session.get(Attempt, attempt_id)
        row.created_at = row.graded_at = when
    return attempt_id


def test_a_streak_counts_days_in_a_row_and_survives_until_the_end_of_the_next_day() -> None:
    today = date(2026, 12, 5)
    days = {today - timedelta(days=n) for n in (1, 2, 3, 5)}
    assert streak_days(days, today) == 3  # yesterday, the day before, and the one before: still alive today
    assert streak_days(days | {today}, today) == 4
    assert streak_days({today - timedelta(days=2)}, today) == 0  # a missed day breaks it
    assert streak_days(set(), today) == 0


def test_days_are_the_candidates_own_not_utc() -> None:
    store, scheduler, preferences = stores()
    now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    graded_at(store, "ana", datetime(2026, 12, 4, 23, 30, tzinfo=UTC))  # 00:30 on the 5th in Paris
    graded_at(store, "ana", datetime(2026, 12, 3, 22, 30, tzinfo=UTC))  # 23:30 on the 3rd in Paris
    paris = daily_plan(store, scheduler, preferences, "ana", PARIS, now=now)
    assert (paris.answered_today, paris.streak, paris.today) == (1, 1, date(2026, 12, 5))  # the 4th is a gap
    utc = daily_plan(store, scheduler, preferences, "ana", UTC, now=now)
    assert (utc.answered_today, utc.streak) == (0, 2)  # in UTC: the 3rd and the 4th, nothing yet on the 5th


def test_the_daily_goal_is_kept_on_the_server_per_profile_and_clamped() -> None:
    _store, _scheduler, preferences = stores()
    assert daily_goal(preferences, "ana") == DEFAULT_DAILY_GOAL
    assert set_daily_goal(preferences, "ana", 7) == 7 and set_daily_goal(preferences, "ben", 500) == 50
    other_server = PreferenceStore(get_settings().sqlalchemy_url)
    assert daily_goal(other_server, "ana") == 7 and daily_goal(other_server, "ben") == 50
    assert daily_goal(other_server, "cy") == DEFAULT_DAILY_GOAL


def test_the_next_review_reads_as_people_say_it() -> None:
    today = date(2026, 12, 5)
    assert moment(datetime(2026, 12, 5, 14, 5), "fr", today) == "aujourd'hui à 14:05"
    assert moment(datetime(2026, 12, 6, 9, 30), "en", today) == "tomorrow at 09:30"
    assert moment(datetime(2026, 12, 9, 18, 0), "fr", today) == "le 09/12/2026 à 18:00"


def test_home_offers_review_now_which_starts_a_quiz_of_what_is_due() -> None:
    store, scheduler, _preferences = stores()
    now = datetime.now(UTC)
    graded_at(store, "default", now - timedelta(days=30))
    scheduler.record("default", "aii-20-rag", 1.0, now - timedelta(days=30))  # a poor grade long ago: due now
    scheduler.record("default", "agents-react-loop", 9.5, now)  # a good grade now: due in some days
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["À réviser maintenant"] == "1" and metrics["Série (jours)"] == "0"
    assert metrics["Objectif du jour"] == f"0 / {DEFAULT_DAILY_GOAL}"
    at.number_input(key="home_goal").set_value(5).run()
    assert daily_goal(PreferenceStore(get_settings().sqlalchemy_url), "default") == 5
    [review] = [b for b in at.button if b.key == "home_review_now"]
    assert review.label == "Réviser maintenant (1)" and not review.disabled
    at = review.click().run()
    assert not at.exception, at.exception
    quiz = at.session_state["quiz"]
    assert [item.question_id for item in quiz.items] == ["aii-20-rag"] and quiz.config.due_only


def test_with_nothing_due_home_says_when_the_next_review_is() -> None:
    _store, scheduler, _preferences = stores()
    scheduler.record("default", "agents-react-loop", 9.5, datetime.now(UTC))
    at = AppTest.from_file(APP, default_timeout=120).run()
    [review] = [b for b in at.button if b.key == "home_review_now"]
    assert review.disabled and review.label == "Réviser maintenant (0)"
    assert any("Prochaine révision :" in c.value and " à " in c.value for c in at.caption)


def test_progress_has_the_same_review_now_button() -> None:
    store, scheduler, _preferences = stores()
    now = datetime.now(UTC)
    graded_at(store, "default", now - timedelta(days=30))
    scheduler.record("default", "aii-20-rag", 1.0, now - timedelta(days=30))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/progress.py").run()
    assert not at.exception, at.exception
    [review] = [b for b in at.button if b.key == "progress_review_now"]
    assert review.label == "Réviser maintenant (1)" and not review.disabled
    at = review.click().run()
    assert [item.question_id for item in at.session_state["quiz"].items] == ["aii-20-rag"]
