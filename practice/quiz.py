"""A quiz: which questions to ask, where the candidate is, and the summary at the end.

Plain data and functions, no Streamlit, so the flow is tested directly and the page only renders.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from evaluators.grade import Grade
from question_bank import Question, QuestionBank
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


@dataclass
class QuizItem:
    question_id: str
    attempt_ids: list[int] = field(default_factory=list)
    grades: list[Grade] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)

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

    @property
    def finished(self) -> bool:
        return self.position >= len(self.items)

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
) -> QuizSession:
    questions = pick_questions(bank, scheduler, profile, config, rng)
    return QuizSession(profile=profile, config=config, items=[QuizItem(q.id) for q in questions])


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
