"""Grade consistency: the same answers graded R times each, and the spread of their scores.

For N answers of tests/data/graded (not traps, French and English, the same ones every run), each
graded R times:
- LLM judge, the real small model (SmolLM2-135M behind llama-cpp-python's OpenAI-compatible server,
  as in bench/judge.py), without a cache (every call reaches the model) and with a grade cache (the
  first call grades, the next ones must come from the cache);
- embedded grader, without a cache (`fresh=True`, every call grades again) and with a grade cache.

Prints per answer: question id, language, the R scores and their spread (max - min); then per grader
and mode: mean and worst spread, mean latency. A grade by the embedded grader when the LLM was asked
means the model's reply was unusable (or late): those fallbacks are counted apart and left out of
the LLM's spread.

Usage: .venv/bin/python bench/consistency.py [--set tests/data/graded] [--answers 5] [--repeats 5] [--skip-llm]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import Settings, get_settings  # noqa: E402
from evaluators.cache import GradeCache  # noqa: E402
from evaluators.harness import GradedEntry, load_graded_set  # noqa: E402
from evaluators.judge import MAX_OUTPUT_TOKENS  # noqa: E402
from evaluators.service import grade_answer  # noqa: E402
from llm_server.providers import get_chat_model  # noqa: E402
from question_bank import QuestionBank  # noqa: E402
from question_bank.model import Question  # noqa: E402


def bench_judge_module() -> ModuleType:
    """bench/judge.py, for its small-model server and reference excerpts (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_judge", ROOT / "bench" / "judge.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Run:
    score: float
    grader: str
    cached: bool
    latency_s: float
    fallback_reason: str | None = None
    reasoning: str = ""


@dataclass
class Series:
    """The R grades of one answer by one grader in one mode."""

    entry: GradedEntry
    runs: list[Run] = field(default_factory=list)

    def scores(self, grader: str | None = None) -> list[float]:
        return [r.score for r in self.runs if grader is None or r.grader == grader]

    def spread(self, grader: str | None = None) -> float | None:
        scores = self.scores(grader)
        return max(scores) - min(scores) if scores else None


def pick_entries(entries: list[GradedEntry], questions: dict[str, Question], count: int) -> list[GradedEntry]:
    """Non-trap answers to bank questions, one file after another, English and French in turn."""
    by_file: dict[str, list[GradedEntry]] = {}
    for entry in entries:
        if entry.question_id in questions and not entry.trap and len(entry.answer.split()) >= 5:
            by_file.setdefault(entry.source.split("#")[0], []).append(entry)
    files = sorted(by_file)
    chosen: list[GradedEntry] = []
    turn = 0
    while len(chosen) < count and any(by_file.values()):
        pool = by_file[files[turn % len(files)]]
        wanted = ("en", "fr")[len(chosen) % 2]
        pick = next((e for e in pool if e.lang == wanted), pool[0] if pool else None)
        if pick is not None:
            pool.remove(pick)
            chosen.append(pick)
        turn += 1
    return chosen


def grade_series(
    entries: list[GradedEntry], questions: dict[str, Question], repeats: int, label: str, **kwargs: Any
) -> list[Series]:
    """Grade every entry `repeats` times with the same arguments; print each run as it ends."""
    excerpts_for = kwargs.pop("excerpts_for", None)
    result = []
    for entry in entries:
        series = Series(entry)
        excerpts = excerpts_for(entry.lang) if excerpts_for else ()
        for _ in range(repeats):
            started = time.perf_counter()
            grade = grade_answer(
                questions[entry.question_id], entry.answer, excerpts=excerpts, expected_lang=entry.lang, **kwargs
            )
            elapsed = time.perf_counter() - started
            run = Run(grade.score, grade.grader, grade.cached, elapsed, grade.fallback_reason, grade.reasoning)
            series.runs.append(run)
            fallback = f"  [fallback: {run.fallback_reason[:80]}]" if run.fallback_reason else ""
            print(f"    [{label}] {entry.question_id} ({entry.lang}): {run.grader} {run.score:g}"
                  f"{' cached' if run.cached else ''} in {run.latency_s:.2f} s{fallback}", flush=True)  # fmt: skip
        result.append(series)
    return result


def print_table(title: str, all_series: list[Series], expected_grader: str) -> dict[str, Any]:
    """Per answer: the R scores and their spread; then the summary line. Returns the summary figures."""
    print(f"\n== {title} ==")
    for series in all_series:
        marks = " ".join(
            f"{r.score:4.1f}{('c' if r.cached else '') + ('*' if r.grader != expected_grader else ''):<1}"
            for r in series.runs
        )
        spread = series.spread(expected_grader)
        shown = f"{spread:.1f}" if spread is not None else "n/a"
        texts = {r.reasoning for r in series.runs if r.grader == "llm"}
        distinct = f"  ({len(texts)} distinct reasoning texts)" if expected_grader == "llm" else ""
        print(f"  {series.entry.question_id:<40} {series.entry.lang}  {marks}  spread {shown}{distinct}")
    spreads = [s for s in (series.spread(expected_grader) for series in all_series) if s is not None]
    runs = [r for series in all_series for r in series.runs]
    fallbacks = [r for r in runs if r.grader != expected_grader]
    cached = [r for r in runs if r.cached]
    summary = {
        "mean_spread": statistics.mean(spreads) if spreads else None,
        "worst_spread": max(spreads) if spreads else None,
        "seen_spread": max((s.spread() or 0.0) for s in all_series),  # what a candidate sees, fallbacks included
        "mean_latency_s": statistics.mean(r.latency_s for r in runs),
        "cached_latency_ms": statistics.mean(r.latency_s for r in cached) * 1000 if cached else None,
        "cached": len(cached),
        "fallbacks": len(fallbacks),
        "runs": len(runs),
        "llm": expected_grader == "llm",
    }
    print(f"  {expected_grader} spread over {len(spreads)} answers: "
          + (f"mean {summary['mean_spread']:.2f}, worst {summary['worst_spread']:.1f}" if spreads else "no grade")
          + (f"; spread seen (fallbacks included) worst {summary['seen_spread']:.1f}" if fallbacks else "")
          + f"; mean latency {summary['mean_latency_s']:.2f} s"
          + (f"; cached grades {len(cached)}/{len(runs)}, mean {summary['cached_latency_ms']:.1f} ms" if cached else "")
          + (f"; fallbacks to embedded {len(fallbacks)}/{len(runs)}" if summary["llm"] else ""))  # fmt: skip
    values = {r.score for r in runs if r.grader == expected_grader}
    if len(values) == 1 and len(all_series) > 1:
        print(f"  note: every {expected_grader} score is {values.pop():g}, so a spread of 0 here says the scores sit"
              " at one value, not that the grader is stable between them")  # fmt: skip
    return summary


def check_cached(all_series: list[Series], label: str) -> None:
    """With a cache, every run after the first must be a cached grade equal to the first."""
    for series in all_series:
        first, rest = series.runs[0], series.runs[1:]
        if first.fallback_reason:
            print(f"  note ({label}): {series.entry.question_id} fell back to the embedded grader, which is never"
                  " cached, so its later runs asked the model again")  # fmt: skip
            continue
        bad = [r for r in rest if not r.cached or r.score != first.score]
        if bad:
            print(f"  FAIL ({label}): {series.entry.question_id}: {len(bad)} of {len(rest)} repeats not served"
                  " from the cache with the first score")  # fmt: skip


def bench_embedded(entries: list[GradedEntry], questions: dict[str, Question], repeats: int) -> list[tuple]:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-consistency-"))
    settings: Settings = get_settings().model_copy(update={"data_dir": data_dir})
    warm = entries[0]
    grade_answer(questions[warm.question_id], warm.answer, settings=settings, grader="embedded",
                 cache=GradeCache(f"sqlite:///{data_dir / 'warm-up.db'}"))  # fmt: skip
    print(f"\n-- embedded grader: {len(entries)} answers x {repeats} (model loaded first) --")
    fresh = grade_series(entries, questions, repeats, "embedded, no cache", settings=settings, grader="embedded",
                         cache=GradeCache(f"sqlite:///{data_dir / 'fresh.db'}"), fresh=True)  # fmt: skip
    cached = grade_series(entries, questions, repeats, "embedded, cache", settings=settings, grader="embedded",
                          cache=GradeCache(f"sqlite:///{data_dir / 'cached.db'}"))  # fmt: skip
    check_cached(cached, "embedded, cache")
    return [("embedded grader, no cache (fresh=True)", fresh, "embedded"),
            ("embedded grader, grade cache", cached, "embedded")]  # fmt: skip


def bench_llm(entries: list[GradedEntry], questions: dict[str, Question], repeats: int) -> list[tuple]:
    bench_judge = bench_judge_module()
    with bench_judge.small_model_server() as settings:
        model = get_chat_model(settings, max_output_tokens=MAX_OUTPUT_TOKENS)
        print(f"\n-- LLM judge, {settings.model} on llama-cpp-python (max {MAX_OUTPUT_TOKENS} output tokens, "
              f"4 reference excerpts): {len(entries)} answers x {repeats} --")  # fmt: skip
        common = {"settings": settings, "grader": "llm", "chat_model": model,
                  "excerpts_for": bench_judge.corpus_excerpts}  # fmt: skip
        no_cache = grade_series(entries, questions, repeats, "llm, no cache", cache=None, **common)
        cache = GradeCache(f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-consistency-llm-')) / 'cache.db'}")
        with_cache = grade_series(entries, questions, repeats, "llm, cache", cache=cache, **common)
    check_cached(with_cache, "llm, cache")
    return [("LLM judge, no cache (every call reaches the model)", no_cache, "llm"),
            ("LLM judge, grade cache", with_cache, "llm")]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=ROOT / "tests" / "data" / "graded", help="graded answers")
    parser.add_argument("--answers", type=int, default=5, help="how many answers (default 5)")
    parser.add_argument("--repeats", type=int, default=5, help="grades of each answer per grader and mode (default 5)")
    parser.add_argument("--skip-llm", action="store_true", help="only the embedded grader (fast, no model server)")
    args = parser.parse_args()
    if args.answers < 1 or args.repeats < 2:
        parser.error("--answers must be at least 1 and --repeats at least 2")
    settings = get_settings()
    questions = {q.id: q for q in QuestionBank.load(settings.bank_dir, lenient=True).questions}
    entries, problems = load_graded_set(args.set)
    for problem in problems:
        print(f"warning: {problem}")
    chosen = pick_entries(entries, questions, args.answers)
    print(f"answers: {', '.join(f'{e.source} ({e.question_id}, {e.lang})' for e in chosen)}")
    tables = bench_embedded(chosen, questions, args.repeats)
    if not args.skip_llm:
        tables += bench_llm(chosen, questions, args.repeats)
    print("\n(scores: 'c' = served from the grade cache, '*' = embedded fallback, left out of that grader's spread)")
    summaries = [(title, print_table(title, series, grader)) for title, series, grader in tables]
    print("\n== Summary: spread = max - min score of one answer over its repeats ==")
    for title, s in summaries:
        spread = "n/a" if s["mean_spread"] is None else f"mean {s['mean_spread']:.2f}, worst {s['worst_spread']:.1f}"
        cached = "" if s["cached_latency_ms"] is None else f", cached grade {s['cached_latency_ms']:.1f} ms"
        fallbacks = f"; fallbacks {s['fallbacks']}/{s['runs']}" if s["llm"] else ""
        print(f"  {title:<52} spread {spread}; mean latency {s['mean_latency_s']:.2f} s{cached}{fallbacks}")


if __name__ == "__main__":
    main()
