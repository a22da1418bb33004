"""Load and validate the question bank: every problem at once, each with its file and question id.

A coach who breaks one file wants the full list of what is wrong in one run, not one error per run;
a candidate on a bank with one broken file still wants to practise on the rest (`lenient=True`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from question_bank.model import LANGS, Question

TOPICS_FILE = Path(__file__).resolve().parent / "topics.yaml"
MAX_FILE_BYTES = 256 * 1024
_MAYBE_ALIAS = re.compile(r"(^|[\s\[{,:-])[&*][A-Za-z0-9_-]+", re.MULTILINE)
_LANG_NAMES = {"fr": "French", "en": "English"}

try:  # the C parser loads the whole bank several times faster
    _FastLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _FastLoader = yaml.SafeLoader


class _NoAliasLoader(yaml.SafeLoader):
    """Refuses anchors and aliases: they buy nothing in a bank and enable YAML bombs."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases (&name / *name) are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)


@dataclass(frozen=True)
class BankProblem:
    """One thing wrong in the bank, located precisely enough for a coach to fix it."""

    file: str
    question_id: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f" [{self.question_id}]" if self.question_id else "")
        return f"{where}: {self.message}"


class BankValidationError(Exception):
    """Raised by a strict load when anything is wrong; carries every problem found."""

    def __init__(self, problems: list[BankProblem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the question bank:\n{lines}")


@dataclass
class BankLoadResult:
    questions: list[Question] = field(default_factory=list)
    problems: list[BankProblem] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def load_topics(path: Path = TOPICS_FILE) -> dict[str, dict[str, str]]:
    """Topic id -> {"fr": label, "en": label}."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_FastLoader) or {}  # noqa: S506 - a safe loader
    return {str(k): {"fr": v["fr"], "en": v["en"]} for k, v in data.items()}


def parse_yaml_text(text: str) -> object:
    """Parse YAML safely: the fast C parser, or the alias-refusing one when anchors may be present."""
    loader = _NoAliasLoader if _MAYBE_ALIAS.search(text) else _FastLoader
    return yaml.load(text, Loader=loader)  # noqa: S506 - both loaders are safe loaders


def _describe_validation_error(error: ValidationError) -> list[str]:
    messages = []
    for err in error.errors():
        loc = ".".join(str(part) for part in err["loc"])
        if err["type"] == "missing" and err["loc"] and err["loc"][-1] in LANGS:
            messages.append(f"{loc}: missing {_LANG_NAMES[str(err['loc'][-1])]} text")
        elif err["type"] == "missing":
            messages.append(f"{loc}: required field is missing")
        elif err["type"] == "extra_forbidden":
            messages.append(f"{loc}: unknown field (typo?)")
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")
            messages.append(f"{loc}: {msg}" if loc else msg)
    return messages


def _read_question_file(path: Path, label: str) -> tuple[Question | None, list[BankProblem]]:
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        return None, [BankProblem(label, None, f"cannot read file: {exc.strerror}")]
    if len(raw_bytes) > MAX_FILE_BYTES:
        return None, [BankProblem(label, None, f"file is {len(raw_bytes)} bytes; limit is {MAX_FILE_BYTES}")]
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [BankProblem(label, None, f"not valid UTF-8 (byte {exc.start})")]
    try:
        data = parse_yaml_text(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [BankProblem(label, None, f"malformed YAML{where}: {reason}")]
    if not isinstance(data, dict):
        return None, [BankProblem(label, None, "expected a mapping with the question's fields")]
    qid = data.get("id") if isinstance(data.get("id"), str) else None
    try:
        question = Question.model_validate(data)
    except ValidationError as exc:
        return None, [BankProblem(label, qid, m) for m in _describe_validation_error(exc)]
    return question, []


def check_references(
    question: Question, topics: dict[str, dict[str, str]], corpus_dir: Path | None
) -> list[str]:
    """Problems that need more than the question itself: unknown topics, missing sources."""
    messages = [
        f"unknown topic {t!r} (known: see question_bank/topics.yaml)" for t in question.topics if t not in topics
    ]
    if corpus_dir is not None:
        for source in question.sources:
            target = (corpus_dir / source).resolve()
            if corpus_dir.resolve() not in target.parents or not target.is_file():
                messages.append(f"source {source!r} does not exist under {corpus_dir.name}/")
    return messages


def load_bank(
    bank_dir: Path,
    *,
    corpus_dir: Path | None = None,
    topics: dict[str, dict[str, str]] | None = None,
    lenient: bool = False,
) -> BankLoadResult:
    """Load every `*.yaml` under `bank_dir`.

    Strict (default): raise `BankValidationError` listing every problem. Lenient: keep the good
    questions, skip each bad file whole, and report what was skipped and why.
    """
    topics = load_topics() if topics is None else topics
    result = BankLoadResult()
    if not bank_dir.is_dir():
        result.problems.append(BankProblem(str(bank_dir), None, "bank folder does not exist"))
    paths = sorted(bank_dir.rglob("*.yaml")) if bank_dir.is_dir() else []
    seen: dict[str, str] = {}
    origin_ranks: dict[tuple[str, int], str] = {}
    for path in paths:
        label = str(path.relative_to(bank_dir.parent)) if bank_dir.parent in path.parents else str(path)
        question, problems = _read_question_file(path, label)
        if question is not None:
            messages = check_references(question, topics, corpus_dir)
            if question.id != path.stem:
                messages.append(f"id {question.id!r} does not match the file name {path.name!r}")
            if question.id in seen:
                messages.append(f"duplicate id: also defined in {seen[question.id]}")
            if question.origin and question.origin_rank is not None:
                key = (question.origin, question.origin_rank)
                if key in origin_ranks:
                    messages.append(
                        f"origin_rank {question.origin_rank} of {question.origin!r} is also used by {origin_ranks[key]}"
                    )
                else:
                    origin_ranks[key] = question.id
            problems = [BankProblem(label, question.id, m) for m in messages]
            seen.setdefault(question.id, label)
        if problems:
            result.problems.extend(problems)
            result.skipped_files.append(label)
        elif question is not None:
            result.questions.append(question)
            result.files[question.id] = path
    if result.problems and not lenient:
        raise BankValidationError(result.problems)
    return result
