"""Import and export of questions as YAML and CSV, through the library and the CLI."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
import yaml
from bank_factory import make_question
from click.testing import CliRunner

from cli import cli
from coach.content import CoachContent
from coach.content import load_bank as bank_with_coach_content
from config import get_settings
from question_bank import QuestionBank, load_topics
from question_bank.model import CalibrationSample, Question
from question_bank.transfer import (
    COLUMNS,
    ImportRefused,
    apply_import,
    bank_claims,
    export_csv,
    export_yaml,
    read_import,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_BANK = PROJECT_ROOT / "question_bank" / "bank"
CORPUS = PROJECT_ROOT / "knowledge" / "corpus"
TOPICS = load_topics()


@pytest.fixture(scope="module")
def shipped() -> QuestionBank:
    return QuestionBank.load(SHIPPED_BANK, CORPUS, lenient=True)


@pytest.fixture
def bank_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty shipped bank for the CLI (AGENTPREP_BANK_DIR); imports go to the test's database."""
    path = tmp_path / "bank"
    path.mkdir()
    monkeypatch.setenv("AGENTPREP_BANK_DIR", str(path))
    get_settings.cache_clear()
    return path


@pytest.fixture
def content() -> CoachContent:
    return CoachContent(get_settings().sqlalchemy_url)


def empty_bank() -> QuestionBank:
    return QuestionBank([], TOPICS)


def imported() -> QuestionBank:
    return bank_with_coach_content(get_settings())


def plan_for(text: str, fmt: str, existing: set[str] | None = None, replace: bool = False):  # type: ignore[no-untyped-def]
    return read_import(text, fmt, existing_ids=existing or set(), topics=TOPICS, corpus_dir=CORPUS, replace=replace)


def tricky() -> Question:
    return Question.model_validate(
        make_question(
            "tricky-cells",
            prompt={"fr": "=SOMME(A1) n'est pas une formule", "en": "-starts with a dash | has a pipe; and semicolon"},
            reference_answer={"fr": "Ligne 1\n\nLigne 3 avec \\ antislash", "en": "'=already quoted"},
            rubric=[
                {"id": "pipes", "weight": 2.5, "text": {"fr": "a | b ; c", "en": "line one\nline two"},
                 "keywords": ["0,75", "a;b", "x|y", "back\\slash"]},
                {"id": "plain", "weight": 1, "text": {"fr": "Simple.", "en": "Simple."}},
            ],
            follow_ups=[{"fr": "Et | ensuite ?", "en": "And then?"}],
            sources=["fr/rag-pipeline.md", "en/rag-pipeline.md"],
            origin="somewhere",
            origin_rank=3,
            calibration=[{"lang": "en", "answer": "Two\nlines | with a pipe", "expected_score": 6.5}],
        )
    )


@pytest.mark.parametrize("fmt", ["csv", "yaml"])
def test_whole_bank_round_trips(shipped: QuestionBank, fmt: str) -> None:
    text = export_csv(shipped.questions) if fmt == "csv" else export_yaml(shipped.questions)
    plan = plan_for(text, fmt)
    assert plan.file_error is None and plan.problems == []
    assert [q for _, q in plan.questions] == shipped.questions


@pytest.mark.parametrize("fmt", ["csv", "yaml"])
def test_special_characters_round_trip(fmt: str) -> None:
    question = tricky()
    text = export_csv([question]) if fmt == "csv" else export_yaml([question])
    plan = plan_for(text, fmt)
    assert plan.problems == []
    (row, imported), = plan.questions  # fmt: skip
    assert row == (2 if fmt == "csv" else 1)
    assert imported.prompt == question.prompt and imported.rubric == question.rubric
    assert imported.follow_ups == question.follow_ups and imported.origin_rank == 3
    assert imported.reference_answer.en == "'=already quoted"
    assert imported.calibration[0].answer.strip() == "Two\nlines | with a pipe"


def test_csv_export_defuses_spreadsheet_formulas() -> None:
    cells = next(csv.DictReader(io.StringIO(export_csv([tricky()]))))
    assert cells["prompt_fr"].startswith("'=SOMME") and cells["prompt_en"].startswith("'-starts")
    assert cells["reference_answer_en"] == "''=already quoted"
    first_item = r"pipes | 2.5 | a \| b \; c | line one\nline two | 0,75; a\;b; x\|y; back\\slash"
    assert cells["rubric"].splitlines()[0] == first_item


