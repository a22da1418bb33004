"""The judge's measuring stick: metrics, graded-set loading, and an evaluation run."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from grading_fixtures import GOOD_ANSWER_EN, GOOD_ANSWER_FR, INJECTION_EN, QUESTION, WEAK_ANSWER_EN

from config import Settings
from evaluators.harness import evaluate, load_graded_set, quadratic_weighted_kappa, spearman


def test_spearman_matches_reference_values_including_ties() -> None:
    assert spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(0.8207826816681233)  # scipy.stats.spearmanr
    assert spearman([1, 2, 2, 3, 9, 4], [2, 1, 3, 3, 8, 5]) == pytest.approx(0.8676470588235294)
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(spearman([1, 2, 3], [4, 4, 4]))


def test_quadratic_weighted_kappa_on_known_cases() -> None:
    assert quadratic_weighted_kappa([0, 3, 7, 10], [0, 3, 7, 10]) == pytest.approx(1.0)
    assert quadratic_weighted_kappa([0, 0, 10, 10], [0, 10, 0, 10]) == pytest.approx(0.0)  # independent
    assert quadratic_weighted_kappa([0, 10], [10, 0]) < 0
    near = quadratic_weighted_kappa([2, 5, 8, 9], [3, 5, 7, 9])
    far = quadratic_weighted_kappa([2, 5, 8, 9], [9, 2, 5, 3])
    assert 0.8 < near < 1 and far < near


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_folder_loads_every_file_and_reports_bad_entries(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "- {question_id: q1, lang: en, answer: A, human_score: 7, trap: null, note: ok}\n")
    write(tmp_path / "b.yaml", "entries:\n  - {question_id: q2, lang: fr, answer: B, human_score: 2, trap: one_word}\n"
          "  - {question_id: q3, answer: C}\n")  # fmt: skip
    write(tmp_path / "broken.yaml", "- [unclosed\n")
    entries, problems = load_graded_set(tmp_path)
    assert [(e.question_id, e.human_score, e.trap, e.source) for e in entries] == [
        ("q1", 7.0, None, "a.yaml#1"), ("q2", 2.0, "one_word", "b.yaml#1"),
    ]  # fmt: skip
    assert any(p.startswith("b.yaml entry 2") and "human_score" in p for p in problems)
    assert any(p.startswith("broken.yaml: cannot read") for p in problems)
    single, _ = load_graded_set(tmp_path / "a.yaml")
    assert [e.question_id for e in single] == ["q1"]
    assert load_graded_set(tmp_path / "missing") == ([], [f"{tmp_path / 'missing'}: no such file or folder"])


def test_evaluate_ranks_answers_and_reports_traps(agentprep_data_dir: Path) -> None:
    rows = [
        (QUESTION.id, "en", 9, None, GOOD_ANSWER_EN),
        (QUESTION.id, "fr", 9, None, GOOD_ANSWER_FR),
        (QUESTION.id, "en", 2, None, WEAK_ANSWER_EN),
        (QUESTION.id, "en", 0, "one_word", "RRF"),
        (QUESTION.id, "en", 1, "injection", "I would use a vector database." + INJECTION_EN),
        ("no-such-question", "en", 5, None, "anything"),
    ]
    graded = agentprep_data_dir / "graded.yaml"
    keys = ("question_id", "lang", "human_score", "trap", "answer")
    write(graded, yaml.safe_dump([dict(zip(keys, row, strict=True)) for row in rows], allow_unicode=True))
    entries, problems = load_graded_set(graded)
    assert not problems
    report = evaluate(entries, {QUESTION.id: QUESTION}, Settings(data_dir=agentprep_data_dir), grader="embedded")
    assert report.n == 5 and len(report.skipped) == 1 and "no-such-question" in report.skipped[0]
    assert report.spearman > 0.7 and report.mae < 3
    assert report.trap_max_scores["one_word"] == 0
    assert report.injection_max_score is not None and report.injection_max_score <= 2
    summary = report.summary()
    assert set(summary) >= {"n", "spearman", "qwk", "mae", "injection_max_score"}
    assert [row["grader"] for row in report.rows] == ["embedded"] * 5


def test_parts_and_languages_get_their_own_figures(agentprep_data_dir: Path) -> None:
    """tuning/ and heldout/ of one folder are reported apart: figures on fitted data flatter."""
    keys = ("question_id", "lang", "human_score", "answer")
    parts = {
        "tuning": [(QUESTION.id, "en", 9, GOOD_ANSWER_EN), (QUESTION.id, "en", 2, WEAK_ANSWER_EN)],
        "heldout": [(QUESTION.id, "fr", 9, GOOD_ANSWER_FR), (QUESTION.id, "en", 0, "RRF")],
    }
    for part, rows in parts.items():
        (agentprep_data_dir / "set" / part).mkdir(parents=True)
        write(agentprep_data_dir / "set" / part / "a.yaml",
              yaml.safe_dump([dict(zip(keys, r, strict=True)) for r in rows], allow_unicode=True))  # fmt: skip
    entries, problems = load_graded_set(agentprep_data_dir / "set")
    assert not problems and [e.source for e in entries] == ["heldout/a.yaml#1", "heldout/a.yaml#2",
                                                            "tuning/a.yaml#1", "tuning/a.yaml#2"]  # fmt: skip
    report = evaluate(entries, {QUESTION.id: QUESTION}, Settings(data_dir=agentprep_data_dir), grader="embedded")
    summary = report.summary()
    assert set(summary["by_part"]) == {"tuning", "heldout"} and summary["by_part"]["heldout"]["n"] == 2
    assert summary["by_language"]["fr"]["n"] == 1 and summary["by_language"]["en"]["n"] == 3
    by_hand = sum(r["score"] - r["human"] for r in report.rows) / 4
    assert summary["mean_error"] == round(by_hand, 2)
    heldout_rows = [r for r in report.rows if r["part"] == "heldout"]
    assert summary["by_part"]["heldout"]["mae"] == round(sum(abs(r["score"] - r["human"]) for r in heldout_rows) / 2, 2)
