"""The canonical bank writer: round trips, one-field edits that touch one field's lines, atomic writes."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from bank_factory import make_question
from click.testing import CliRunner

from cli import cli
from coach.content import CoachContent
from coach.forms import save_form, values_from_question
from config import get_settings
from question_bank import QuestionBank
from question_bank.model import Question
from question_bank.writer import (
    atomic_write_text,
    dump_question,
    duplicate_question,
    format_bank,
    free_copy_id,
    load_question_text,
    write_question,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_BANK = PROJECT_ROOT / "question_bank" / "bank"
CORPUS = PROJECT_ROOT / "knowledge" / "corpus"
SHIPPED_FILES = sorted(SHIPPED_BANK.glob("*.yaml"))


def snapshot(bank_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(bank_dir.iterdir())}


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.name)
def test_every_shipped_file_is_canonical(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert dump_question(load_question_text(text)) == text, f"run `python cli.py bank format` ({path.name})"


def tricky_question() -> Question:
    return Question.model_validate(
        make_question(
            "tricky-texts",
            prompt={"fr": "Qu'est-ce que « RAG » : vraiment ?", "en": '- starts with a dash: "quoted" # not a comment'},
            reference_answer={
                "fr": "Première ligne   \n\n  - une liste indentée\n\tavec tabulation\n" + "mot " * 80,
                "en": "yes",
            },
            rubric=[
                {"id": "numbers", "weight": 2.5, "text": {"fr": "null", "en": "3.0"},
                 "keywords": ["429", "0,75", "a, b", "O(n²)", "[x]", "yes", "#tag"]},
                {"id": "plain", "weight": 10, "text": {"fr": "Très bien 🙂", "en": "Fine: really"}},
            ],
            follow_ups=[{"fr": "Et ensuite ?", "en": "@mention and `code`"}],
            calibration=[{"lang": "fr", "answer": "Une réponse\nsur deux lignes", "expected_score": 7}],
        )
    )


def test_round_trip_keeps_every_value_and_is_idempotent() -> None:
    question = tricky_question()
    text = dump_question(question)
    loaded = load_question_text(text)
    # The writer only drops trailing spaces, expands tabs and ends multi-line text with one newline.
    assert loaded.prompt == question.prompt
    assert loaded.rubric == question.rubric
    assert loaded.follow_ups == question.follow_ups
    assert loaded.reference_answer.en == "yes"
    expected_lines = [line.expandtabs(4).rstrip() for line in question.reference_answer.fr.splitlines()]
    assert loaded.reference_answer.fr.splitlines() == expected_lines
    assert loaded.calibration[0].answer.strip() == "Une réponse\nsur deux lignes"
    assert dump_question(loaded) == text
    assert "Première ligne\n" in text and "  fr: |\n" in text  # a block scalar, trailing spaces gone
    assert "🙂" in text and "«" in text  # unicode kept, not escaped
    assert max(len(line) for line in text.splitlines()) > 300  # long lines are not re-wrapped
    assert 'keywords: ["429", "0,75", "a, b", O(n²), "[x]", "yes", "#tag"]' in text


def test_keys_follow_the_documented_order() -> None:
    text = dump_question(tricky_question())
    top_keys = [line.split(":")[0] for line in text.splitlines() if line and not line.startswith(" ")]
    assert top_keys == ["id", "kind", "level", "topics", "prompt", "reference_answer", "rubric", "follow_ups",
                        "sources", "calibration"]  # fmt: skip
    assert "  - id: numbers\n    weight: 2.5\n    text:\n" in text


@pytest.mark.parametrize("field", ["prompt_en", "rubric_1_weight", "rubric_0_keywords"])
def test_an_edit_exported_as_yaml_differs_from_the_shipped_file_only_in_its_lines(field: str) -> None:
    """A coach commits exported questions to a bank repository of their own: `git diff` must stay readable."""
    bank = QuestionBank.load(SHIPPED_BANK, CORPUS)
    question = bank.get("rag-hybrid-retrieval-rrf") or bank.questions[0]
    before_all = snapshot(SHIPPED_BANK)
    before = (SHIPPED_BANK / f"{question.id}.yaml").read_text(encoding="utf-8")
    values = values_from_question(question)
    new_value = {"prompt_en": "How would you merge BM25 and dense results?", "rubric_1_weight": 7.0,
                 "rubric_0_keywords": "BM25; dense"}[field]  # fmt: skip
    values[field] = new_value
    content = CoachContent(get_settings().sqlalchemy_url)
    result = save_form(values, editing_id=question.id, bank=bank, content=content, corpus_dir=CORPUS)
    assert result.ok, result.problems
    after = dump_question(content.bank(bank).get(question.id))
    changes = changed_lines(before, after)
    assert len(changes) == 2, changes  # one line out, one line in
    assert changes[0].startswith("-") and changes[1].startswith("+")
    assert {"prompt_en": "  en: How would you", "rubric_1_weight": "    weight: 7",
            "rubric_0_keywords": "    keywords: [BM25, dense]"}[field] in changes[1]  # fmt: skip
    assert snapshot(SHIPPED_BANK) == before_all  # the repository's files are never written


def test_atomic_write_keeps_the_old_file_when_the_write_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "q.yaml"
    target.write_text("old content\n", encoding="utf-8")

    def failing_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new content\n")
    assert target.read_text(encoding="utf-8") == "old content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["q.yaml"]  # no temp file left behind


def test_atomic_write_replaces_content_and_never_leaves_a_yaml_temp_file(tmp_path: Path) -> None:
    written = write_question(tmp_path, tricky_question())
    assert written == tmp_path / "tricky-texts.yaml"
    assert load_question_text(written.read_text(encoding="utf-8")).id == "tricky-texts"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tricky-texts.yaml"]


def test_duplicate(tmp_path: Path) -> None:
    original = tricky_question()
    write_question(tmp_path, original)
    copy_id = free_copy_id(original.id, {original.id})
    assert copy_id == "tricky-texts-copy"
    assert free_copy_id(original.id, {original.id, copy_id}) == "tricky-texts-copy-2"
    copy = duplicate_question(original, copy_id)
    assert copy.id == copy_id and copy.prompt == original.prompt and copy.calibration == []
    assert original.calibration  # the original keeps its samples
    write_question(tmp_path, copy)
    loaded = QuestionBank.load(tmp_path, corpus_dir=None)
    assert sorted(q.id for q in loaded.questions) == ["tricky-texts", "tricky-texts-copy"]


def test_format_bank_rewrites_once_and_leaves_invalid_files_alone(tmp_path: Path) -> None:
    bank_dir = tmp_path / "bank"
    bank_dir.mkdir()
    messy = (
        "kind: technical\nid: messy-one\nlevel: basic\ntopics:\n- rag\n"
        "prompt: {en: 'What is RAG?', fr: \"Qu'est-ce ?\"}\n"
        "reference_answer:\n  fr: Une réponse.\n  en: An answer.\n"
        "rubric:\n- {id: point, weight: 2.0, text: {fr: Un, en: One}}\n"
        "calibration: []\n"
    )
    (bank_dir / "messy-one.yaml").write_text(messy, encoding="utf-8")
    broken = "id: broken\nkind: technical\n"
    (bank_dir / "broken.yaml").write_text(broken, encoding="utf-8")
    first = format_bank(bank_dir)
    assert first.changed == ["messy-one.yaml"]
    assert [p.file for p in first.problems] == ["broken.yaml"] * len(first.problems) and first.problems
    text = (bank_dir / "messy-one.yaml").read_text(encoding="utf-8")
    assert text.startswith("id: messy-one\nkind: technical\nlevel: basic\ntopics: [rag]\nprompt:\n  fr: Qu'est-ce ?\n")
    assert "weight: 2\n" in text and "calibration" not in text
    second = format_bank(bank_dir)
    assert second.changed == [] and second.unchanged == ["messy-one.yaml"]
    assert (bank_dir / "broken.yaml").read_text(encoding="utf-8") == broken


def test_bank_format_cli_check_and_rewrite(tmp_path: Path) -> None:
    bank_dir = tmp_path / "bank"
    bank_dir.mkdir()
    question = tricky_question()
    (bank_dir / "tricky-texts.yaml").write_text(dump_question(question).replace("topics: [rag]", "topics:\n- rag"))
    runner = CliRunner()
    check = runner.invoke(cli, ["bank", "format", "--check", str(bank_dir)], catch_exceptions=False)
    assert check.exit_code == 1 and "would rewrite 1 file(s)" in check.output
    run = runner.invoke(cli, ["bank", "format", str(bank_dir)], catch_exceptions=False)
    assert run.exit_code == 0 and "rewrote 1 file(s)" in run.output
    again = runner.invoke(cli, ["bank", "format", "--check", str(bank_dir)], catch_exceptions=False)
    assert again.exit_code == 0 and "would rewrite 0 file(s), 1 already canonical" in again.output
    assert (bank_dir / "tricky-texts.yaml").read_text(encoding="utf-8") == dump_question(question)
