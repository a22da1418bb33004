"""The loaded bank: lookup, filtering and the summary the home page and `bank stats` show."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from question_bank.loader import BankLoadResult, load_bank, load_topics
from question_bank.model import LEVEL_ORDER, Kind, Level, Question


@dataclass
class QuestionBank:
    questions: list[Question]
    topics: dict[str, dict[str, str]]
    files: dict[str, Path] = field(default_factory=dict)
    load_result: BankLoadResult | None = None
    origins: dict[str, str] = field(default_factory=dict)  # id -> shipped|edited|added|hidden (question_bank.overlay)

    def __post_init__(self) -> None:
        self.questions.sort(key=lambda q: (LEVEL_ORDER[q.level], q.origin_rank or 999, q.id))
        self._by_id = {q.id: q for q in self.questions}

    @classmethod
    def load(cls, bank_dir: Path, corpus_dir: Path | None = None, *, lenient: bool = False) -> QuestionBank:
        topics = load_topics()
        result = load_bank(bank_dir, corpus_dir=corpus_dir, topics=topics, lenient=lenient)
        return cls(questions=list(result.questions), topics=topics, files=result.files, load_result=result)

    def origin(self, question_id: str) -> str:
        """Where a question comes from: "shipped" (the YAML), "edited" or "added" by a coach, or "hidden"."""
        return self.origins.get(question_id, "shipped")

    def __len__(self) -> int:
        return len(self.questions)

    def get(self, question_id: str) -> Question | None:
        return self._by_id.get(question_id)

    def filter(
        self,
        *,
        topics: list[str] | None = None,
        levels: list[Level | str] | None = None,
        kinds: list[Kind | str] | None = None,
    ) -> list[Question]:
        """Questions matching every given criterion (an empty or None criterion matches all)."""
        selected = []
        for q in self.questions:
            if topics and not set(topics) & set(q.topics):
                continue
            if levels and q.level not in {Level(x) for x in levels}:
                continue
            if kinds and q.kind not in {Kind(x) for x in kinds}:
                continue
            selected.append(q)
        return selected

    def topic_label(self, topic: str, lang: str) -> str:
        labels = self.topics.get(topic)
        return labels[lang] if labels else topic

    def stats(self) -> dict:
        """Counts by level, kind and topic; the shape `bank stats --json` prints."""
        by_level = Counter(q.level.value for q in self.questions)
        by_kind = Counter(q.kind.value for q in self.questions)
        by_topic = Counter(t for q in self.questions for t in q.topics)
        both_languages = sum(1 for q in self.questions if q.prompt.fr and q.prompt.en)
        return {
            "questions": len(self.questions),
            "by_level": {lvl.value: by_level.get(lvl.value, 0) for lvl in Level},
            "by_kind": {k.value: by_kind.get(k.value, 0) for k in Kind},
            "by_topic": dict(sorted(by_topic.items())),
            "by_language": {"fr": both_languages, "en": both_languages},
        }
