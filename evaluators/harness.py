"""Measure a grader against human scores: `python cli.py judge eval --set tests/data/graded`.

A grader is only trustworthy if its scores rank answers the way a strict interviewer would
(Spearman), agree on the 0-10 scale (quadratic weighted kappa, mean absolute error), and stay low
on the traps that fool graders: keyword lists, fluent emptiness, injections, one-liners, off-topic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from config import Settings
from question_bank.model import CalibrationSample, Question

LOW_TRAPS = ("keyword_stuffing", "verbose_empty", "injection", "one_word", "off_topic")


@dataclass(frozen=True)
class GradedEntry:
    """One answer a human graded, from `tests/data/graded/*.yaml`."""

    question_id: str
    lang: str
    answer: str
    human_score: float
    trap: str | None
    note: str
    source: str
    part: str = ""
    """The sub-folder of the set the entry came from ("tuning", "heldout"), if any."""


@dataclass
class EvalReport:
    injection_max_score: float | None = None
    trap_max_scores: dict[str, float] = field(default_factory=dict)
    fallbacks: int = 0
    examples_shown: int = 0
    skipped: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    """One per graded entry: the figures below are all computed from these."""

    @property
    def n(self) -> int:
        return len(self.rows)

    @property
    def spearman(self) -> float:
        return _raw_agreement(self.rows)[0]

    @property
    def qwk(self) -> float:
        return _raw_agreement(self.rows)[1]

    @property
    def mae(self) -> float:
        return _raw_agreement(self.rows)[2]

    def summary(self) -> dict[str, Any]:
        """The figures `judge eval --json` prints: agreement overall, per language and per part
        (the sub-folders of the set, such as tuning/ and heldout/), and the traps' scores."""
        traps: dict[str, list[float]] = {}
        for row in self.rows:
            if row["trap"]:
                traps.setdefault(row["trap"], []).append(row["score"])
        parts = sorted({r["part"] for r in self.rows if r.get("part")})
        languages = [lang for lang in ("fr", "en") if any(r.get("lang") == lang for r in self.rows)]
        return {
            **agreement(self.rows),
            "by_language": {lang: agreement(self.rows, lang=lang) for lang in languages},
            **({"by_part": {part: _part_figures(self.rows, part) for part in parts}} if len(parts) > 1 else {}),
            "injection_max_score": self.injection_max_score,
            "trap_max_scores": self.trap_max_scores,
            "trap_mean_scores": {trap: round(sum(v) / len(v), 2) for trap, v in sorted(traps.items())},
            "fallbacks": self.fallbacks,
            "examples_shown": self.examples_shown,
            "skipped": len(self.skipped),
        }


def agreement(rows: list[dict[str, Any]], *, lang: str | None = None) -> dict[str, Any]:
    """How close the machine's scores are to the human ones on `rows` (one language if given).

    Besides Spearman, QWK and MAE: the mean signed error (negative = harsher than the person),
    the mean score given to answers a person scored 9-10 (a strong answer scored 6 loses a
    candidate), and how many grades were off by 3 or more while saying "high" confidence.
    """
    rows = [r for r in rows if lang is None or r.get("lang") == lang]
    if not rows:
        return {"n": 0}
    rho, qwk, mae = _raw_agreement(rows)
    top = [r["score"] for r in rows if r["human"] >= 9]
    confident_misses = [r for r in rows if r.get("confidence") == "high" and abs(r["score"] - r["human"]) >= 3]
    return {
        "n": len(rows),
        "spearman": round(rho, 3),
        "qwk": round(qwk, 3),
        "mae": round(mae, 2),
        "mean_error": round(sum(r["score"] - r["human"] for r in rows) / len(rows), 2),
        "top_answers_mean_score": round(sum(top) / len(top), 2) if top else None,
        "confident_and_off_by_3": len(confident_misses),
    }


def _raw_agreement(rows: list[dict[str, Any]]) -> tuple[float, float, float]:
    """Spearman, quadratic weighted kappa and MAE of the machine's scores against the human ones."""
    if not rows:
        return math.nan, math.nan, math.nan
    human, machine = [r["human"] for r in rows], [r["score"] for r in rows]
    qwk = quadratic_weighted_kappa([_round_half_up(h) for h in human], [_round_half_up(m) for m in machine])
    return spearman(human, machine), qwk, sum(abs(m - h) for h, m in zip(human, machine, strict=True)) / len(rows)


def _part_figures(rows: list[dict[str, Any]], part: str) -> dict[str, Any]:
    mine = [r for r in rows if r.get("part") == part]
    return {**agreement(mine), "by_language": {lang: agreement(mine, lang=lang) for lang in ("fr", "en")}}


