"""`cli.py grade` and `cli.py judge eval`, driven through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from grading_fixtures import GOOD_ANSWER_EN, INJECTION_EN, QUESTION, WEAK_ANSWER_EN, free_port

from cli import cli
from config import get_settings


@pytest.fixture
def bank_with_test_question(agentprep_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A bank holding only the test question, and no LLM server (a closed port)."""
    bank = agentprep_data_dir / "bank"
    bank.mkdir()
    (bank / f"{QUESTION.id}.yaml").write_text(
        yaml.safe_dump(QUESTION.model_dump(mode="json", exclude_none=True), allow_unicode=True), encoding="utf-8"
    )
    monkeypatch.setenv("AGENTPREP_BANK_DIR", str(bank))
    monkeypatch.setenv("AGENTPREP_OLLAMA_URL", f"http://127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    return bank


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_grade_prints_the_grade_as_json(bank_with_test_question: Path) -> None:
    code, out, _ = run("grade", "--question", QUESTION.id, "--answer", GOOD_ANSWER_EN, "--grader", "embedded", "--json")
    assert code == 0
    grade = json.loads(out)
    assert 0 <= grade["score"] <= 10 and grade["score"] >= 6
    assert grade["grader"] == "embedded"
    assert [c["id"] for c in grade["criteria"]] == ["two-retrievers", "rrf", "measure"]
    assert all(c["verdict"] in {"met", "partly_met", "not_met"} for c in grade["criteria"])
    assert grade["feedback"] and grade["flags"] == []


def test_an_injected_answer_is_flagged_in_the_json(bank_with_test_question: Path) -> None:
    code, out, _ = run("grade", "--question", QUESTION.id, "--answer", WEAK_ANSWER_EN + INJECTION_EN, "--json")
    grade = json.loads(out)
    assert code == 0 and "prompt_injection" in grade["flags"] and grade["score"] <= 2
    assert grade["grader"] == "embedded" and "ollama serve" in grade["fallback_reason"]  # auto, no server


def test_the_ad_hoc_form_lets_a_coach_try_a_rubric(tmp_path: Path, bank_with_test_question: Path) -> None:
    answer_file = tmp_path / "answer.txt"
    answer_file.write_text("Temperature rescales the logits before softmax; 0 means greedy decoding.", encoding="utf-8")
    code, out, _ = run(
        "grade", "--prompt", "What does temperature do?", "--reference", "Temperature divides the logits before "
        "the softmax: low values sharpen the distribution, 0 is greedy decoding.",
        "--key-point", "Temperature rescales the logits before the softmax.",
        "--key-point", "Temperature 0 means greedy, deterministic decoding.",
        "--answer-file", str(answer_file), "--grader", "embedded",
    )  # fmt: skip
    assert code == 0
    assert out.startswith("Score: about ") and "key-point-1" in out and "key-point-2" in out and "Feedback:" in out
    assert "±1.0" in out and "confidence: high" not in out  # the measured margin; never "high" without an LLM


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--question", QUESTION.id], "exactly one of --answer"),
        (["--question", QUESTION.id, "--answer", "x", "--answer-file", __file__], "exactly one of --answer"),
        (["--prompt", "P", "--answer", "x"], "Give --question ID, or all of"),
        (["--question", QUESTION.id, "--prompt", "P", "--answer", "x"], "not both"),
    ],
)
def test_bad_usage_is_explained(args: list[str], message: str, bank_with_test_question: Path) -> None:
    code, _, err = run("grade", *args)
    assert code == 2 and message in err


def test_an_unknown_question_id_exits_2_with_a_hint(bank_with_test_question: Path) -> None:
    code, _, err = run("grade", "--question", "test-hybrid", "--answer", "x")
    assert code == 2 and "No question 'test-hybrid'" in err and QUESTION.id in err


def test_judge_eval_prints_the_figures_for_a_file_or_a_folder(tmp_path: Path, bank_with_test_question: Path) -> None:
    folder = tmp_path / "graded"
    folder.mkdir()
    entries = [
        {"question_id": QUESTION.id, "lang": "en", "answer": GOOD_ANSWER_EN, "human_score": 9, "trap": None},
        {"question_id": QUESTION.id, "lang": "en", "answer": WEAK_ANSWER_EN, "human_score": 2, "trap": None},
    ]
    (folder / "one.yaml").write_text(yaml.safe_dump(entries), encoding="utf-8")
    injected = [{"question_id": QUESTION.id, "lang": "en", "answer": "I use a vector store." + INJECTION_EN,
                 "human_score": 1, "trap": "injection"}]  # fmt: skip
    (folder / "two.yaml").write_text(yaml.safe_dump(injected), encoding="utf-8")
    code, out, _ = run("judge", "eval", "--set", str(folder), "--json")
    figures = json.loads(out)
    assert code == 0 and figures["n"] == 3
    assert figures["spearman"] > 0.8 and figures["injection_max_score"] <= 2
    assert {"qwk", "mae"} <= set(figures)
    code, out, _ = run("judge", "eval", "--set", str(folder / "one.yaml"), "--json", "--grader", "embedded")
    assert code == 0 and json.loads(out)["n"] == 2 and json.loads(out)["injection_max_score"] is None


