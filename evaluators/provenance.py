"""What produced a grade, as short hashes: the judge's prompt files and the question's grading material.

A grade is reproducible only if we know exactly what it came from. The prompt version is a hash of
the template files themselves (editing a prompt changes it, no version number to forget to bump);
the rubric version is a hash of everything about the question that the graders read. Both are
stored with every grade and are part of the grade cache key, so a changed prompt or rubric is
graded afresh while an unchanged one returns the stored grade.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from question_bank.model import Question

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
JUDGE_LOGIC_VERSION = "2"
"""Bump when the judge's reply schema or parsing changes meaning without a template change."""
EMBEDDED_GRADER_VERSION = "embedded-2"
"""Bump when the embedded grader's thresholds or logic change (its model name is keyed separately)."""


def _short_hash(material: object) -> str:
    data = json.dumps(material, ensure_ascii=False, sort_keys=True).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:12]


def prompt_version(prompts_dir: Path | None = None) -> str:
    """'judge-' + a hash of every template file (name and bytes) and the judge logic version."""
    files = sorted((prompts_dir or PROMPTS_DIR).glob("*.j2"))
    material = [JUDGE_LOGIC_VERSION] + [[f.name, hashlib.sha256(f.read_bytes()).hexdigest()] for f in files]
    return f"judge-{_short_hash(material)}"


def rubric_version(question: Question) -> str:
    """A hash of the question's prompt, kind, reference answer and rubric (not its calibration samples)."""
    material = question.model_dump(mode="json", include={"kind", "prompt", "reference_answer", "rubric"})
    return _short_hash(material)


def grade_cache_key(*parts: object) -> str:
    """The full hash of everything a grade depends on; `parts` must be JSON-serialisable."""
    data = json.dumps(list(parts), ensure_ascii=False, sort_keys=True).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()
