"""The shipped bank and corpus: complete, bilingual, consistent, and written in our own words."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from config import PROJECT_ROOT
from question_bank import Kind, QuestionBank, load_topics

CORPUS = PROJECT_ROOT / "knowledge" / "corpus"
BANK_DIR = PROJECT_ROOT / "question_bank" / "bank"
SEED_TOOL = PROJECT_ROOT.parent / "shared" / "tools" / "seed_overlap.py"
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return QuestionBank.load(BANK_DIR, CORPUS)  # strict: raises on any problem


def corpus_docs() -> list[Path]:
    return sorted(CORPUS.glob("*/*.md"))


def test_shipped_bank_loads_clean(bank: QuestionBank) -> None:
    assert bank.load_result is not None and bank.load_result.ok
    assert len(bank) >= 70


def test_every_question_has_both_languages_everywhere(bank: QuestionBank) -> None:
    for q in bank.questions:
        texts = [q.prompt, q.reference_answer, *(r.text for r in q.rubric), *q.follow_ups]
        for text in texts:
            assert text.fr.strip() and text.en.strip(), q.id
        assert q.prompt.fr != q.prompt.en, f"{q.id}: the French prompt is the English one"


def test_all_thirty_article_questions_are_in_order(bank: QuestionBank) -> None:
    ranked = sorted(
        (q for q in bank.questions if q.origin == "agentic-ai-interview-2026"), key=lambda q: q.origin_rank or 0
    )
    assert [q.origin_rank for q in ranked] == list(range(1, 31))
    behavioral = [q for q in ranked if q.kind == Kind.behavioral]
    assert len(behavioral) >= 8  # experience, motivation, sources... get quality rubrics


def test_at_least_forty_more_technical_questions_over_three_levels(bank: QuestionBank) -> None:
    extra = [q for q in bank.questions if q.origin is None and q.kind == Kind.technical]
    assert len(extra) >= 40
    assert {q.level.value for q in extra} == {"basic", "intermediate", "advanced"}


def test_every_question_cites_existing_documents(bank: QuestionBank) -> None:
    for q in bank.questions:
        assert q.sources, f"{q.id} lists no source document"
        for source in q.sources:
            assert (CORPUS / source).is_file(), f"{q.id}: {source}"


def test_corpus_is_large_bilingual_and_has_front_matter() -> None:
    topics = load_topics()
    docs = corpus_docs()
    total = 0
    slugs: dict[str, set[str]] = {}
    for doc in docs:
        text = doc.read_text(encoding="utf-8")
        match = FRONT_MATTER.match(text)
        assert match, f"{doc.name} has no front matter"
        meta = yaml.safe_load(match.group(1))
        assert meta["title"] and meta["language"] == doc.parent.name, doc
        assert meta["topics"] and set(meta["topics"]) <= set(topics), doc
        assert re.search(r"^## ", text, re.MULTILINE), f"{doc} has no section headings"
        total += len(text)
        slugs.setdefault(doc.stem, set()).add(doc.parent.name)
    assert total >= 60_000
    assert all(langs == {"fr", "en"} for langs in slugs.values()), slugs


def test_every_topic_of_the_bank_is_covered_by_the_corpus(bank: QuestionBank) -> None:
    covered = set()
    for doc in corpus_docs():
        meta = yaml.safe_load(FRONT_MATTER.match(doc.read_text(encoding="utf-8")).group(1))
        covered |= set(meta["topics"])
    asked = {t for q in bank.questions for t in q.topics}
    assert asked <= covered


@pytest.mark.skipif(not SEED_TOOL.is_file(), reason="the shared seed tool is not beside this checkout")
def test_no_sentence_is_copied_from_the_seed_articles() -> None:
    result = subprocess.run(
        [sys.executable, str(SEED_TOOL), str(PROJECT_ROOT)], capture_output=True, text=True, timeout=120
    )
    assert result.stdout == "", result.stdout
