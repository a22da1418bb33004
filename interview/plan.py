"""Who is interviewing for what: the level and focus chosen at the start, and the questions they imply.

A focus is a set of bank topics (a RAG interview asks about RAG, embeddings and their evaluation);
a level is a set of bank levels, hardest first for senior roles. Questions the candidate has never
seen come first, then those whose review is due, so an interview also serves spaced repetition.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from core.i18n import catalogue, say
from question_bank import Question, QuestionBank
from question_bank.model import Kind
from storage.scheduling import ReviewScheduler

MAX_QUESTIONS = 10
MAX_FOLLOW_UPS = 2

LEVELS: dict[str, tuple[str, ...]] = {
    "junior": ("basic", "intermediate"),
    "confirmed": ("intermediate", "basic", "advanced"),
    "senior": ("advanced", "intermediate"),
}
"""Bank levels per interview level, in order of preference."""

FOCUSES: dict[str, tuple[str, ...]] = {
    "ai-engineer": ("llm-fundamentals", "prompt-engineering", "rag", "agents", "models", "production"),
    "agentic-systems": ("agents", "evaluation", "prompt-engineering", "production", "ethics-safety"),
    "rag": ("rag", "embeddings", "evaluation"),
    "llm-fundamentals": ("llm-fundamentals", "models", "fine-tuning"),
    "production": ("production", "evaluation", "ethics-safety"),
}
"""Bank topics per interview focus."""

def label(key: str, lang: str) -> str:
    """A level or focus in words (core/strings/interview.yaml, `label_<key>`); the key itself if unknown."""
    return say(f"label_{key}", lang) if f"label_{key}" in catalogue() else key


@dataclass(frozen=True)
class InterviewConfig:
    level: str = "junior"
    focus: str = "ai-engineer"
    lang: str = "fr"
    question_count: int = 3
    max_follow_ups: int = MAX_FOLLOW_UPS
    include_behavioral: bool = True

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"unknown interview level {self.level!r} (known: {', '.join(LEVELS)})")
        if self.focus not in FOCUSES:
            raise ValueError(f"unknown interview focus {self.focus!r} (known: {', '.join(FOCUSES)})")
        if self.lang not in ("fr", "en"):
            raise ValueError(f"interview language must be 'fr' or 'en', not {self.lang!r}")
        if not 1 <= self.question_count <= MAX_QUESTIONS:
            raise ValueError(f"question_count={self.question_count} must be between 1 and {MAX_QUESTIONS}")
        if not 0 <= self.max_follow_ups <= MAX_FOLLOW_UPS:
            raise ValueError(f"max_follow_ups={self.max_follow_ups} must be between 0 and {MAX_FOLLOW_UPS}")


def pick_questions(
    bank: QuestionBank,
    scheduler: ReviewScheduler,
    profile: str,
    config: InterviewConfig,
    rng: random.Random | None = None,
) -> list[Question]:
    """Technical questions of the focus at the level's preferred bank levels; unseen, then due, then the rest.

    With `include_behavioral`, an interview of three questions or more opens with one behavioral
    question, as real interviews do; the bank has few, so they are drawn from any level.
    """
    rng = rng or random.Random()  # noqa: S311 - shuffling questions, not cryptography
    topics = list(FOCUSES[config.focus])
    seen = {card.question_id for card in scheduler.all_cards(profile)}
    due = {card.question_id for card in scheduler.due(profile)}

    def freshness(question: Question) -> int:
        return 0 if question.id not in seen else (1 if question.id in due else 2)

    technical: list[Question] = []
    for level in LEVELS[config.level]:
        pool = bank.filter(topics=topics, levels=[level], kinds=[Kind.technical])
        rng.shuffle(pool)
        technical += pool
    technical.sort(key=freshness)  # stable: keeps the level preference within each freshness group
    chosen: list[Question] = []
    if config.include_behavioral and config.question_count >= 3:
        behavioral = bank.filter(kinds=[Kind.behavioral])
        rng.shuffle(behavioral)
        behavioral.sort(key=freshness)
        chosen += behavioral[:1]
    for question in technical:
        if len(chosen) >= config.question_count:
            break
        if question not in chosen:
            chosen.append(question)
    return chosen
