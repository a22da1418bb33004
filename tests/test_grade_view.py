"""The grade view a candidate reads, rendered with Streamlit's AppTest from a real embedded grade."""

from __future__ import annotations

import re
from pathlib import Path

from grading_fixtures import GOOD_ANSWER_EN, GOOD_ANSWER_FR, QUESTION
from streamlit.testing.v1 import AppTest

from config import Settings
from evaluators.next_steps import evidence_spans, next_steps
from evaluators.service import grade_answer

PASSAGES = [
    "Reciprocal rank fusion merges the rankings of BM25 and the dense retriever.",
    "Measure recall at k on a labelled test set before and after a retrieval change.",
]


def view(grade_json: str, lang: str, answer: str) -> None:  # runs inside AppTest
    from core.types import Grade
    from ui.grade_view import render_grade

    # no passages: their links need the app's pages (tests/test_app_pages.py checks them there)
    render_grade(Grade.model_validate_json(grade_json), lang, answer=answer)


def rendered(grade, lang: str, answer: str) -> AppTest:  # type: ignore[no-untyped-def]
    at = AppTest.from_function(view, args=(grade.model_dump_json(), lang, answer)).run()
    assert not at.exception
    return at


def test_one_origin_line_the_estimate_its_error_and_coach_details_apart(agentprep_data_dir: Path) -> None:
    grade = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=Settings(data_dir=agentprep_data_dir), grader="embedded")
    at = rendered(grade, "en", GOOD_ANSWER_EN)
    markdown = " ".join(m.value for m in at.markdown)
    assert "Score: :" in markdown and f"about {grade.score:.1f}/10, give or take {grade.error_margin:.1f}" in markdown
    captions = [c.value for c in at.caption]
    assert sum("Graded by" in c for c in captions) == 1
    origin = next(c for c in captions if "Graded by" in c)
    assert "Confidence: medium" in origin and "covers, not whether it is right" in origin
    assert re.search(r":green-background\[\*\*\S[^\]]*\S\*\*\]", markdown)  # earned-credit sentences, bold
    assert "Covered" in markdown and "question_vocabulary" not in markdown and "rubric " not in " ".join(captions)
    details = [e for e in at.expander if e.label == "Details for coaches"]
    assert details and '"signals"' in " ".join(c.value for c in at.get("code"))


def test_the_french_view_is_in_french_and_next_steps_point_to_passages(agentprep_data_dir: Path) -> None:
    settings = Settings(data_dir=agentprep_data_dir)
    weak = "Je combinerais BM25 et des vecteurs denses dans le moteur de recherche."
    grade = grade_answer(QUESTION, weak, settings=settings, grader="embedded", expected_lang="fr")
    at = rendered(grade, "fr", weak)
    markdown = " ".join(m.value for m in at.markdown)
    assert "Note : " in markdown and "Pour progresser" in markdown and "À travailler :" in markdown
    assert f"environ {grade.score:.1f}".replace(".", ",") in markdown
    assert not any(word in markdown for word in ("Covered", "Missing", "Next steps", "about "))
    assert [e.label for e in at.expander if e.label == "Détails pour les coachs"]
    good = grade_answer(QUESTION, GOOD_ANSWER_FR, settings=settings, grader="embedded")
    assert "Traité" in " ".join(m.value for m in rendered(good, "fr", GOOD_ANSWER_FR).markdown)


def test_next_steps_take_the_heaviest_open_points_and_their_passage(agentprep_data_dir: Path) -> None:
    weak = "I would put BM25 next to vector search."
    grade = grade_answer(QUESTION, weak, settings=Settings(data_dir=agentprep_data_dir), grader="embedded")
    steps = next_steps(grade, PASSAGES)
    open_ids = [c for c in grade.criteria if c.credit < 0.7]  # TUNING.met_credit
    assert 1 <= len(steps) <= 3 and len(steps) == min(3, len(open_ids))
    heaviest_first = sorted(open_ids, key=lambda c: -(c.weight * (1 - c.credit)))
    assert [s.point for s in steps] == [c.text for c in heaviest_first][:3]
    assert next_steps(grade, []) and all(s.passage is None for s in next_steps(grade, []))


def test_evidence_spans_mark_quotes_in_order_and_skip_what_is_not_there() -> None:
    answer = "BM25 finds exact terms. Dense vectors find paraphrases. Fusion merges both."
    pieces = evidence_spans(answer, ["dense vectors find paraphrases", "not in the answer", "Fusion merges"])
    assert "".join(p for p, _ in pieces) == answer
    assert [p for p, marked in pieces if marked] == ["Dense vectors find paraphrases", "Fusion merges"]


def test_a_one_word_answer_scores_a_plain_zero_not_an_estimate(agentprep_data_dir: Path) -> None:
    from ui.grade_view import score_line

    settings = Settings(data_dir=agentprep_data_dir)
    one_word = grade_answer(QUESTION, "RAG", settings=settings, grader="embedded", expected_lang="en")
    assert one_word.score == 0 and score_line(one_word, "en") == "0.0/10"
    good = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="embedded")
    assert score_line(good, "fr").startswith("environ ") and "à ± 1,0 près" in score_line(good, "fr")
