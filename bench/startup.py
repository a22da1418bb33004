"""Start-up and grading latency as a candidate sees them, in a real browser.

Prints: seconds from launching `streamlit run app.py` to the first question visible in chromium,
then from pressing Submit to the first grading output on screen and to the full grade, with the
embedded grader (no LLM), first on a cold server (models load) and then warm.

Usage: .venv/bin/python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from browser_support import CHROMIUM, CHROMIUM_ARGS, free_port, start_streamlit, stop, wait_until_healthy  # noqa: E402

ANSWER = (
    "Le RAG récupère des passages pertinents dans une base de connaissances, les ajoute au contexte du "
    "modèle, puis génère une réponse ancrée dans ces passages avec des citations."
)


def one_quiz_question(page, url: str) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """Returns (first question visible, submit -> first grading output, submit -> full grade)."""
    started = time.perf_counter()
    page.goto(f"{url}/quiz")
    count = page.get_by_label("Nombre de questions")
    count.fill("1")
    count.press("Enter")
    page.get_by_role("button", name="Commencer").click()
    page.get_by_text("Question 1 sur 1").wait_for()
    first_question = time.perf_counter() - started
    page.get_by_label("Votre réponse").fill(ANSWER)
    submitted = time.perf_counter()
    page.get_by_role("button", name="Soumettre").click()
    page.get_by_text("Correction en cours").first.wait_for(timeout=300_000)
    first_output = time.perf_counter() - submitted
    page.get_by_text("Grille de correction").wait_for(timeout=300_000)
    full_grade = time.perf_counter() - submitted
    return first_question, first_output, full_grade


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="warm runs after the cold one")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        launched = time.perf_counter()
        process = start_streamlit(data_dir, port)
        try:
            wait_until_healthy(url, process)
            healthy = time.perf_counter() - launched
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                page = browser.new_page()
                page.set_default_timeout(300_000)
                page.goto(url)
                page.get_by_text("La banque de questions").first.wait_for()
                home_visible = time.perf_counter() - launched
                cold = one_quiz_question(page, url)
                warm = [one_quiz_question(page, url) for _ in range(args.runs)]
                browser.close()
        finally:
            stop(process)
    print(f"server healthy after launch:              {healthy:6.2f} s")
    print(f"home page visible after launch:           {home_visible:6.2f} s")
    print(f"first question visible (cold, from open): {cold[0]:6.2f} s")
    print(f"launch -> first question visible:         {home_visible + cold[0]:6.2f} s")
    print(f"cold: submit -> first grading output:     {cold[1]:6.2f} s")
    print(f"cold: submit -> full grade (embedded):    {cold[2]:6.2f} s  (loads the embedding model, builds the index)")
    if warm:
        print(f"warm: first question visible (median):    {statistics.median(w[0] for w in warm):6.2f} s")
        print(f"warm: submit -> first output (median):    {statistics.median(w[1] for w in warm):6.2f} s")
        print(f"warm: submit -> full grade (median):      {statistics.median(w[2] for w in warm):6.2f} s")


if __name__ == "__main__":
    main()
