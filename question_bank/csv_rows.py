"""The CSV form of a question: one row a question, structured cells with a small escape syntax.

Kept apart from `transfer.py` (which checks and writes imports) because the cell syntax is the
part a coach reads in docs/bank-format.md and may need to change: items on lines, fields split by
`|`, list elements by `;`, and `\\` escapes for those characters and for line breaks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from question_bank.model import Question

COLUMNS = [
    "id", "kind", "level", "topics", "origin", "origin_rank", "prompt_fr", "prompt_en",
    "reference_answer_fr", "reference_answer_en", "rubric", "follow_ups", "hint_fr", "hint_en", "sources",
    "calibration",
]  # fmt: skip
REQUIRED_COLUMNS = [
    "id", "kind", "level", "topics", "prompt_fr", "prompt_en", "reference_answer_fr", "reference_answer_en", "rubric",
]  # fmt: skip
RUBRIC_FIELDS = "id | weight | text_fr | text_en | keywords | hint_fr | hint_en"  # keywords and hints optional
FOLLOW_UP_FIELDS = "text_fr | text_en | covers"  # covers optional: rubric ids, `;`-separated
CALIBRATION_FIELDS = "lang | expected_score | answer"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ESCAPES = {"\\": "\\\\", "|": "\\|", ";": "\\;", "\n": "\\n"}


@dataclass(frozen=True)
class RowProblem:
    """One problem in an import file. CSV rows count as a spreadsheet does (the header is row 1)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


# --- cell codec: items on lines, fields split by `|`, list elements by `;`, `\` escapes --------------


def escape_cell_text(text: str) -> str:
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def _unescape(text: str) -> str:
    out, index = [], 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text):
            following = text[index + 1]
            out.append("\n" if following == "n" else following)
            index += 2
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def _split_raw(text: str, separator: str) -> list[str]:
    """Split on unescaped `separator`; the parts keep their escapes (for a finer split or `_unescape`)."""
    parts, current, index = [], [], 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if text[index] == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(text[index])
        index += 1
    parts.append("".join(current))
    return parts


def _lines(cell: str) -> list[str]:
    """Items of a cell: one a line (an escaped `\\n` stays inside its item); blank lines ignored."""
    return [line for line in cell.replace("\r\n", "\n").split("\n") if line.strip()]


def _list_cell(cell: str) -> list[str]:
    return [_unescape(item).strip() for item in _split_raw(cell, ";") if item.strip()]


def _join_list(items: Iterable[str]) -> str:
    return "; ".join(escape_cell_text(i) for i in items)


# --- CSV rows <-> questions -----------------------------------------------------------------------


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def flat_text_fields(question: Question) -> dict[str, str]:
    """The question's one-value fields as text, under the names the CSV columns and the studio form share.

    A question written in one language leaves the other language's fields empty (as it was typed).
    """
    fields = {
        "id": question.id,
        "kind": question.kind.value,
        "level": question.level.value,
        "origin": question.origin or "",
        "origin_rank": "" if question.origin_rank is None else str(question.origin_rank),
        "prompt_fr": question.prompt.fr,
        "prompt_en": question.prompt.en,
        "reference_answer_fr": question.reference_answer.fr,
        "reference_answer_en": question.reference_answer.en,
        "hint_fr": question.hint.fr if question.hint else "",
        "hint_en": question.hint.en if question.hint else "",
    }
    for lang in ("fr", "en"):
        if not question.written_in(lang):
            fields.update({name: "" for name in fields if name.endswith(f"_{lang}")})
    return fields


def question_to_row(question: Question) -> dict[str, str]:
    def text(value) -> list[str]:  # type: ignore[no-untyped-def]
        return [escape_cell_text(value.fr) if question.written_in("fr") else "",
                escape_cell_text(value.en) if question.written_in("en") else ""]  # fmt: skip

    rubric_lines = [
        " | ".join([item.id, _number_text(item.weight), *text(item.text), _join_list(item.keywords),
                    *(text(item.hint) if item.hint else [])])
        for item in question.rubric
    ]  # fmt: skip
    return {
        **flat_text_fields(question),
        "topics": _join_list(question.topics),
        "rubric": "\n".join(rubric_lines),
        "follow_ups": "\n".join(
            " | ".join(text(f)) + (f" | {_join_list(f.covers)}" if f.covers else "") for f in question.follow_ups
        ),
        "sources": _join_list(question.sources),
        "calibration": "\n".join(
            f"{s.lang} | {_number_text(s.expected_score)} | {escape_cell_text(s.answer.strip())}"
            for s in question.calibration
        ),
    }


