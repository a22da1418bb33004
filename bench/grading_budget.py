"""The judge's token budget and the wait it means (issue #17), for `bench/judge.py --budget`.

Counts the hand-written replies of `bench/data/judge_replies/` with SmolLM2's tokenizer: tokens
before the score, in the whole default grade and in the "How do I improve?" reply; then the wait
at 10 tokens/s (a 4B model on a laptop CPU) and 60 tokens/s (on an 8 GB GPU).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from bench.stats import percentile
from evaluators.budget import reply_tokens

ROOT = Path(__file__).resolve().parent.parent
REPLIES_DIR = ROOT / "bench" / "data" / "judge_replies"
AIM_BEFORE_SCORE, AIM_GRADE = 250, 400


def corpus_excerpts(lang: str, count: int = 4, size: int = 500) -> list[str]:
    """Realistic reference excerpts: the first paragraphs of the corpus documents in `lang`."""
    excerpts = []
    for path in sorted((ROOT / "knowledge" / "corpus" / lang).glob("*.md"))[:count]:
        body = path.read_text(encoding="utf-8").split("---", 2)[-1]
        paragraphs = [p.strip() for p in body.split("\n\n") if len(p.strip()) > 200 and not p.startswith("#")]
        if paragraphs:
            excerpts.append(paragraphs[0][:size])
    return excerpts


def measured_budget(rows: list[dict], questions: dict, answers: list[str], count: Callable[[str], int]) -> dict:
    """The constants of `evaluators/budget.py`, recounted: reply tokens, the prompt prefix, a typical answer."""
    from evaluators.guards import sanitize_answer
    from evaluators.judge import build_messages

    prompts = [
        sum(count(str(m.content)) for m in build_messages(q, "", lang, corpus_excerpts(lang), "abcdef"))
        for q in questions.values()
        for lang in ("fr", "en")
    ]
    return {
        "SCORE_TOKENS": round(statistics.median(r["before"] for r in rows)),
        "SCORE_TOKENS_P90": round(percentile([r["before"] for r in rows], 0.9)),
        "GRADE_TOKENS": round(statistics.median(r["grade"] for r in rows)),
        "GRADE_TOKENS_P90": round(percentile([r["grade"] for r in rows], 0.9)),
        "IMPROVE_TOKENS": round(statistics.median(r["improve"] for r in rows)),
        "PROMPT_TOKENS": round(statistics.median(prompts)),
        "ANSWER_TOKENS": round(statistics.median(count(sanitize_answer(a).text) for a in answers)),
    }


def load_replies(folder: Path = REPLIES_DIR) -> list[dict]:
    return [entry for path in sorted(folder.glob("*.yaml")) for entry in yaml.safe_load(path.read_text("utf-8"))]


def count_replies(entries: list[dict], count: Callable[[str], int]) -> list[dict]:
    rows = []
    for entry in entries:
        before, grade, improve = reply_tokens(entry["grade_reply"], entry["improve_reply"], count)
        rows.append({"question": entry["question_id"], "lang": entry["lang"], "before": before, "grade": grade,
                     "improve": improve})  # fmt: skip
    return rows


def print_budget(rows: list[dict], questions: dict) -> None:
    print(f"\n== Judge token budget: {len(rows)} hand-written replies, "
          f"{len({r['question'] for r in rows})} questions (bench/data/judge_replies) ==")  # fmt: skip
    for label, subset in (("all", rows), ("fr", [r for r in rows if r["lang"] == "fr"]),
                          ("en", [r for r in rows if r["lang"] == "en"])):  # fmt: skip
        if not subset:
            continue
        line = [f"  {label:<3} n={len(subset):<3}"]
        for key, name in (("before", "before score"), ("grade", "whole grade"), ("improve", "improve")):
            values = [r[key] for r in subset]
            line.append(f"{name}: median {statistics.median(values):.0f}, p90 {percentile(values, 0.9):.0f}, "
                        f"max {max(values)}")  # fmt: skip
        print(" | ".join(line))
    per_item = [r["before"] / len(questions[r["question"]].rubric) for r in rows if r["question"] in questions]
    print(f"  tokens before the score per rubric item: median {statistics.median(per_item):.0f}")
    before = statistics.median(r["before"] for r in rows)
    grade = statistics.median(r["grade"] for r in rows)
    improve = statistics.median(r["improve"] for r in rows)
    print(
        f"  aim: at most {AIM_BEFORE_SCORE} before the score ({'met' if before <= AIM_BEFORE_SCORE else 'MISSED'}, "
        f"p90 {percentile([r['before'] for r in rows], 0.9):.0f}), at most {AIM_GRADE} in all "
        f"({'met' if grade <= AIM_GRADE else 'MISSED'}, p90 {percentile([r['grade'] for r in rows], 0.9):.0f})"
    )
    for name, speed in (("CPU, 10 tokens/s", 10), ("GPU, 60 tokens/s", 60)):
        print(
            f"  wait on a {name}: score {before / speed:.1f} s, whole grade {grade / speed:.1f} s, "
            f"'How do I improve?' {improve / speed:.1f} s more (generation only; prompt reading comes on top)"
        )


def print_prefix_reuse(settings, questions: dict, answers: list) -> None:  # type: ignore[no-untyped-def]
    """Time to first token of a first answer to a question, then of a second answer to the same question.

    `answers` are graded-set entries; two per question and language are used. Before each pair, one
    call on another question puts a different prompt in the server's cache, as a new question finds it.
    """
    from llm_server.providers import get_chat_model

    print("\n== Prompt prefix reuse: time to first token, llama-cpp-python server, SmolLM2-135M ==")
    model = get_chat_model(settings, max_output_tokens=24)
    by_question: dict[tuple[str, str], list] = {}
    for entry in answers:
        if entry.question_id in questions and not entry.trap:
            by_question.setdefault((entry.question_id, entry.lang), []).append(entry)
    pairs = [(key, found[:2]) for key, found in by_question.items() if len(found) >= 2][:4]
    ratios = []
    for index, ((question_id, lang), (first, second)) in enumerate(pairs):
        question, other = questions[question_id], questions[pairs[index - 1][0][0]]
        _first_token(model, settings, other, second.answer, lang)  # another question's prompt in the cache
        cold = _first_token(model, settings, question, first.answer, lang)
        warm = _first_token(model, settings, question, second.answer, lang)
        ratios.append(warm / cold)
        print(f"  {question_id} ({lang}): first answer {cold:.2f} s, second answer {warm:.2f} s, "
              f"ratio {warm / cold:.2f}")  # fmt: skip
    if ratios:
        print(f"  median ratio second/first: {statistics.median(ratios):.2f} (the prefix the second answer reuses: "
              "instructions, rubric, reference, excerpts)")  # fmt: skip


def _first_token(model, settings, question, answer: str, lang: str) -> float:  # type: ignore[no-untyped-def]
    """Seconds until the first non-empty piece of the judge's reply (the reply is read to its end)."""
    from core.text import fence_token
    from evaluators.guards import sanitize_answer
    from evaluators.judge import build_messages, output_json_schema
    from llm_server.providers import json_schema_call_kwargs

    text = sanitize_answer(answer).text
    messages = build_messages(question, text, lang, corpus_excerpts(lang), fence_token(text))
    kwargs = json_schema_call_kwargs(model, output_json_schema(tuple(i.id for i in question.rubric)), settings)
    started, first = time.perf_counter(), None
    for chunk in model.stream(messages, **kwargs):
        if first is None and chunk.content:
            first = time.perf_counter() - started
    return first if first is not None else float("nan")
