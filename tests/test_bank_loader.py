"""The loader reports every problem at once, each with its file and question id."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import pytest
from bank_factory import make_question, write_bank

from question_bank import BankValidationError, QuestionBank, load_bank
from question_bank.loader import load_topics

TOPICS = load_topics()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "fr").mkdir(parents=True)
    (root / "fr" / "doc.md").write_text("---\ntitle: Doc\nlanguage: fr\ntopics: [rag]\n---\n# Doc\n", encoding="utf-8")
    return root


def problems_of(bank: Path, corpus: Path) -> list[str]:
    result = load_bank(bank, corpus_dir=corpus, topics=TOPICS, lenient=True)
    return [str(p) for p in result.problems]


def test_valid_bank_loads(tmp_path: Path, corpus: Path) -> None:
    bank = write_bank(tmp_path, {"rag-basics.yaml": make_question(), "rag-more.yaml": make_question("rag-more")})
    result = load_bank(bank, corpus_dir=corpus, topics=TOPICS)
    assert [q.id for q in result.questions] == ["rag-basics", "rag-more"]
    assert result.ok
    assert result.questions[0].total_weight == 3


def test_every_error_kind_is_reported_at_once_with_file_and_id(tmp_path: Path, corpus: Path) -> None:
    no_english = make_question("no-english")
    del no_english["prompt"]["en"]
    empty_rubric = make_question("empty-rubric", rubric=[])
    bad_weight = make_question("bad-weight")
    bad_weight["rubric"][0]["weight"] = -1
    huge_weight = make_question("huge-weight")
    huge_weight["rubric"][1]["weight"] = 50
    bank = write_bank(
        tmp_path,
        {
            "rag-basics.yaml": make_question(),
            "zz-duplicate.yaml": make_question("rag-basics"),
            "no-english.yaml": no_english,
            "empty-rubric.yaml": empty_rubric,
            "bad-weight.yaml": bad_weight,
            "huge-weight.yaml": huge_weight,
            "unknown-topic.yaml": make_question("unknown-topic", topics=["astrology"]),
            "missing-source.yaml": make_question("missing-source", sources=["fr/nowhere.md"]),
        },
    )
    with pytest.raises(BankValidationError) as excinfo:
        load_bank(bank, corpus_dir=corpus, topics=TOPICS)
    messages = [str(p) for p in excinfo.value.problems]
    joined = "\n".join(messages)
    assert "bank/no-english.yaml [no-english]: prompt.en: missing English text" in joined
    assert "bank/empty-rubric.yaml [empty-rubric]" in joined and "rubric is empty" in joined
    assert "bank/bad-weight.yaml [bad-weight]: rubric.0.weight" in joined
    assert "bank/huge-weight.yaml [huge-weight]: rubric.1.weight" in joined
    assert "bank/unknown-topic.yaml [unknown-topic]: unknown topic 'astrology'" in joined
    assert "bank/missing-source.yaml [missing-source]: source 'fr/nowhere.md' does not exist" in joined
    assert "bank/zz-duplicate.yaml [rag-basics]: duplicate id: also defined in bank/rag-basics.yaml" in joined
    assert "does not match the file name" in joined  # zz-duplicate.yaml holds id rag-basics
    assert len({m.split(":")[0] for m in messages}) == 7  # seven bad files, every one named


def test_lenient_keeps_good_files_and_lists_skipped(tmp_path: Path, corpus: Path) -> None:
    bank = write_bank(
        tmp_path,
        {"rag-basics.yaml": make_question(), "broken.yaml": "id: broken\nkind: [unclosed\n"},
    )
    result = load_bank(bank, corpus_dir=corpus, topics=TOPICS, lenient=True)
    assert [q.id for q in result.questions] == ["rag-basics"]
    assert result.skipped_files == ["bank/broken.yaml"]
    assert "malformed YAML at line" in str(result.problems[0])


def test_yaml_bomb_and_aliases_are_refused(tmp_path: Path, corpus: Path) -> None:
    bomb = (
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: [*b, *b, *b, *b, *b, *b]\n"
    )
    bank = write_bank(tmp_path, {"bomb.yaml": bomb})
    messages = problems_of(bank, corpus)
    assert messages == [
        "bank/bomb.yaml: malformed YAML at line 2, column 8: anchors and aliases (&name / *name) are not allowed"
    ]


def test_markdown_emphasis_is_not_mistaken_for_an_alias(tmp_path: Path, corpus: Path) -> None:
    question = make_question()
    question["reference_answer"]["en"] = "Use *hybrid* retrieval & **reranking**."
    bank = write_bank(tmp_path, {"rag-basics.yaml": question})
    assert problems_of(bank, corpus) == []


def test_wrong_types_unknown_fields_and_bad_utf8(tmp_path: Path, corpus: Path) -> None:
    typo = make_question("typo")
    typo["refrence_answer"] = typo.pop("reference_answer")
    bank = write_bank(
        tmp_path,
        {
            "typo.yaml": typo,
            "bad-level.yaml": make_question("bad-level", level="expert"),
            "not-a-mapping.yaml": "- just\n- a list\n",
        },
    )
    (bank / "latin1.yaml").write_bytes("id: caf\xe9\n".encode("latin-1"))
    joined = "\n".join(problems_of(bank, corpus))
    assert "[typo]: refrence_answer: unknown field (typo?)" in joined
    assert "[typo]: reference_answer: required field is missing" in joined
    assert "[bad-level]: level:" in joined
    assert "bank/not-a-mapping.yaml: expected a mapping" in joined
    assert "bank/latin1.yaml: not valid UTF-8" in joined


def test_origin_rank_must_be_unique_within_origin(tmp_path: Path, corpus: Path) -> None:
    bank = write_bank(
        tmp_path,
        {
            "first.yaml": make_question("first", origin="seed", origin_rank=3),
            "second.yaml": make_question("second", origin="seed", origin_rank=3),
            "orphan.yaml": make_question("orphan", origin_rank=4),
        },
    )
    joined = "\n".join(problems_of(bank, corpus))
    assert "[second]: origin_rank 3 of 'seed' is also used by first" in joined
    assert "[orphan]: origin_rank is set without an origin" in joined


def test_source_outside_corpus_is_refused(tmp_path: Path, corpus: Path) -> None:
    (tmp_path / "secret.md").write_text("x", encoding="utf-8")
    bank = write_bank(tmp_path, {"rag-basics.yaml": make_question(sources=["../secret.md"])})
    assert "source '../secret.md' does not exist" in "\n".join(problems_of(bank, corpus))


def test_bank_filter_and_stats(tmp_path: Path, corpus: Path) -> None:
    behavioral = make_question("career-story", kind="behavioral", level="advanced", topics=["career"])
    bank_dir = write_bank(tmp_path, {"rag-basics.yaml": make_question(), "career-story.yaml": behavioral})
    bank = QuestionBank.load(bank_dir, corpus)
    assert [q.id for q in bank.filter(kinds=["behavioral"])] == ["career-story"]
    assert [q.id for q in bank.filter(topics=["rag"], levels=["basic"])] == ["rag-basics"]
    assert bank.filter(topics=["rag"], levels=["advanced"]) == []
    stats = bank.stats()
    assert stats["questions"] == 2
    assert stats["by_level"] == {"basic": 1, "intermediate": 0, "advanced": 1}
    assert stats["by_kind"] == {"technical": 1, "behavioral": 1}
    assert stats["by_topic"] == {"career": 1, "rag": 1}


def test_loading_a_large_bank_is_fast(tmp_path: Path, corpus: Path) -> None:
    """Not a timing assertion (that lives in bench/): loads 300 files and checks they all arrive."""
    files = {}
    for i in range(300):
        q = copy.deepcopy(make_question(f"q-{i:03d}"))
        files[f"q-{i:03d}.yaml"] = q
    bank = write_bank(tmp_path, files)
    started = time.perf_counter()
    result = load_bank(bank, corpus_dir=corpus, topics=TOPICS)
    assert len(result.questions) == 300
    assert time.perf_counter() - started < 30  # a hang guard, not a benchmark


def test_numeric_keywords_are_read_as_text(tmp_path: Path, corpus: Path) -> None:
    question = make_question()
    question["rubric"][0]["keywords"] = [429, "backoff", 2.5]
    bank = write_bank(tmp_path, {"rag-basics.yaml": question})
    [loaded] = load_bank(bank, corpus_dir=corpus, topics=TOPICS).questions
    assert loaded.rubric[0].keywords == ["429", "backoff", "2.5"]