def _is_formula_like(value: str) -> bool:
    return value.lstrip("'").startswith(_FORMULA_START)


def spreadsheet_safe(value: str) -> str:
    """A cell starting with = + - @ is a formula to a spreadsheet: prefix `'` (removed again on import)."""
    return "'" + value if _is_formula_like(value) else value


def from_spreadsheet(value: str) -> str:
    return value[1:] if value.startswith("'") and _is_formula_like(value) else value


def _parse_items(cell: str, column: str, expected: str, counts: tuple[int, ...], row: int, problems: list[RowProblem]):  # type: ignore[no-untyped-def]
    items = []
    for number, line in enumerate(_lines(cell), start=1):
        fields = [part.strip() for part in _split_raw(line, "|")]
        if len(fields) not in counts:
            problems.append(
                RowProblem(row, column, f"item {number}: expected `{expected}`, got {len(fields)} field(s)")
            )
            continue
        items.append((number, fields))
    return items


def _number_or_problem(text: str, row: int, column: str, label: str, problems: list[RowProblem]) -> float | None:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        problems.append(RowProblem(row, column, f"{label}: {text!r} is not a number"))
        return None


def row_to_data(row: dict[str, str], row_number: int, problems: list[RowProblem]) -> dict:
    """Turn one CSV row into question data; cell-format problems go to `problems`."""
    cell = {k: from_spreadsheet(row.get(k) or "") for k in COLUMNS}
    data: dict = {"id": cell["id"].strip(), "kind": cell["kind"].strip(), "level": cell["level"].strip()}
    data["topics"] = _list_cell(cell["topics"])
    if cell["origin"].strip():
        data["origin"] = cell["origin"].strip()
    if cell["origin_rank"].strip():
        rank = cell["origin_rank"].strip()
        if rank.isdigit():
            data["origin_rank"] = int(rank)
        else:
            problems.append(RowProblem(row_number, "origin_rank", f"{rank!r} is not a whole number"))
    data["prompt"] = {"fr": cell["prompt_fr"], "en": cell["prompt_en"]}
    data["reference_answer"] = {"fr": cell["reference_answer_fr"], "en": cell["reference_answer_en"]}
    rubric = []
    for number, fields in _parse_items(cell["rubric"], "rubric", RUBRIC_FIELDS, (4, 5, 7), row_number, problems):
        weight = _number_or_problem(_unescape(fields[1]), row_number, "rubric", f"item {number} weight", problems)
        item = {
            "id": _unescape(fields[0]),
            "weight": weight,
            "text": {"fr": _unescape(fields[2]), "en": _unescape(fields[3])},
        }
        if len(fields) >= 5:
            item["keywords"] = _list_cell(fields[4])
        if len(fields) == 7:
            item["hint"] = {"fr": _unescape(fields[5]), "en": _unescape(fields[6])}
        rubric.append(item)
    data["rubric"] = rubric
    follow_ups = _parse_items(cell["follow_ups"], "follow_ups", FOLLOW_UP_FIELDS, (2, 3), row_number, problems)
    data["follow_ups"] = [
        {"fr": _unescape(f[0]), "en": _unescape(f[1]), **({"covers": _list_cell(f[2])} if len(f) == 3 else {})}
        for _, f in follow_ups
    ]
    if cell["hint_fr"].strip() or cell["hint_en"].strip():
        data["hint"] = {"fr": cell["hint_fr"], "en": cell["hint_en"]}
    data["sources"] = _list_cell(cell["sources"])
    samples = []
    for number, fields in _parse_items(
        cell["calibration"], "calibration", CALIBRATION_FIELDS, (3,), row_number, problems
    ):
        score = _number_or_problem(_unescape(fields[1]), row_number, "calibration", f"item {number} score", problems)
        samples.append({"lang": _unescape(fields[0]), "expected_score": score, "answer": _unescape(fields[2])})
    data["calibration"] = samples
    return data
