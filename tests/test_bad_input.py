"""Hostile or broken text wherever a candidate types: a clear grade or message, never a crash."""

from __future__ import annotations

import pytest

from config import PROJECT_ROOT, get_settings
from evaluators.service import grade_answer
from practice.grading import GradingOptions, Submission, submit_answer
from question_bank import QuestionBank
from storage.attempts import AttemptStore
from storage.scheduling import ReviewScheduler
from ui.render import escape_markdown, safe_model_markdown
from ui.session import clean_profile_name

BANK = QuestionBank.load(PROJECT_ROOT / "question_bank" / "bank", PROJECT_ROOT / "knowledge" / "corpus")
QUESTION = BANK.get("aii-20-rag")

NASTY_ANSWERS = {
    "empty": "",
    "whitespace": " \n\t \u3000 ",
    "control characters": "RAG\x00\x07\x1b[31m retrieves\x08 passages\x7f",
    "lone surrogate (invalid UTF-8 from a form)": "RAG \udcff retrieves passages",
    "right-to-left and emoji": "\u202eRAG 🤖🔎 يسترجع المقاطع ثم يولّد 📚",
    "one megabyte": "retrieval augmented generation " * 35_000,
    "markdown and html": "<script>alert(1)</script> [x](javascript:alert(1)) ![t](http://evil/p.png) # H1",
}


@pytest.mark.parametrize("label", list(NASTY_ANSWERS))
def test_the_embedded_grader_answers_every_nasty_input(label: str) -> None:
    grade = grade_answer(QUESTION, NASTY_ANSWERS[label], settings=get_settings(), grader="embedded")
    assert 0 <= grade.score <= 10
    assert len(grade.criteria) == len(QUESTION.rubric)
    if label in ("empty", "whitespace"):
        assert grade.score == 0 and "empty_answer" in grade.flags
    if label == "one megabyte":
        assert "truncated" in grade.flags


@pytest.mark.parametrize("label", ["control characters", "lone surrogate (invalid UTF-8 from a form)", "one megabyte"])
def test_nasty_answers_are_saved_and_graded(label: str) -> None:
    settings = get_settings()
    store = AttemptStore(settings.sqlalchemy_url)
    submission = Submission(profile="mallory", question=QUESTION, answer=NASTY_ANSWERS[label], lang="en")
    scheduler = ReviewScheduler(settings.sqlalchemy_url)
    run = submit_answer(
        submission, store=store, scheduler=scheduler, settings=settings, options=GradingOptions(grader="embedded")
    )
    assert store.get(run.attempt_id).status == "pending"  # saved before any grading
    events = list(run)
    assert events[-1].kind == "grade", events[-1]
    saved = store.get(run.attempt_id)
    assert saved.status == "graded"
    assert len(saved.answer) >= len(NASTY_ANSWERS[label]) - 2  # kept whole, not only what was graded


def test_candidate_text_is_shown_literally() -> None:
    shown = escape_markdown("<script>alert(1)</script> [x](javascript:alert(1)) # title *bold*")
    assert "<script>" not in shown and "\\<script\\>" in shown
    assert "\\[x\\]\\(javascript:alert\\(1\\)\\)" in shown
    assert "\\# title \\*bold\\*" in shown


def test_model_text_keeps_markdown_but_loses_html_and_images() -> None:
    shown = safe_model_markdown("**Good** <img src=x onerror=alert(1)> ![p](http://evil/p.png) costs $5")
    assert shown.startswith("**Good**")
    assert "<img" not in shown and "evil" not in shown and "\\$5" in shown


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("  alice  ", "alice"), ("../../etc/passwd", "....etcpasswd"), ("<b>bob</b>", "bbobb"), ("", "default"),
     ("é" * 100, "é" * 40), ("x\x00y", "xy")],
)  # fmt: skip
def test_profile_names_are_labels_not_paths_or_markup(raw: str, expected: str) -> None:
    assert clean_profile_name(raw) == expected
