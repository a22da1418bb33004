"""Import and export questions as YAML or CSV (one row a question; format in docs/bank-format.md).

An import checks every row first, against the file and against the whole bank, and reports every
problem (row, column, message); it writes nothing while any problem remains unless the caller asks
to skip the invalid rows, so a half-good spreadsheet never leaves the bank half-imported. Ids that
already exist are problems too, unless the caller asks to replace them, and so is an origin rank
another question holds. The questions go to the database (`coach.content`), never into the
repository's YAML.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import yaml
from pydantic import ValidationError

from question_bank.csv_rows import (
    COLUMNS,
    REQUIRED_COLUMNS,
    RowProblem,
    question_to_row,
    row_to_data,
    spreadsheet_safe,
)
from question_bank.loader import check_references, parse_yaml_text
from question_bank.model import Question
from question_bank.overlay import merge_samples
from question_bank.writer import dump_data, question_to_data

if TYPE_CHECKING:
    from coach.content import CoachContent
    from question_bank.bank import QuestionBank


class ImportRefused(Exception):
    """Nothing was imported: the file has problems and skipping invalid rows was not asked for."""


@dataclass
class ImportPlan:
    """What an import would write, and everything wrong with the file."""

    questions: list[tuple[int, Question]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    file_error: str | None = None

    @property
    def invalid_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems})


def export_csv(questions: Iterable[Question]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for question in questions:
        writer.writerow({k: spreadsheet_safe(v) for k, v in question_to_row(question).items()})
    return buffer.getvalue()


def export_yaml(questions: Iterable[Question]) -> str:
    """A YAML list of questions, each in the canonical form of a bank file."""
    return dump_data([question_to_data(q) for q in questions])


# --- validation shared by both formats --------------------------------------------------------------


def _csv_column(loc: tuple) -> tuple[str, str]:
    """(column, prefix) of a pydantic error location in CSV terms: ("prompt", "fr") -> prompt_fr."""
    if not loc:
        return "", ""
    head = str(loc[0])
    if head in ("prompt", "reference_answer") and len(loc) > 1:
        return f"{head}_{loc[1]}", ""
    if head in ("rubric", "follow_ups", "calibration") and len(loc) > 1 and isinstance(loc[1], int):
        rest = ".".join(str(p) for p in loc[2:])
        return head, f"item {loc[1] + 1}{' ' + rest if rest else ''}: "
    return head, ""


def _validation_problems(error: ValidationError, row: int, csv_columns: bool) -> list[RowProblem]:
    problems = []
    for err in error.errors():
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "required, but empty or missing"
        elif err["type"] == "extra_forbidden":
            message = "unknown field (typo?)"
        loc = tuple(err["loc"])
        if csv_columns:
            column, prefix = _csv_column(loc)
        else:
            column, prefix = ".".join(str(p) for p in loc), ""
        if not column:  # checks on the whole question name the field in their message
            column = "rubric" if message.startswith("rubric") else ("origin_rank" if "origin_rank" in message else "id")
        problems.append(RowProblem(row, column, prefix + message))
    return problems


def _reference_problems(
    data: dict, row: int, topics: dict[str, dict[str, str]], corpus_dir: Path | None
) -> list[RowProblem]:
    """Unknown topics and missing sources, checked even when other fields are invalid (all problems at once)."""
    listed = {key: data.get(key) for key in ("topics", "sources")}
    if not all(isinstance(v, list | None) for v in listed.values()):
        return []  # the model reports a field that is not a list
    references = SimpleNamespace(topics=[str(t) for t in listed["topics"] or []],
                                 sources=[str(s) for s in listed["sources"] or []])  # fmt: skip
    return [
        RowProblem(row, "topics" if message.startswith("unknown topic") else "sources", message)
        for message in check_references(references, topics, corpus_dir)  # type: ignore[arg-type]
    ]


def _validate_rows(
    rows: list[tuple[int, object, list[RowProblem]]],
    *,
    existing_ids: set[str],
    taken_ranks: Mapping[tuple[str, int], str],
    topics: dict[str, dict[str, str]],
    corpus_dir: Path | None,
    replace: bool,
    csv_columns: bool,
) -> ImportPlan:
    plan = ImportPlan()
    seen: dict[str, int] = {}
    ranks_in_file: dict[tuple[str, int], int] = {}
    for row, data, cell_problems in rows:
        problems = list(cell_problems)
        question = None
        if not isinstance(data, dict):
            problems.append(RowProblem(row, "-", "expected a mapping with the question's fields"))
        else:
            try:
                question = Question.model_validate(data)
            except ValidationError as exc:
                problems.extend(_validation_problems(exc, row, csv_columns))
            problems.extend(_reference_problems(data, row, topics, corpus_dir))
        if question is not None:
            if question.id in seen:
                problems.append(RowProblem(row, "id", f"id {question.id!r} is also used by row {seen[question.id]}"))
            elif question.id in existing_ids and not replace:
                problems.append(
                    RowProblem(row, "id", f"question {question.id!r} already exists in the bank (use --replace)")
                )
            seen.setdefault(question.id, row)
            problems.extend(_rank_problem(question, row, taken_ranks, ranks_in_file))
        if problems:
            plan.problems.extend(problems)
        elif question is not None:
            plan.questions.append((row, question))
    return plan


def _rank_problem(
    question: Question, row: int, taken: Mapping[tuple[str, int], str], in_file: dict[tuple[str, int], int]
) -> list[RowProblem]:
    """An origin rank is one question's: the bank's (other than the one this row replaces) or an earlier row's."""
    if not question.origin or question.origin_rank is None:
        return []
    key = (question.origin, question.origin_rank)
    where = f"origin_rank {question.origin_rank} of {question.origin!r} is also used by"
    if key in in_file:
        return [RowProblem(row, "origin_rank", f"{where} row {in_file[key]}")]
    in_file[key] = row
    owner = taken.get(key)
    if owner is not None and owner != question.id:
        return [RowProblem(row, "origin_rank", f"{where} question {owner!r} in the bank")]
    return []


