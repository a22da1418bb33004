"""Issue #17: the token budget the Settings page's waits come from is the measured one."""

from __future__ import annotations

import pytest
import yaml
from browser_support import smollm2_gguf

from bench.grading_budget import count_replies, load_replies, measured_budget
from config import PROJECT_ROOT, get_settings
from core.types import Verdict
from evaluators import budget
from evaluators.evidence import quote_in_answer
from evaluators.guards import fold_for_matching, sanitize_answer
from evaluators.harness import load_graded_set
from evaluators.judge import QUOTE_MAX_WORDS, REASON_MAX_WORDS, REASON_MAX_WORDS_MET
from evaluators.judge_reply import parse_reply
from question_bank import QuestionBank

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def count_tokens():  # type: ignore[no-untyped-def]
    from llama_cpp import Llama

    tokenizer = Llama(model_path=str(smollm2_gguf()), vocab_only=True, verbose=False)
    return lambda text: len(tokenizer.tokenize(text.encode("utf-8"), add_bos=False))


def test_the_budget_constants_are_the_counts_of_the_hand_written_replies(count_tokens) -> None:  # type: ignore[no-untyped-def]
    questions = {q.id: q for q in QuestionBank.load(get_settings().bank_dir, lenient=True).questions}
    entries = load_replies()
    assert len(entries) >= 40 and len({e["question_id"] for e in entries}) >= 20
    assert {e["lang"] for e in entries} == {"fr", "en"}
    rows = count_replies(entries, count_tokens)
    answers, _ = load_graded_set(PROJECT_ROOT / "tests" / "data" / "independent")
    assert len(answers) >= 200
    measured = measured_budget(rows, questions, [a.answer for a in answers], count_tokens)
    assert {name: getattr(budget, name) for name in measured} == measured


def _words(text: str) -> int:
    return sum(any(ch.isalnum() for ch in word) for word in text.split())


def test_the_hand_written_replies_follow_the_prompt_they_are_counted_for() -> None:
    """Each reply parses, quotes its answer exactly within the word limits, and has no quote for an item not met."""
    questions = {q.id: q for q in QuestionBank.load(get_settings().bank_dir, lenient=True).questions}
    sources: dict[str, list[dict]] = {}
    for entry in load_replies():
        path, index = entry["source"].rsplit("#", 1)
        if path not in sources:
            sources[path] = yaml.safe_load((PROJECT_ROOT / path).read_text(encoding="utf-8"))
        graded = sources[path][int(index)]
        assert (graded["question_id"], graded["lang"]) == (entry["question_id"], entry["lang"])
        question, answer = questions[entry["question_id"]], sanitize_answer(graded["answer"]).text
        criteria = parse_reply(entry["grade_reply"], question).criteria
        for position, item in enumerate(question.rubric):
            verdict = getattr(criteria, f"item_{position}")
            where = f"{entry['source']} {item.id}"
            assert (verdict.quote == "") == (verdict.verdict == Verdict.not_met), where
            assert verdict.quote in answer and _words(verdict.quote) <= QUOTE_MAX_WORDS, where
            assert not verdict.quote or quote_in_answer(verdict.quote, fold_for_matching(answer)), where
            limit = REASON_MAX_WORDS_MET if verdict.verdict == Verdict.met else REASON_MAX_WORDS
            assert 0 < _words(verdict.reason) <= limit, where


def test_model_sizes_are_read_from_their_names() -> None:
    assert budget.model_size_b("qwen3:4b") == 4
    assert budget.model_size_b("Qwen/Qwen2.5-1.5B-Instruct") == 1.5
    assert budget.model_size_b("llama3.1:8b-instruct-q4_K_M") == 8
    assert budget.model_size_b("SmolLM2-135M-Instruct.Q4_K_M.gguf") == 0.135
    assert budget.model_size_b("mistral") is None


def test_waits_grow_with_the_model_and_a_second_answer_waits_less_than_a_first() -> None:
    small, large = budget.expected_waits("qwen3:4b"), budget.expected_waits("qwen3:8b")
    assert small is not None and large is not None and budget.expected_waits("mistral") is None
    for a, b in zip(small, large, strict=True):
        assert a.hardware == b.hardware and b.score_s > a.score_s
        assert a.score_s < a.first_score_s and a.score_s < a.grade_s
    cpu = small[0]
    assert cpu.hardware == "cpu_laptop"
    assert cpu.score_s == pytest.approx(budget.ANSWER_TOKENS / 60 + budget.SCORE_TOKENS / 10)


def test_a_model_too_big_for_a_gpu_says_so() -> None:
    waits = {w.hardware: w for w in budget.expected_waits("qwen3:14b")}
    assert not waits["gpu_8gb"].fits and waits["cpu_laptop"].fits and waits["server"].fits
    assert all(w.fits for w in budget.expected_waits("qwen3:8b"))
