"""Adaptive quizzes: the next question's level follows the candidate's recent scores on its topic.

Plain functions, no Streamlit. The decision reads the attempt store rather than the quiz in memory:
the quiz's own answers are saved there before grading and completed after, so they count as soon as
they are graded, together with what the candidate answered before this quiz.

Choices made here:
- The quiz's levels filter is the ladder. "Up" goes to the next *selected* level, so a candidate who
  picked basic and intermediate never gets an advanced question; no filter means all three levels.
- Topics, kinds and "due only" restrict the pool exactly as in a normal quiz.
- Each pick says why it was made (`AdaptivePick.reason`), so a harder question reads as progress and
  an easier one as a step back to firm ground, not as noise.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from core.i18n import number
from question_bank import Question, QuestionBank
from question_bank.model import LEVEL_ORDER, Level
from storage.attempts import AttemptFilter, AttemptStore
from storage.scheduling import ReviewScheduler

if TYPE_CHECKING:
    from practice.quiz import QuizConfig

RECENT_WINDOW = 3  # how many graded answers on the topic the decision looks at, newest first
MOVE_UP_AT = 7.5  # mean score at or above which the next question is one level harder
MOVE_DOWN_BELOW = 5.0  # mean score below which the next question is one level easier
START_LEVEL = Level.intermediate  # where a topic without graded answers starts

Direction = Literal["up", "down", "same", "start"]

LEVEL_WORDS: dict[str, dict[Level, str]] = {
    "en": {Level.basic: "basic", Level.intermediate: "intermediate", Level.advanced: "advanced"},
    "fr": {Level.basic: "débutant", Level.intermediate: "intermédiaire", Level.advanced: "avancé"},
}
REASONS: dict[str, dict[str, str]] = {
    "en": {
        "lead_one": "Your last answer on {topic} scored {average}/10",
        "lead_many": "Your last {n} answers on {topic} averaged {average}/10",
        "up": "{lead}: moving up to {level}.",
        "down": "{lead}: moving down to {level}.",
        "same": "{lead}: staying at {level}.",
        "top": "{lead}: staying at {level}, the highest level.",
        "bottom": "{lead}: staying at {level}, the easiest level.",
        "start": "No graded answer on {topic} yet: starting at {level}.",
        "fallback": " No {target} question is left, so this one is {level}.",
    },
    "fr": {
        "lead_one": "Votre dernière réponse sur {topic} a obtenu {average}/10",
        "lead_many": "Vos {n} dernières réponses sur {topic} ont une moyenne de {average}/10",
        "up": "{lead} : on passe au niveau {level}.",
        "down": "{lead} : on redescend au niveau {level}.",
        "same": "{lead} : on reste au niveau {level}.",
        "top": "{lead} : on reste au niveau {level}, le plus élevé.",
        "bottom": "{lead} : on reste au niveau {level}, le plus simple.",
        "start": "Pas encore de réponse notée sur {topic} : on commence au niveau {level}.",
        "fallback": " Il ne reste plus de question de niveau {target} : celle-ci est de niveau {level}.",
    },
}


@dataclass(frozen=True)
class AdaptivePick:
    """The next question of an adaptive quiz and the evidence behind its level."""

    question_id: str
    level: Level  # the level of the question picked
    target_level: Level  # the level the scores called for; differs only when none was left there
    direction: Direction
    topic: str  # the topic whose scores decided the level
    recent_scores: tuple[float, ...]  # newest first

    @property
    def average(self) -> float | None:
        return sum(self.recent_scores) / len(self.recent_scores) if self.recent_scores else None

    def reason(self, lang: str, topic_label: Callable[[str, str], str] | None = None) -> str:
        """Why this level, in plain words; `topic_label(topic, lang)` (e.g. `bank.topic_label`) names the topic."""
        lang = lang if lang in REASONS else "en"
        words, levels = REASONS[lang], LEVEL_WORDS[lang]
        topic = topic_label(self.topic, lang) if topic_label else self.topic
        level = levels[self.target_level]
        if self.average is None:
            text = words["start"].format(topic=topic, level=level)
        else:
            average = number(self.average, lang)
            lead_key = "lead_one" if len(self.recent_scores) == 1 else "lead_many"
            lead = words[lead_key].format(n=len(self.recent_scores), topic=topic, average=average)
            key: str = self.direction
            if key == "same" and self.average >= MOVE_UP_AT:
                key = "top"
            elif key == "same" and self.average < MOVE_DOWN_BELOW:
                key = "bottom"
            text = words[key].format(lead=lead, level=level)
        if self.level != self.target_level:
            text += words["fallback"].format(target=level, level=levels[self.level])
        return text


def level_ladder(levels: Sequence[str]) -> list[Level]:
    """The levels an adaptive quiz moves between, easiest first: the selected ones, or all."""
    chosen = {Level(x) for x in levels} or set(Level)
    return sorted(chosen, key=LEVEL_ORDER.__getitem__)


def nearest_on_ladder(level: Level, ladder: Sequence[Level]) -> Level:
    """The ladder level closest to `level`; on a tie the easier one, a gentler guess."""
    return min(ladder, key=lambda x: (abs(LEVEL_ORDER[x] - LEVEL_ORDER[level]), LEVEL_ORDER[x]))


def decide_level(
    recent_scores: Sequence[float], current: Level | None, ladder: Sequence[Level]
) -> tuple[Level, Direction]:
    """One step up after strong answers, one down after weak ones, from the topic's current level.

    `current` is the level last asked on the topic in this quiz; before any, the start level.
    """
    start = nearest_on_ladder(START_LEVEL, ladder)
    if not recent_scores:
        return start, "start"
    here = ladder.index(nearest_on_ladder(current, ladder)) if current is not None else ladder.index(start)
    average = sum(recent_scores) / len(recent_scores)
    if average >= MOVE_UP_AT and here + 1 < len(ladder):
        return ladder[here + 1], "up"
    if average < MOVE_DOWN_BELOW and here > 0:
        return ladder[here - 1], "down"
    return ladder[here], "same"


def recent_topic_scores(
    store: AttemptStore, bank: QuestionBank, profile: str, topic: str, window: int = RECENT_WINDOW
) -> tuple[float, ...]:
    """The profile's latest graded scores on questions of `topic`, newest first, any mode."""
    question_ids = tuple(q.id for q in bank.filter(topics=[topic]))
    if not question_ids:
        return ()
    graded = store.list(profile, AttemptFilter(question_ids=question_ids, status="graded"), limit=window)
    return tuple(float(a.score) for a in graded if a.score is not None)


