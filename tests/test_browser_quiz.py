"""A candidate in a real browser: starts a quiz, answers, sees the score and the citations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_answer_one_question_with_the_embedded_grader(app_server: str, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{app_server}/quiz")
    page.get_by_text("Préparer un quiz").wait_for()
    count = page.get_by_label("Nombre de questions")
    count.fill("1")
    page.get_by_role("button", name="Commencer").click()
    page.get_by_text("Question 1 sur 1").wait_for()
    answer = page.get_by_label("Votre réponse")
    answer.fill(
        "Un agent combine un LLM qui raisonne, des outils qu'il appelle, une mémoire et une boucle "
        "planifier-agir-observer. Je limiterais les droits des outils et ajouterais une validation humaine."
    )
    page.get_by_role("button", name="Soumettre").click()
    page.get_by_text(re.compile(r"\d+[.,]\d/10")).first.wait_for(timeout=180_000)
    page.get_by_text("correcteur intégré", exact=False).first.wait_for()
    page.get_by_text("Extraits du cours", exact=True).wait_for(timeout=180_000)
    page.get_by_text("Lire le passage entier").first.click()
    shot = tmp_path / "quiz-graded.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert page.get_by_text("Grille de correction").is_visible()
