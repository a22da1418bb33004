"""What produced a grade, as short hashes: the judge's prompt files and the question's grading material.

A grade is reproducible only if we know exactly what it came from. The prompt version is a hash of
the template files themselves (editing a prompt changes it, no version number to forget to bump);
the rubric version is a hash of everything about the question that the graders read. Both are
stored with every grade and are part of the grade cache key, so a changed prompt or rubric is
graded afresh while an unchanged one returns the stored grade.

The grader version goes further: a hash of the grading code itself (every module of `evaluators/`,
its prompts, the embedding code). A changed threshold, guard pattern or fitted weight then stops
the cache from serving grades the new code would not give, with no version number to remember.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from question_bank.model import Question

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
JUDGE_LOGIC_VERSION = "2"
"""Bump when the judge's reply schema or parsing changes meaning without a template change."""
_EVALUATORS_DIR = Path(__file__).resolve().parent
GRADER_SOURCES: tuple[Path, ...] = (
    _EVALUATORS_DIR,
    _EVALUATORS_DIR.parent / "knowledge" / "embeddings.py",
    _EVALUATORS_DIR.parent / "core" / "text.py",
    _EVALUATORS_DIR.parent / "core" / "types.py",  # the score from the verdicts (`Grade.rescore`)
    _EVALUATORS_DIR.parent / "knowledge" / "language.py",  # language detection and accent folding
)
"""What the grading code is: every .py and prompt file under these paths."""


def _short_hash(material: object) -> str:
    data = json.dumps(material, ensure_ascii=False, sort_keys=True).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:12]


def prompt_version(prompts_dir: Path | None = None) -> str:
    """'judge-' + a hash of every template file (name and bytes) and the judge logic version."""
    files = sorted((prompts_dir or PROMPTS_DIR).glob("*.j2"))
    material = [JUDGE_LOGIC_VERSION] + [[f.name, hashlib.sha256(f.read_bytes()).hexdigest()] for f in files]
    return f"judge-{_short_hash(material)}"


def source_files(sources: Iterable[Path]) -> list[Path]:
    """The grading code's files, in a stable order: Python modules and prompt templates."""
    files: list[Path] = []
    for source in sources:
        if source.is_dir():
            files.extend(f for f in source.rglob("*") if f.suffix in (".py", ".j2") and "__pycache__" not in f.parts)
        elif source.exists():
            files.append(source)
    return sorted(files)


def code_version(sources: Iterable[Path]) -> str:
    """A hash of the files' relative names and bytes."""
    sources = list(sources)
    root = _EVALUATORS_DIR.parent
    material = [
        [str(f.relative_to(root)) if f.is_relative_to(root) else f.name, hashlib.sha256(f.read_bytes()).hexdigest()]
        for f in source_files(sources)
    ]
    return _short_hash(material)


@functools.cache
def grader_version() -> str:
    """The version of the grading code this process runs (read once: code does not change under it)."""
    return f"grader-{code_version(GRADER_SOURCES)}"


def rubric_version(question: Question) -> str:
    """A hash of the question's prompt, kind, reference answer and rubric (not its calibration samples)."""
    material = question.model_dump(mode="json", include={"kind", "prompt", "reference_answer", "rubric"})
    return _short_hash(material)


def grade_cache_key(*parts: object) -> str:
    """The full hash of everything a grade depends on; `parts` must be JSON-serialisable."""
    data = json.dumps(list(parts), ensure_ascii=False, sort_keys=True).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()