def test_judge_eval_can_use_the_coaches_calibration_samples(bank_with_test_question: Path) -> None:
    question_file = bank_with_test_question / f"{QUESTION.id}.yaml"
    data = yaml.safe_load(question_file.read_text(encoding="utf-8"))
    data["calibration"] = [
        {"lang": "en", "answer": GOOD_ANSWER_EN, "expected_score": 9},
        {"lang": "en", "answer": WEAK_ANSWER_EN, "expected_score": 2},
        {"lang": "en", "answer": "No idea.", "expected_score": 0},
    ]
    question_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    code, out, _err = run("judge", "eval", "--calibration", "--json")
    assert code == 0
    assert json.loads(out)["n"] == 3
    code, _out, err = run("judge", "eval")
    assert code == 2 and "--calibration" in err


def test_judge_eval_compares_the_judge_with_and_without_coach_examples(
    bank_with_test_question: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fake_judge import HonestFakeJudge

    seen: list[str] = []

    class CountingJudge(HonestFakeJudge):
        def reply(self, messages):  # type: ignore[no-untyped-def]
            seen.append(str(messages[-1].content))
            return super().reply(messages)

    monkeypatch.setattr("llm_server.providers.get_chat_model", lambda *a, **k: CountingJudge())
    graded = tmp_path / "graded.yaml"
    graded.write_text(yaml.safe_dump([
        {"question_id": QUESTION.id, "lang": "en", "answer": GOOD_ANSWER_EN, "human_score": 9},
        {"question_id": QUESTION.id, "lang": "en", "answer": WEAK_ANSWER_EN, "human_score": 2},
        {"question_id": QUESTION.id, "lang": "en", "answer": "BM25 alone, no fusion, never measured.",
         "human_score": 3},
    ]), encoding="utf-8")  # fmt: skip
    code, out, _ = run("judge", "eval", "--set", str(graded), "--grader", "llm", "--json")
    assert code == 0
    figures = json.loads(out)
    assert figures["without_examples"]["n"] == figures["with_examples"]["n"] == 3
    assert figures["without_examples"]["examples_shown"] == 0 and figures["with_examples"]["examples_shown"] == 6
    with_examples = [prompt for prompt in seen if "coach score" in prompt]
    assert len(seen) == 6 and len(with_examples) == 3
    assert all(prompt.count("coach score") == 2 for prompt in with_examples)
    assert "coach score 9.0/10" not in with_examples[0]  # leave-one-out: never its own grade
    code, out, _ = run("judge", "eval", "--set", str(graded), "--grader", "embedded", "--json")
    assert code == 0 and "examples_shown" in json.loads(out) and "with_examples" not in json.loads(out)


def test_a_batch_is_graded_in_order_with_errors_in_place(tmp_path: Path, bank_with_test_question: Path) -> None:
    lines = [
        {"question": QUESTION.id, "answer": GOOD_ANSWER_EN, "lang": "en"},
        {"question": QUESTION.id, "answer": WEAK_ANSWER_EN},
        {"question": "no-such-question", "answer": "x"},
        {"prompt": "What does temperature do?", "reference": "Temperature divides the logits before the softmax.",
         "key_points": ["Temperature rescales the logits before the softmax."],
         "answer": "Temperature rescales the logits before the softmax; low values make sampling greedier."},
        {"prompt": "Q", "reference": "R", "answer": "no key points"},
    ]  # fmt: skip
    batch = tmp_path / "class.jsonl"
    batch.write_text("\n".join([*(json.dumps(x) for x in lines[:2]), "", "{oops", *(json.dumps(x) for x in lines[2:])]))
    code, out, err = run("grade", "--batch", str(batch), "--grader", "embedded", "--json")
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["line"] for r in results] == [1, 2, 4, 5, 6, 7]  # the blank line 3 is skipped, nothing else
    good, weak, bad_json, unknown, adhoc, no_points = results
    single = json.loads(run("grade", "--question", QUESTION.id, "--answer", GOOD_ANSWER_EN, "--grader", "embedded",
                            "--json")[1])  # fmt: skip
    assert good["score"] == single["score"] and good["score"] > weak["score"]  # same grade as one at a time
    assert "not valid JSON" in bad_json["error"] and "no-such-question" in unknown["error"]
    assert adhoc["question_id"] == "adhoc" and adhoc["score"] > 0
    assert "key_points" in no_points["error"]
    assert code == 1 and "3 line(s) could not be graded" in err


def test_a_batch_refuses_other_inputs(tmp_path: Path, bank_with_test_question: Path) -> None:
    batch = tmp_path / "class.jsonl"
    batch.write_text("{}\n")
    code, _, err = run("grade", "--batch", str(batch), "--answer", "x")
    assert code == 2 and "give no other input" in err