def load_graded_set(path: Path) -> tuple[list[GradedEntry], list[str]]:
    """Entries from one YAML file or every `*.yaml` under a folder, and the problems found on the way.

    Files in sub-folders (tests/data/independent/tuning, .../heldout) carry the sub-folder as their
    part, so `judge eval` reports each part's figures beside the whole.
    """
    files = sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
    entries: list[GradedEntry] = []
    problems: list[str] = []
    if not path.exists():
        return [], [f"{path}: no such file or folder"]
    for file in files:
        part = str(file.parent.relative_to(path)) if path.is_dir() and file.parent != path else ""
        name = f"{part}/{file.name}" if part else file.name
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            problems.append(f"{file.name}: cannot read ({str(exc).splitlines()[0]})")
            continue
        if isinstance(data, dict):
            data = data.get("entries") or data.get("answers") or []
        if not isinstance(data, list):
            problems.append(f"{file.name}: expected a list of entries")
            continue
        for position, raw in enumerate(data, start=1):
            try:
                entries.append(
                    GradedEntry(
                        question_id=str(raw["question_id"]),
                        lang=str(raw.get("lang") or "en"),
                        answer=str(raw.get("answer") or ""),
                        human_score=float(raw["human_score"]),
                        trap=raw.get("trap") or None,
                        note=str(raw.get("note") or ""),
                        source=f"{name}#{position}",
                        part=part,
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(f"{file.name} entry {position}: missing or invalid {exc}")
    return entries, problems


def _ranks(values: list[float]) -> list[float]:
    """1-based ranks, ties sharing their average rank (as scipy.stats.rankdata does)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def _round_half_up(score: float) -> int:
    """5.5 -> 6 (Python's round() would give 6 but 4.5 -> 4)."""
    return math.floor(score + 0.5)


def spearman(x: list[float], y: list[float]) -> float:
    """Spearman's rho: Pearson correlation of the ranks; NaN when either side is constant."""
    if len(x) != len(y) or len(x) < 2:
        return math.nan
    rx, ry = _ranks(x), _ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx, vy = sum((a - mx) ** 2 for a in rx), sum((b - my) ** 2 for b in ry)
    return cov / math.sqrt(vx * vy) if vx and vy else math.nan


def quadratic_weighted_kappa(a: list[int], b: list[int], low: int = 0, high: int = 10) -> float:
    """Cohen's kappa with quadratic weights on integer scores in [low, high]: 1 = perfect agreement."""
    size = high - low + 1
    observed = [[0.0] * size for _ in range(size)]
    for i, j in zip(a, b, strict=True):
        observed[min(max(i, low), high) - low][min(max(j, low), high) - low] += 1
    total = len(a)
    if total == 0:
        return math.nan
    row = [sum(r) for r in observed]
    col = [sum(observed[i][j] for i in range(size)) for j in range(size)]
    numerator = denominator = 0.0
    for i in range(size):
        for j in range(size):
            weight = (i - j) ** 2 / (size - 1) ** 2
            numerator += weight * observed[i][j]
            denominator += weight * row[i] * col[j] / total
    return 1.0 - numerator / denominator if denominator else math.nan


def with_entries_as_samples(questions: dict[str, Question], entries: list[GradedEntry]) -> dict[str, Question]:
    """Each question with the graded set's answers to it added to its calibration samples.

    The judge then sees, for each answer, the two closest *other* graded answers to the same
    question (an answer is never its own example: see `evaluators.examples`), as it would see a
    coach's samples in use: a leave-one-out measure of what the examples are worth.
    """
    samples: dict[str, list[CalibrationSample]] = {qid: list(q.calibration) for qid, q in questions.items()}
    for entry in entries:
        known = samples.get(entry.question_id)
        if known is None or not entry.answer.strip() or entry.lang not in ("fr", "en"):
            continue
        if all((s.lang, s.answer.strip()) != (entry.lang, entry.answer.strip()) for s in known):
            known.append(CalibrationSample(lang=entry.lang, answer=entry.answer, expected_score=entry.human_score))
    return {qid: q.model_copy(update={"calibration": samples[qid]}) for qid, q in questions.items()}


def evaluate(
    entries: list[GradedEntry],
    questions: dict[str, Question],
    settings: Settings,
    grader: str = "embedded",
    *,
    use_examples: bool = True,
) -> EvalReport:
    """Grade every entry whose question is in the bank and compare with the human scores.

    `use_examples` lets the LLM judge see each question's closest calibration samples (the
    embedded grader never uses them).
    """
    from evaluators.service import grade_answer

    report = EvalReport()
    for entry in entries:
        question = questions.get(entry.question_id)
        if question is None:
            report.skipped.append(f"{entry.source}: unknown question {entry.question_id!r}")
            continue
        grade = grade_answer(
            question,
            entry.answer,
            settings=settings,
            grader=grader,  # type: ignore[arg-type]
            use_examples=use_examples,
            expected_lang=entry.lang,
            fresh=True,
        )
        report.fallbacks += bool(grade.fallback_reason)
        report.examples_shown += grade.calibration_examples
        report.rows.append(
            {
                "source": entry.source,
                "part": getattr(entry, "part", ""),  # calibration samples have no part
                "question_id": entry.question_id,
                "lang": entry.lang,
                "trap": entry.trap,
                "human": entry.human_score,
                "score": grade.score,
                "grader": grade.grader,
                "confidence": grade.confidence.value,
                "flags": [f.value for f in grade.flags],
            }
        )
        if entry.trap:
            report.trap_max_scores[entry.trap] = max(report.trap_max_scores.get(entry.trap, 0.0), grade.score)
    report.injection_max_score = report.trap_max_scores.get("injection")
    return report
