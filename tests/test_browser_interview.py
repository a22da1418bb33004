"""A candidate in a real browser: a mock interview, a follow-up, "I don't know", then the report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_one_interview_turn_then_the_report(app_server: str, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{app_server}/interview")
    page.get_by_text("Préparer l'entretien").wait_for()
    count = page.get_by_label("Nombre de questions")
    count.fill("1")
    page.get_by_role("button", name="Commencer l'entretien").click()
    page.get_by_text("Question 1/1.").wait_for()
    page.get_by_text("Bonjour et bienvenue", exact=False).wait_for()

    box = page.get_by_placeholder(re.compile("Votre réponse"))
    box.fill(
        "Un agent combine un LLM qui raisonne, des outils qu'il appelle, une mémoire et une boucle "
        "planifier-agir-observer ; je limiterais les droits des outils."
    )
    box.press("Enter")
    page.get_by_text("Un agent combine un LLM", exact=False).first.wait_for()  # also in its grade view
    probes = r"Allons un peu plus loin|Une question pour creuser"  # the bank's own follow-ups, no LLM
    page.get_by_text(re.compile(probes)).first.wait_for(timeout=180_000)
    page.get_by_text(re.compile(r"Note : \d+,\d/10")).first.wait_for(timeout=180_000)  # the background grade

    page.get_by_role("button", name="Je ne sais pas").click()  # on the follow-up: the interviewer teaches
    page.get_by_role("link", name="Lire dans le cours").first.wait_for(timeout=180_000)
    page.screenshot(path=str(tmp_path / "dont-know.png"), full_page=True)

    # That was the last question's last follow-up: the interview ends and the report follows.
    page.get_by_text("Compte rendu", exact=True).wait_for(timeout=180_000)
    page.get_by_text("Note par question").wait_for()
    assert ".md" not in page.inner_text("body")  # what to read next are links into the course, not file paths
    assert page.locator("a[href*='read?source=']").count() >= 1
    download = page.get_by_role("button", name="Télécharger le compte rendu (Markdown)")
    download.wait_for()
    with page.expect_download() as info:
        download.click()
    report = tmp_path / "report.md"
    info.value.save_as(report)
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Compte rendu de l'entretien simulé") and "Un agent combine un LLM" in text
    assert "« je ne sais pas » à 1 relance" in text  # the follow-up the candidate did not know
    shot = tmp_path / "interview.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
