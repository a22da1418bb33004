"""A quiz: which questions to ask, where the candidate is, and the summary at the end.

Plain data and functions, no Streamlit, so the flow is tested directly and the page only renders.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from core.types import Grade
from practice.adaptive import AdaptivePick, pick_next_question
from question_bank import Question, QuestionBank
from storage.attempts import AttemptStore
from storage.scheduling import ReviewScheduler

MAX_QUESTIONS = 50


@dataclass(frozen=True)
class QuizConfig:
    topics: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    count: int = 5
    lang: str = "fr"
    due_only: bool = False
    timer_minutes: int = 0
    adaptive: bool = False  # one question at a time, its level following the scores (practice/adaptive.py)


@dataclass
class QuizItem:
    question_id: str
    attempt_ids: list[int] = field(default_factory=list)
    grades: list[Grade] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    pick: AdaptivePick | None = None  # why an adaptive quiz chose this question; None otherwise

    @property
    def best_score(self) -> float | None:
        return max((g.score for g in self.grades), default=None)

    @property
    def last_score(self) -> float | None:
        return self.grades[-1].score if self.grades else None


@dataclass
class QuizSession:
    profile: str
    config: QuizConfig
    items: list[QuizItem]
    position: int = 0
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    exhausted: bool = False  # adaptive: no question was left to add before `config.count`

    @property
    def finished(self) -> bool:
        return self.position >= len(self.items)

    @property
    def planned_total(self) -> int:
        """How many questions the quiz will ask: known upfront, except an adaptive quiz that ran dry."""
        if self.config.adaptive and not self.exhausted:
            return max(len(self.items), min(self.config.count, MAX_QUESTIONS))
        return len(self.items)

    @property
    def wants_more(self) -> bool:
        """An adaptive quiz on its last item that may still add one (`advance_quiz` does)."""
        return (
            self.config.adaptive
            and not self.exhausted
            and self.position == len(self.items) - 1
            and len(self.items) < min(self.config.count, MAX_QUESTIONS)
        )

    @property
    def current(self) -> QuizItem | None:
        return None if self.finished else self.items[self.position]

    def record(self, attempt_id: int, answer: str, grade: Grade) -> None:
        item = self.current
        if item is None:
            raise RuntimeError("the quiz is over: nothing to record")
        item.attempt_ids.append(attempt_id)
        item.answers.append(answer)
        item.grades.append(grade)

    def advance(self) -> None:
        """Next item. An adaptive quiz must grow first, so it goes through `advance_quiz` instead."""
        if self.wants_more:
            raise RuntimeError("an adaptive quiz advances with advance_quiz(quiz, bank, store, scheduler)")
        self.position = min(self.position + 1, len(self.items))


def pick_questions(
    bank: QuestionBank,
    scheduler: ReviewScheduler,
    profile: str,
    config: QuizConfig,
    rng: random.Random | None = None,
) -> list[Question]:
    """Due cards weakest first when reviewing; otherwise a random draw, unseen questions first."""
    rng = rng or random.Random()  # noqa: S311 - shuffling questions, not cryptography
    count = max(1, min(config.count, MAX_QUESTIONS))
    eligible = bank.filter(topics=list(config.topics), levels=list(config.levels), kinds=list(config.kinds))
    eligible_ids = {q.id for q in eligible}
    if config.due_only:
        due = [c.question_id for c in scheduler.due(profile) if c.question_id in eligible_ids]
        return [q for q in (bank.get(qid) for qid in due[:count]) if q is not None]
    seen = {c.question_id for c in scheduler.all_cards(profile)}
    unseen = [q for q in eligible if q.id not in seen]
    seen_questions = [q for q in eligible if q.id in seen]
    rng.shuffle(unseen)
    rng.shuffle(seen_questions)
    return (unseen + seen_questions)[:count]


def start_quiz(
    bank: QuestionBank,
    scheduler: ReviewScheduler,
    profile: str,
    config: QuizConfig,
    rng: random.Random | None = None,
    store: AttemptStore | None = None,
) -> QuizSession:
    """A new quiz; an adaptive one holds only its first question (empty when nothing matches)."""
    if not config.adaptive:
        questions = pick_questions(bank, scheduler, profile, config, rng)
        return QuizSession(profile=profile, config=config, items=[QuizItem(q.id) for q in questions])
    if store is None:
        raise ValueError("an adaptive quiz reads the attempt history: pass store=")
    first = pick_next_question(bank, store, scheduler, profile, config, asked=(), rng=rng)
    items = [QuizItem(first.question_id, pick=first)] if first else []
    return QuizSession(profile=profile, config=config, items=items, exhausted=first is None)


def advance_quiz(
    quiz: QuizSession,
    bank: QuestionBank,
    store: AttemptStore,
    scheduler: ReviewScheduler,
    rng: random.Random | None = None,
) -> AdaptivePick | None:
    """Move to the next question in either mode; an adaptive quiz first adds it from the latest scores.

    Returns the pick added (None in a normal quiz, or when an adaptive one is done or ran dry), so
    the page needs one call for "next" and "skip" whatever the mode.
    """
    pick = None
    if quiz.wants_more:
        asked = [item.question_id for item in quiz.items]
        pick = pick_next_question(bank, store, scheduler, quiz.profile, quiz.config, asked, rng)
        if pick is None:
            quiz.exhausted = True
        else:
            quiz.items.append(QuizItem(pick.question_id, pick=pick))
    quiz.advance()
    return pick


@dataclass(frozen=True)
class TopicScore:
    topic: str
    average: float
    answered: int


@dataclass(frozen=True)
class QuizSummary:
    per_question: list[tuple[str, float | None]]
    per_topic: list[TopicScore]
    weakest_topics: list[str]
    to_read: list[str]
    average: float | None


def summarize(session: QuizSession, bank: QuestionBank, weak_below: float = 7.0) -> QuizSummary:
    """Score per question (the best attempt) and per topic; what to read for the weak ones."""
    per_question = [(item.question_id, item.best_score) for item in session.items]
    topic_scores: dict[str, list[float]] = defaultdict(list)
    to_read: list[str] = []
    for item in session.items:
        question = bank.get(item.question_id)
        if question is None or item.best_score is None:
            continue
        for topic in question.topics:
            topic_scores[topic].append(item.best_score)
        if item.best_score < weak_below:
            preferred = [s for s in question.sources if s.startswith(f"{session.config.lang}/")]
            for source in preferred or question.sources:
                if source not in to_read:
                    to_read.append(source)
    per_topic = sorted(
        (TopicScore(t, round(sum(s) / len(s), 1), len(s)) for t, s in topic_scores.items()),
        key=lambda ts: (ts.average, ts.topic),
    )
    weakest = [ts.topic for ts in per_topic if ts.average < weak_below][:3]
    scores = [s for _, s in per_question if s is not None]
    average = round(sum(scores) / len(scores), 1) if scores else None
    return QuizSummary(per_question, per_topic, weakest, to_read, average)
