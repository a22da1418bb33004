"""The daily loop a candidate comes back for: what is due now, the next review, the streak, the goal.

Days are the candidate's own (their browser's time zone), not the server's: a streak must not break
at a UTC midnight that falls in someone's evening.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from practice.quiz import MAX_QUESTIONS, QuizConfig, QuizSession, start_quiz
from question_bank import QuestionBank
from storage.attempts import AttemptFilter, AttemptStore
from storage.base import as_utc
from storage.preferences import PreferenceStore, profile_scope
from storage.scheduling import ReviewScheduler

DEFAULT_DAILY_GOAL = 3
MAX_DAILY_GOAL = 50
STREAK_LOOKBACK_DAYS = 400


@dataclass(frozen=True)
class DailyPlan:
    due_now: int
    next_review: datetime | None  # when the next card falls due, in the candidate's zone; None without cards
    answered_today: int  # graded answers since the candidate's midnight
    goal: int
    streak: int  # days in a row with a graded answer, up to today (or yesterday: the streak is still alive)
    today: date  # the candidate's date now

    @property
    def goal_met(self) -> bool:
        return self.answered_today >= self.goal


def streak_days(days: set[date], today: date) -> int:
    """Consecutive practice days ending today, or ending yesterday when today has no practice yet."""
    day = today if today in days else today - timedelta(days=1)
    streak = 0
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak


def daily_goal(preferences: PreferenceStore, profile: str) -> int:
    value = preferences.get(profile_scope(profile), "daily_goal", DEFAULT_DAILY_GOAL)
    return int(value) if isinstance(value, int | float) and 1 <= value <= MAX_DAILY_GOAL else DEFAULT_DAILY_GOAL


def set_daily_goal(preferences: PreferenceStore, profile: str, goal: int) -> int:
    """Keep the goal the candidate set (clamped to 1..50); returns the goal kept."""
    goal = max(1, min(int(goal), MAX_DAILY_GOAL))
    preferences.set(profile_scope(profile), "daily_goal", goal)
    return goal


def daily_plan(
    store: AttemptStore,
    scheduler: ReviewScheduler,
    preferences: PreferenceStore,
    profile: str,
    zone: tzinfo,
    now: datetime | None = None,
) -> DailyPlan:
    now = as_utc(now or datetime.now(UTC))
    today = now.astimezone(zone).date()
    graded = store.list(profile, AttemptFilter(status="graded", since=now - timedelta(days=STREAK_LOOKBACK_DAYS)))
    days = {as_utc(a.graded_at or a.created_at).astimezone(zone).date() for a in graded}
    answered_today = sum(1 for a in graded if as_utc(a.graded_at or a.created_at).astimezone(zone).date() == today)
    cards = scheduler.all_cards(profile, now=now)  # sorted by due
    due_now = len(scheduler.due(profile, now=now, limit=MAX_QUESTIONS * 10))
    upcoming = [c.due for c in cards if as_utc(c.due) > now]
    next_review = as_utc(upcoming[0]).astimezone(zone) if upcoming else None
    goal = daily_goal(preferences, profile)
    return DailyPlan(due_now, next_review, answered_today, goal, streak_days(days, today), today)


def start_review(bank: QuestionBank, scheduler: ReviewScheduler, profile: str, lang: str) -> QuizSession:
    """A quiz of what is due now, weakest first (at most MAX_QUESTIONS)."""
    config = QuizConfig(count=MAX_QUESTIONS, lang=lang, due_only=True)
    return start_quiz(bank, scheduler, profile, config)
