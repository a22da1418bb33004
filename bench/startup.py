"""Start-up and grading latency as a candidate sees them, in a real browser.

Prints, for each of `--launches` fresh servers (`serve.py`, a new data directory each time):
- launch -> first question visible, the way the bench always measured it: wait for the server,
  start chromium, open the home page, then open /quiz, set 1 question, press Start and wait for
  "Question 1 sur 1";
- launch -> first question visible when the browser opens a bookmarked /quiz straight away (a second
  fresh server, same steps without the home page).
Each launch counts chromium's own start, as before. Then, on the first launch only, from pressing
Submit to the first grading output on screen and to the full grade, with the embedded grader (no
LLM), first on a cold server (models load) and then warm. Medians are over launches / runs; the
load average is printed, since the machine's other work moves every figure.

Usage: .venv/bin/python bench/startup.py [--launches N] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.services import CHROMIUM, CHROMIUM_ARGS, free_port, start_streamlit, stop, wait_until_healthy  # noqa: E402

ANSWER = (
    "Le RAG récupère des passages pertinents dans une base de connaissances, les ajoute au contexte du "
    "modèle, puis génère une réponse ancrée dans ces passages avec des citations."
)


def open_quiz_and_start(page, url: str) -> None:  # type: ignore[no-untyped-def]
    """Open /quiz, type 1 in the question count, press Start, wait for the question.

    Only Start is pressed: Enter in the count field also submits the form, and doing both starts
    the quiz twice (and can leave Playwright waiting for a Start button that is already gone)."""
    page.goto(f"{url}/quiz")
    page.get_by_label("Nombre de questions").fill("1")
    page.get_by_role("button", name="Commencer").click()
    page.get_by_text("Question 1 sur 1").wait_for()


def one_quiz_question(page, url: str) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """Returns (first question visible, submit -> first grading output, submit -> full grade)."""
    started = time.perf_counter()
    open_quiz_and_start(page, url)
    first_question = time.perf_counter() - started
    page.get_by_label("Votre réponse").fill(ANSWER)
    submitted = time.perf_counter()
    page.get_by_role("button", name="Soumettre").click()
    page.get_by_text("Correction en cours").first.wait_for(timeout=300_000)
    first_output = time.perf_counter() - submitted
    page.get_by_text("Grille de correction").wait_for(timeout=300_000)
    full_grade = time.perf_counter() - submitted
    return first_question, first_output, full_grade


def launch(playwright, *, via_home: bool, runs: int) -> dict:  # type: ignore[no-untyped-def]
    """One fresh server and browser; times are seconds from starting the server process."""
    figures: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        launched = time.perf_counter()
        process = start_streamlit(Path(tmp), port)
        try:
            wait_until_healthy(url, process)
            figures["healthy"] = time.perf_counter() - launched
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            figures["chromium"] = time.perf_counter() - launched - figures["healthy"]
            page = browser.new_page()
            page.set_default_timeout(300_000)
            if via_home:
                page.goto(url)
                page.get_by_text("La banque de questions").first.wait_for()
                figures["home"] = time.perf_counter() - launched
                if runs:
                    figures["cold"] = one_quiz_question(page, url)
                    figures["question"] = figures["home"] + figures["cold"][0]
                    figures["warm"] = [one_quiz_question(page, url) for _ in range(runs)]
                else:
                    open_quiz_and_start(page, url)
                    figures["question"] = time.perf_counter() - launched
            else:
                open_quiz_and_start(page, url)
                figures["question"] = time.perf_counter() - launched
            browser.close()
        finally:
            stop(process)
    return figures


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=3, help="fresh servers per start-up figure")
    parser.add_argument("--runs", type=int, default=3, help="warm grading runs after the cold one (first launch)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"load average at start: {load()}")
    via_home, direct = [], []
    with sync_playwright() as playwright:
        for number in range(args.launches):
            via_home.append(launch(playwright, via_home=True, runs=args.runs if number == 0 else 0))
            direct.append(launch(playwright, via_home=False, runs=0))
            home, straight = via_home[-1], direct[-1]
            print(
                f"launch {number + 1}: server healthy {home['healthy']:5.2f} s,"
                f" chromium start {home['chromium']:5.2f} s, home visible {home['home']:5.2f} s,"
                f" first question via home {home['question']:5.2f} s;"
                f" straight to /quiz {straight['question']:5.2f} s  (load {load()})"
            )

    def median(values) -> float:  # type: ignore[no-untyped-def]
        return statistics.median(values)

    print(f"server healthy after launch (median):           {median(f['healthy'] for f in via_home):6.2f} s")
    print(f"chromium start, counted in each launch (median): {median(f['chromium'] for f in via_home):6.2f} s")
    print(f"home page visible after launch (median):        {median(f['home'] for f in via_home):6.2f} s")
    print(f"launch -> first question visible (median):      {median(f['question'] for f in via_home):6.2f} s")
    print(f"launch -> /quiz -> first question (median):     {median(f['question'] for f in direct):6.2f} s")
    first = via_home[0]
    if "cold" in first:
        cold, warm = first["cold"], first["warm"]
        print(f"first question visible (cold, from open):       {cold[0]:6.2f} s")
        print(f"cold: submit -> first grading output:           {cold[1]:6.2f} s")
        print(f"cold: submit -> full grade (embedded):          {cold[2]:6.2f} s  (loads the embedding model)")
        print(f"warm: first question visible (median):          {median(w[0] for w in warm):6.2f} s")
        print(f"warm: submit -> first output (median):          {median(w[1] for w in warm):6.2f} s")
        print(f"warm: submit -> full grade (median):            {median(w[2] for w in warm):6.2f} s")
    print(f"load average at end: {load()}")


if __name__ == "__main__":
    main()