def csv_text(rows: list[dict[str, str]], columns: list[str] = COLUMNS, delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, delimiter=delimiter, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def good_row(qid: str) -> dict[str, str]:
    return {
        "id": qid, "kind": "technical", "level": "basic", "topics": "rag; embeddings",
        "prompt_fr": "Qu'est-ce que le RAG ?", "prompt_en": "What is RAG?",
        "reference_answer_fr": "Recherche puis génération.", "reference_answer_en": "Retrieval then generation.",
        "rubric": "retrieval | 2 | Recherche des passages. | Retrieves passages. | BM25; dense\n"
                  "grounding | 1 | Ancre la réponse. | Grounds the answer.",
        "sources": "fr/rag-pipeline.md",
    }  # fmt: skip


def bad_rows() -> list[dict[str, str]]:
    wrong = good_row("wrong-one")
    wrong.update({"prompt_en": "", "topics": "rag; astrology",
                  "rubric": "retrieval | heavy | Recherche. | Retrieves.\nonly | three | fields"})  # fmt: skip
    worse = good_row("Worse Id")
    worse.update({"kind": "trivia", "sources": "fr/missing.md", "origin_rank": "x"})
    return [wrong, worse]


def test_every_invalid_row_is_reported_with_row_and_column() -> None:
    plan = plan_for(csv_text([good_row("fine-one"), *bad_rows()]), "csv")
    found = {(p.row, p.column) for p in plan.problems}
    assert {(3, "prompt_en"), (3, "rubric"), (3, "topics"), (4, "kind"), (4, "id"), (4, "origin_rank")} <= found
    messages = " ".join(str(p) for p in plan.problems)
    assert "'heavy' is not a number" in messages and "item 2: expected `id | weight" in messages
    assert "astrology" in messages
    assert plan.invalid_rows == [3, 4]
    assert [q.id for _, q in plan.questions] == ["fine-one"]
    # a row whose model checks pass still gets its references checked
    plan = plan_for(csv_text([{**good_row("lost-source"), "sources": "fr/missing.md"}]), "csv")
    assert [(p.row, p.column) for p in plan.problems] == [(2, "sources")]


def test_nothing_is_imported_from_a_file_with_errors_unless_skipping(content: CoachContent) -> None:
    plan = plan_for(csv_text([good_row("fine-one"), *bad_rows()]), "csv")
    with pytest.raises(ImportRefused, match="nothing was imported"):
        apply_import(plan, content, empty_bank())
    assert content.bank(empty_bank()).questions == []
    assert apply_import(plan, content, empty_bank(), skip_invalid=True) == ["fine-one"]
    assert [q.id for q in content.bank(empty_bank()).questions] == ["fine-one"]


def test_an_origin_rank_held_in_the_bank_or_the_file_is_refused(shipped: QuestionBank) -> None:
    """Checked against the whole bank before anything is written: `bank stats` must still load afterwards."""
    holder = next(q for q in shipped.questions if q.origin and q.origin_rank)
    ids, ranks = bank_claims(shipped)
    rows = [{**good_row("clash-bank"), "origin": holder.origin, "origin_rank": str(holder.origin_rank)},
            {**good_row("first-new"), "origin": "my-list", "origin_rank": "1"},
            {**good_row("second-new"), "origin": "my-list", "origin_rank": "1"}]  # fmt: skip
    plan = read_import(csv_text(rows), "csv", existing_ids=ids, taken_ranks=ranks, topics=TOPICS, corpus_dir=CORPUS)
    assert [(p.row, p.column) for p in plan.problems] == [(2, "origin_rank"), (4, "origin_rank")]
    assert holder.id in plan.problems[0].message and "row 3" in plan.problems[1].message
    replacing = read_import(
        export_csv([holder]), "csv", existing_ids=ids, taken_ranks=ranks, topics=TOPICS, corpus_dir=CORPUS,
        replace=True,
    )  # fmt: skip
    assert replacing.problems == []  # a question keeps its own rank when it is replaced


def test_missing_and_unknown_columns_are_named() -> None:
    columns = [c for c in COLUMNS if c not in ("rubric", "prompt_en")] + ["colour"]
    plan = plan_for(csv_text([good_row("x-1")], columns=columns), "csv")
    assert plan.file_error is not None
    assert "missing column(s): prompt_en, rubric" in plan.file_error
    assert "unknown column(s): colour" in plan.file_error
    assert plan.questions == []


def test_existing_ids_clash_unless_replacing_and_duplicates_in_the_file() -> None:
    rows = [good_row("taken-id"), good_row("twice"), good_row("twice")]
    plan = plan_for(csv_text(rows), "csv", existing={"taken-id"})
    assert [(p.row, p.column) for p in plan.problems] == [(2, "id"), (4, "id")]
    assert "already exists" in plan.problems[0].message and "row 3" in plan.problems[1].message
    replacing = plan_for(csv_text(rows[:1]), "csv", existing={"taken-id"}, replace=True)
    assert replacing.problems == [] and [q.id for _, q in replacing.questions] == ["taken-id"]


def test_semicolon_csv_from_a_french_spreadsheet_imports() -> None:
    plan = plan_for("\ufeff" + csv_text([good_row("from-excel")], delimiter=";"), "csv")
    assert plan.problems == [] and plan.questions[0][1].topics == ["rag", "embeddings"]


def test_yaml_import_reports_items_by_number_and_field() -> None:
    items = [make_question("ok-yaml", sources=[]), make_question("bad-yaml", level="expert", sources=[])]
    plan = plan_for(yaml.safe_dump(items, allow_unicode=True), "yaml")
    assert [(p.row, p.column) for p in plan.problems] == [(2, "level")]
    assert plan_for("- id: [unclosed", "yaml").file_error.startswith("malformed YAML")


# --- CLI ------------------------------------------------------------------------------------------


def test_cli_import_refuses_then_skips_invalid_rows(bank_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "questions.csv"
    source.write_text(csv_text([good_row("fine-one"), *bad_rows()]), encoding="utf-8")
    runner = CliRunner()
    refused = runner.invoke(cli, ["bank", "import", str(source)], catch_exceptions=False)
    assert refused.exit_code == 1
    assert "row 3, column prompt_en" in refused.output and "nothing was imported" in refused.output
    assert imported().questions == []
    skipped = runner.invoke(cli, ["bank", "import", str(source), "--skip-invalid"], catch_exceptions=False)
    assert skipped.exit_code == 0 and "Imported 1 question(s) into the database" in skipped.output
    assert "Skipped 2 invalid row(s): 3, 4" in skipped.output
    assert imported().get("fine-one") is not None and imported().origin("fine-one") == "added"
    assert list(bank_dir.iterdir()) == []  # nothing is written into the bank folder
    stats = runner.invoke(cli, ["bank", "stats", "--json"], catch_exceptions=False)
    assert stats.exit_code == 0 and '"questions": 1' in stats.output


def test_cli_import_replace_and_missing_columns(bank_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    source = tmp_path / "one.csv"
    source.write_text(csv_text([good_row("same-id")]), encoding="utf-8")
    assert runner.invoke(cli, ["bank", "import", str(source)]).exit_code == 0
    clash = runner.invoke(cli, ["bank", "import", str(source)])
    assert clash.exit_code == 1 and "already exists in the bank (use --replace)" in clash.output
    source.write_text(csv_text([{**good_row("same-id"), "prompt_en": "What is RAG, really?"}]), encoding="utf-8")
    assert runner.invoke(cli, ["bank", "import", str(source), "--replace"]).exit_code == 0
    assert imported().get("same-id").prompt.en == "What is RAG, really?"
    source.write_text("id,kind\nx,technical\n", encoding="utf-8")
    missing = runner.invoke(cli, ["bank", "import", str(source)])
    assert missing.exit_code == 1 and "missing column(s): level, topics, prompt_fr" in missing.output


def test_cli_export_round_trips_through_import(bank_dir: Path, tmp_path: Path) -> None:
    for name in ("rag-hybrid-retrieval-rrf.yaml", "agents-react-loop.yaml"):
        shutil.copy(SHIPPED_BANK / name, bank_dir / name)
    runner = CliRunner()
    out = tmp_path / "export.csv"
    result = runner.invoke(cli, ["bank", "export", "--format", "csv", "--topic", "rag", "--output", str(out)])
    assert result.exit_code == 0, result.output
    exported = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [row["id"] for row in exported] == ["rag-hybrid-retrieval-rrf"]
    as_yaml = runner.invoke(cli, ["bank", "export"], catch_exceptions=False)
    assert sorted(item["id"] for item in yaml.safe_load(as_yaml.output)) == [
        "agents-react-loop", "rag-hybrid-retrieval-rrf",
    ]  # fmt: skip
    for path in bank_dir.iterdir():
        path.unlink()
    result = runner.invoke(cli, ["bank", "import", str(out)], catch_exceptions=False)
    assert result.exit_code == 0
    original = QuestionBank.load(SHIPPED_BANK, CORPUS, lenient=True).get("rag-hybrid-retrieval-rrf")
    assert imported().get("rag-hybrid-retrieval-rrf") == original
    unknown = runner.invoke(cli, ["bank", "export", "--topic", "astrology"])
    assert unknown.exit_code == 1 and "unknown topic(s): astrology" in unknown.output


def test_a_csv_reimport_keeps_the_coach_verdicts_of_unchanged_samples(content: CoachContent) -> None:
    reviewed = {"lang": "en", "answer": "Retrieval, then grounded generation.", "expected_score": 8,
                "verdicts": {"retrieval": "met", "grounding": "partly_met"}}  # fmt: skip
    question = Question.model_validate(
        make_question("with-verdicts", calibration=[reviewed], sources=["fr/rag-pipeline.md"])
    )
    bank = QuestionBank([question], TOPICS)
    edited = question.model_copy(update={"calibration": [
        *question.calibration, CalibrationSample(lang="fr", answer="Une recherche.", expected_score=3)
    ]})  # fmt: skip
    plan = plan_for(export_csv([edited]), "csv", existing={"with-verdicts"}, replace=True)
    assert not plan.problems and plan.questions[0][1].calibration[0].verdicts == {}  # CSV has no verdicts
    apply_import(plan, content, bank)
    saved = content.bank(QuestionBank([], TOPICS)).get("with-verdicts")
    assert [s.verdicts for s in saved.calibration] == [reviewed["verdicts"], {}]
