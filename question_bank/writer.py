"""Write questions back to the YAML bank in ONE canonical form, atomically.

Every writer (`bank format`, `bank export`) goes through `dump_question`, so a question exported
after a coach's edit differs from its shipped file only in the lines of the changed field: `git diff`
stays a readable review of what the coach changed. (The app itself never writes the repository's
bank: coach content lives in the database, see `coach.content`.) The canonical form follows
docs/bank-format.md: keys in the documented order, `|` block scalars for multi-line text, plain
scalars otherwise (quoted only where YAML needs it), lists of words in flow style
(`topics: [rag, agents]`), unicode kept, and no line re-wrapping. Empty optional fields are left out.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from core.types import Verdict
from question_bank.loader import BankProblem, _read_question_file, parse_yaml_text
from question_bank.model import CalibrationSample, FollowUp, Localized, Question, RubricItem

NO_WRAP_WIDTH = 1_000_000  # PyYAML folds long plain lines at `width`: never, here


class _FlowList(list):
    """A list of short words dumped on one line, as coaches write them: `[rag, embeddings]`."""


class _BankDumper(yaml.SafeDumper):
    """Indents block sequences under their key (`rubric:\\n  - id: ...`), as the shipped files do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        """Double quotes where YAML needs quotes: what coaches write by hand, and `'` needs no escaping."""
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_flow_list(dumper: yaml.SafeDumper, value: _FlowList) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_BankDumper.add_representer(str, _represent_str)
_BankDumper.add_representer(_FlowList, _represent_flow_list)


def _text(value: str) -> str:
    """Multi-line text ends with one newline (so it dumps as `|`, not `|-`), without trailing spaces or tabs.

    Trailing spaces and tabs would force PyYAML into one double-quoted line full of escapes, where
    a one-word edit changes the whole paragraph in a diff; here they carry no meaning.
    """
    # YAML also reads NEL and the Unicode line and paragraph separators as line breaks.
    for line_break in ("\r\n", "\r", "\x85", "\u2028", "\u2029"):
        value = value.replace(line_break, "\n")
    value = value.strip()
    if "\n" not in value:
        return value
    return "\n".join(line.expandtabs(4).rstrip() for line in value.split("\n")) + "\n"


def _number(value: float) -> int | float:
    """`3`, not `3.0`: the model stores weights as floats, coaches write integers."""
    return int(value) if float(value).is_integer() else value


def _localized(value: Localized, langs: list[str]) -> dict:
    """The text in the question's languages only: a French-only question's file has no English copies."""
    return {lang: _text(value.get(lang)) for lang in ("fr", "en") if lang in langs}


def _rubric_item(item: RubricItem, langs: list[str]) -> dict:
    data: dict = {"id": item.id, "weight": _number(item.weight), "text": _localized(item.text, langs)}
    if item.keywords:
        data["keywords"] = _FlowList(item.keywords)
    if item.hint is not None:
        data["hint"] = _localized(item.hint, langs)
    return data


def _follow_up(follow_up: FollowUp, langs: list[str]) -> dict:
    data = _localized(follow_up, langs)
    if follow_up.covers:
        data["covers"] = _FlowList(follow_up.covers)
    return data


def _calibration_sample(sample: CalibrationSample) -> dict:
    data: dict = {"lang": sample.lang, "answer": _text(sample.answer), "expected_score": _number(sample.expected_score)}
    if sample.verdicts:
        data["verdicts"] = {item: Verdict(verdict).value for item, verdict in sample.verdicts.items()}
    return data


def question_to_data(question: Question) -> dict:
    """The question as plain data in the canonical key order of docs/bank-format.md."""
    data: dict = {
        "id": question.id,
        "kind": question.kind.value,
        "level": question.level.value,
        "topics": _FlowList(question.topics),
    }
    if question.origin:
        data["origin"] = question.origin
    if question.origin_rank is not None:
        data["origin_rank"] = question.origin_rank
    langs = list(question.languages)
    data["prompt"] = _localized(question.prompt, langs)
    data["reference_answer"] = _localized(question.reference_answer, langs)
    data["rubric"] = [_rubric_item(item, langs) for item in question.rubric]
    if question.follow_ups:
        data["follow_ups"] = [_follow_up(f, langs) for f in question.follow_ups]
    if question.hint is not None:
        data["hint"] = _localized(question.hint, langs)
    if question.sources:
        data["sources"] = list(question.sources)
    if question.calibration:
        data["calibration"] = [_calibration_sample(s) for s in question.calibration]
    return data


def dump_data(data: object) -> str:
    """Dump data built by `question_to_data` (or a list of such) in the canonical style."""
    return yaml.dump(
        data,
        Dumper=_BankDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=NO_WRAP_WIDTH,
        indent=2,
    )


def dump_question(question: Question) -> str:
    """The canonical text of one question file."""
    return dump_data(question_to_data(question))


def load_question_text(text: str) -> Question:
    """Parse and validate the text of one question file (raises yaml.YAMLError / ValidationError)."""
    return Question.model_validate(parse_yaml_text(text))


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temp file in the same folder and `os.replace`: readers see the old or the new file, never half.

    The temp name does not end in `.yaml`, so a loader running meanwhile never picks it up.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def question_path(bank_dir: Path, question_id: str) -> Path:
    return bank_dir / f"{question_id}.yaml"


def write_question(bank_dir: Path, question: Question) -> Path:
    """Save one question to `<bank_dir>/<id>.yaml` in canonical form; returns the path."""
    path = question_path(bank_dir, question.id)
    atomic_write_text(path, dump_question(question))
    return path


def duplicate_question(question: Question, new_id: str) -> Question:
    """A copy under a new id, without the calibration samples (they were judged for the original)."""
    return question.model_copy(update={"id": new_id, "calibration": []}, deep=True)


def free_copy_id(question_id: str, taken: set[str]) -> str:
    """`<id>-copy`, `<id>-copy-2`, ... : the first id not in `taken` (and within the 80-char id limit)."""
    base = f"{question_id[:70]}-copy"
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}-{number}"
        number += 1
    return candidate


@dataclass
class FormatReport:
    """What `bank format` did (or would do, with check_only)."""

    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[BankProblem] = field(default_factory=list)


def format_bank(bank_dir: Path, *, check_only: bool = False) -> FormatReport:
    """Rewrite every question file of `bank_dir` into canonical form (idempotent).

    A file that does not validate is left untouched and reported: its text is the coach's work,
    and rewriting it would need guessing what they meant.
    """
    report = FormatReport()
    for path in sorted(bank_dir.rglob("*.yaml")):
        label = path.relative_to(bank_dir).as_posix()
        question, problems = _read_question_file(path, label)
        if question is None:
            report.problems.extend(problems)
            continue
        text = path.read_text(encoding="utf-8")
        canonical = dump_question(question)
        if text == canonical:
            report.unchanged.append(label)
            continue
        report.changed.append(label)
        if not check_only:
            atomic_write_text(path, canonical)
    return report