def primary_topic(question: Question, quiz_topics: Sequence[str]) -> str:
    """The topic a question stands for in this quiz: its first one the candidate selected."""
    return next((t for t in question.topics if t in quiz_topics), question.topics[0])


def adaptive_pool(
    bank: QuestionBank, scheduler: ReviewScheduler, profile: str, config: QuizConfig, asked: Sequence[str]
) -> list[Question]:
    """Questions the quiz may still ask: its filters (levels included), due cards if asked, no repeats."""
    pool = bank.filter(topics=list(config.topics), levels=list(config.levels), kinds=list(config.kinds))
    if config.due_only:
        due = {c.question_id for c in scheduler.due(profile)}
        pool = [q for q in pool if q.id in due]
    already = set(asked)
    return [q for q in pool if q.id not in already]


def pick_next_question(
    bank: QuestionBank,
    store: AttemptStore,
    scheduler: ReviewScheduler,
    profile: str,
    config: QuizConfig,
    asked: Sequence[str],
    rng: random.Random | None = None,
) -> AdaptivePick | None:
    """The next question after `asked` (question ids in the order shown), or None when none is left.

    Stays on the topic of the last question asked while it has questions left, else draws another
    topic; the level comes from `decide_level`, the nearest level when none is left at it; unseen
    questions (no attempt, no review card) come before seen ones.
    """
    rng = rng or random.Random()  # noqa: S311 - shuffling questions, not cryptography
    pool = adaptive_pool(bank, scheduler, profile, config, asked)
    if not pool:
        return None
    asked_questions = [q for q in (bank.get(qid) for qid in asked) if q is not None]
    topic = _next_topic(pool, asked_questions, config.topics, rng)
    on_topic = [q for q in pool if topic in q.topics]
    scores = recent_topic_scores(store, bank, profile, topic)
    current = next((q.level for q in reversed(asked_questions) if topic in q.topics), None)
    ladder = level_ladder(config.levels)
    target, direction = decide_level(scores, current, ladder)
    toward = 1 if direction == "up" else -1  # on a tie, keep going the way the scores point
    level = min(
        {q.level for q in on_topic},
        key=lambda x: (abs(LEVEL_ORDER[x] - LEVEL_ORDER[target]), -toward * LEVEL_ORDER[x]),
    )
    seen = {c.question_id for c in scheduler.all_cards(profile)} | {a.question_id for a in store.list(profile)}
    candidates = [q for q in on_topic if q.level == level]
    unseen = [q for q in candidates if q.id not in seen]
    question = rng.choice(unseen or candidates)
    return AdaptivePick(question.id, level, target, direction, topic, scores)


def _next_topic(
    pool: Sequence[Question], asked: Sequence[Question], quiz_topics: Sequence[str], rng: random.Random
) -> str:
    """The last question's topic while the pool still has some; otherwise a random topic of the pool."""
    if asked:
        last = primary_topic(asked[-1], quiz_topics)
        if any(last in q.topics for q in pool):
            return last
    choices = sorted({primary_topic(q, quiz_topics) for q in pool})
    return rng.choice(choices)
