"""Build small, valid question banks for tests."""

from __future__ import annotations

from pathlib import Path

import yaml

from question_bank import Question, QuestionBank
from question_bank.loader import load_topics


def make_question(qid: str = "rag-basics", **overrides) -> dict:
    question = {
        "id": qid,
        "kind": "technical",
        "level": "basic",
        "topics": ["rag"],
        "prompt": {"fr": "Qu'est-ce que le RAG ?", "en": "What is RAG?"},
        "reference_answer": {"fr": "Une recherche puis une génération.", "en": "Retrieval then generation."},
        "rubric": [
            {"id": "retrieval", "weight": 2, "text": {"fr": "Recherche des passages.", "en": "Retrieves passages."}},
            {"id": "grounding", "weight": 1, "text": {"fr": "Ancre la réponse.", "en": "Grounds the answer."}},
        ],
        "sources": ["fr/doc.md"],
    }
    question.update(overrides)
    return question


def write_bank(root: Path, questions: dict[str, object]) -> Path:
    bank = root / "bank"
    bank.mkdir(exist_ok=True)
    for name, content in questions.items():
        text = content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True, sort_keys=False)
        (bank / name).write_text(text, encoding="utf-8")
    return bank


def bank_of(*questions: dict) -> QuestionBank:
    """An in-memory bank of the given question dicts (no files)."""
    return QuestionBank(questions=[Question.model_validate(q) for q in questions], topics=load_topics())