def bank_claims(bank: QuestionBank) -> tuple[set[str], dict[tuple[str, int], str]]:
    """The ids and the (origin, origin_rank) pairs a bank already holds, to check an import against."""
    ids = {q.id for q in bank.questions} | set(bank.origins)
    ranks = {(q.origin, q.origin_rank): q.id for q in bank.questions if q.origin and q.origin_rank is not None}
    return ids, ranks


def read_import(
    text: str,
    fmt: str,
    *,
    existing_ids: set[str],
    taken_ranks: Mapping[tuple[str, int], str] | None = None,
    topics: dict[str, dict[str, str]],
    corpus_dir: Path | None,
    replace: bool = False,
) -> ImportPlan:
    """Parse and check an import file's text (`fmt` is "csv" or "yaml"); never writes anything."""
    text = text.removeprefix("\ufeff")
    rows: list[tuple[int, object, list[RowProblem]]] = []
    if fmt == "csv":
        first_line = text.split("\n", 1)[0]
        delimiter = max((",", ";", "\t"), key=first_line.count)
        records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = [h.strip() for h in next(records, [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        unknown = [h for h in header if h and h not in COLUMNS]
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"missing column(s): {', '.join(missing)}")
            if unknown:
                parts.append(f"unknown column(s): {', '.join(unknown)} (typo?)")
            return ImportPlan(file_error="; ".join(parts) + f". Expected columns: {', '.join(COLUMNS)}")
        for row_number, cells in enumerate(records, start=2):  # spreadsheet rows: the header is row 1
            if not any(c.strip() for c in cells):
                continue
            cell_problems: list[RowProblem] = []
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                cell_problems.append(RowProblem(row_number, "-", f"{len(cells)} cells but {len(header)} columns"))
            record = dict(zip(header, cells, strict=False))
            rows.append((row_number, row_to_data(record, row_number, cell_problems), cell_problems))
    else:
        try:
            data = parse_yaml_text(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            return ImportPlan(file_error=f"malformed YAML{where}: {getattr(exc, 'problem', None) or exc}")
        items = data if isinstance(data, list) else [data]
        rows = [(number, item, []) for number, item in enumerate(items, start=1)]
    if not rows:
        return ImportPlan(file_error="the file holds no question")
    return _validate_rows(
        rows, existing_ids=existing_ids, taken_ranks=taken_ranks or {}, topics=topics, corpus_dir=corpus_dir,
        replace=replace, csv_columns=fmt == "csv",
    )  # fmt: skip


def format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    raise ValueError(f"{path.name}: unknown import format {suffix or '(none)'!r}; use a .csv, .yaml or .yml file")


def apply_import(
    plan: ImportPlan, content: CoachContent, bank: QuestionBank, *, skip_invalid: bool = False, by: str | None = None
) -> list[str]:
    """Store the plan's valid questions; refuse the whole file if it has problems and `skip_invalid` is off."""
    if plan.file_error:
        raise ImportRefused(plan.file_error)
    if plan.problems and not skip_invalid:
        raise ImportRefused(f"{len(plan.problems)} problem(s) in {len(plan.invalid_rows)} row(s); nothing was imported")
    return content.import_questions([_keep_sample_verdicts(q, bank.get(q.id)) for _, q in plan.questions], by=by)


def _keep_sample_verdicts(question: Question, old: Question | None) -> Question:
    """A CSV row has no per-item verdicts: keep those the bank had for the same samples."""
    if old is None or not question.calibration:
        return question
    known = {(s.lang, s.answer.strip(), s.expected_score): s.verdicts for s in old.calibration if s.verdicts}
    samples = [
        s
        if s.verdicts
        else s.model_copy(update={"verdicts": known.get((s.lang, s.answer.strip(), s.expected_score), {})})
        for s in question.calibration
    ]
    return question.model_copy(update={"calibration": merge_samples([], samples)})
