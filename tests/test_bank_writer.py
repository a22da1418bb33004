"""The canonical bank writer: round trips, one-field edits that touch one field's lines, atomic writes."""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest
from bank_factory import make_question
from click.testing import CliRunner

from cli import cli
from coach.calibration import save_samples
from coach.forms import save_form, values_from_question
from config import get_settings
from question_bank import QuestionBank, load_topics
from question_bank.model import CalibrationSample, Question
from question_bank.writer import (
    atomic_write_text,
    delete_question,
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


@pytest.fixture
def bank_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped bank that tests may write (AGENTPREP_BANK_DIR points at it)."""
    bank_dir = tmp_path / "bank"
    shutil.copytree(SHIPPED_BANK, bank_dir)
    monkeypatch.setenv("AGENTPREP_BANK_DIR", str(bank_dir))
    get_settings.cache_clear()
    return bank_dir


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
def test_editing_one_field_changes_only_its_lines_and_no_other_file(bank_copy: Path, field: str) -> None:
    format_bank(bank_copy)  # canonical already if the shipped-files test passes; keeps this test about edits
    bank = QuestionBank.load(bank_copy, CORPUS)
    question = bank.get("rag-hybrid-retrieval-rrf") or bank.questions[0]
    path = bank_copy / f"{question.id}.yaml"
    before_all, before = snapshot(bank_copy), path.read_text(encoding="utf-8")
    values = values_from_question(question)
    new_value = {"prompt_en": "How would you merge BM25 and dense results?", "rubric_1_weight": 7.0,
                 "rubric_0_keywords": "BM25; dense"}[field]  # fmt: skip
    values[field] = new_value
    result = save_form(values, editing_id=question.id, bank_dir=bank_copy, topics=bank.topics, corpus_dir=CORPUS,
                       calibration=question.calibration)  # fmt: skip
    assert result.ok, result.problems
    after = path.read_text(encoding="utf-8")
    changes = changed_lines(before, after)
    assert len(changes) == 2, changes  # one line out, one line in
    assert changes[0].startswith("-") and changes[1].startswith("+")
    assert {"prompt_en": "  en: How would you", "rubric_1_weight": "    weight: 7",
            "rubric_0_keywords": "    keywords: [BM25, dense]"}[field] in changes[1]  # fmt: skip
    after_all = snapshot(bank_copy)
    assert {name for name in after_all if after_all[name] != before_all.get(name)} == {path.name}


def test_saving_calibration_samples_only_adds_lines_at_the_end(bank_copy: Path) -> None:
    format_bank(bank_copy)
    question = next(q for q in QuestionBank.load(bank_copy, CORPUS).questions if not q.calibration)
    path = bank_copy / f"{question.id}.yaml"
    before = path.read_text(encoding="utf-8")
    sample = CalibrationSample(lang="en", answer="A short but right answer.", expected_score=6)
    save_samples(question, [sample], bank_copy)
    after = path.read_text(encoding="utf-8")
    assert after.startswith(before)
    assert after[len(before) :].startswith("calibration:\n  - lang: en\n")
    assert load_question_text(after).calibration == [*question.calibration, sample]


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


def test_duplicate_and_delete(tmp_path: Path) -> None:
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
    delete_question(tmp_path, copy_id)
    assert not (tmp_path / f"{copy_id}.yaml").exists()
    with pytest.raises(FileNotFoundError, match=r"tricky-texts-copy\.yaml"):
        delete_question(tmp_path, copy_id)


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


def test_form_with_problems_reports_each_by_field_and_writes_nothing(bank_copy: Path) -> None:
    before = snapshot(bank_copy)
    values = values_from_question(QuestionBank.load(bank_copy, CORPUS).questions[0])
    values.update({"id": "Bad Id!", "prompt_en": "   ", "rubric_0_weight": 0.0, "topics": ["rag", "astrology"],
                   "sources": ["fr/nowhere.md"], "origin_rank": "first"})  # fmt: skip
    result = save_form(values, editing_id=None, bank_dir=bank_copy, topics=load_topics(), corpus_dir=CORPUS)
    assert not result.ok and result.path is None
    assert set(result.problems) >= {"id", "prompt_en", "rubric_0_weight", "origin_rank"}
    assert "is empty" in result.problems["prompt_en"][0]
    assert snapshot(bank_copy) == before
    # With the model-level errors fixed, the references are checked too, still writing nothing.
    values.update({"id": "fresh-question", "prompt_en": "Fine?", "rubric_0_weight": 2.0, "origin_rank": ""})
    result = save_form(values, editing_id=None, bank_dir=bank_copy, topics=load_topics(), corpus_dir=CORPUS)
    assert set(result.problems) == {"topics", "sources"}
    assert "astrology" in result.problems["topics"][0] and "fr/nowhere.md" in result.problems["sources"][0]
    assert snapshot(bank_copy) == before


def test_form_refuses_an_existing_id_for_a_new_question_and_a_changed_id_on_edit(bank_copy: Path) -> None:
    question = QuestionBank.load(bank_copy, CORPUS).questions[0]
    values = values_from_question(question)
    as_new = save_form(values, editing_id=None, bank_dir=bank_copy, topics=load_topics(), corpus_dir=CORPUS)
    assert "already exists" in as_new.problems["id"][0]
    values["id"] = "renamed-question"
    renamed = save_form(values, editing_id=question.id, bank_dir=bank_copy, topics=load_topics(), corpus_dir=CORPUS)
    assert "cannot change" in renamed.problems["id"][0]
    assert not (bank_copy / "renamed-question.yaml").exists()
