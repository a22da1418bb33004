"""How soon a brand-new server answers "Ask the material" with citations (issue #15, item 4).

For each of `--launches` fresh servers (`serve.py`, a new empty data directory each time, no LLM
reachable, so the page answers with the cited passages alone), prints, in seconds from starting the
server process:
- server healthy (Streamlit answers /_stcore/health);
- the Ask page visible in chromium (the browser is started before the server, so its own start-up
  is not counted: a candidate's browser is already open);
- the first answer's citations on screen ("Sources" and passage [1]), after typing a question at once;
and the submit -> citations time. Then, without a browser:
- `cli.py search QUERY` on a brand-new data directory (the shipped corpus loaded without an index
  step), as a subprocess, wall time;
- `KnowledgeStore.prepare()` on a new store in this process (the load from the shipped vectors),
  and the first search after it (BM25 index and query encoder built).
The load average is printed: the machine's other work moves every figure.

Usage: .venv/bin/python bench/ready.py [--launches N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.services import CHROMIUM, CHROMIUM_ARGS, free_port, start_streamlit, stop, wait_until_healthy  # noqa: E402

QUESTION = "Comment fonctionne la Reciprocal Rank Fusion en recherche hybride ?"
PLACEHOLDER = "Votre question sur le cours"  # ask_placeholder, fr (the default language)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def launch(browser) -> dict:  # type: ignore[no-untyped-def]
    figures: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        page = browser.new_page()
        page.set_default_timeout(180_000)
        launched = time.perf_counter()
        process = start_streamlit(Path(tmp), port)
        try:
            wait_until_healthy(url, process)
            figures["healthy"] = time.perf_counter() - launched
            page.goto(f"{url}/ask")
            box = page.get_by_placeholder(PLACEHOLDER)
            box.wait_for()
            figures["page"] = time.perf_counter() - launched
            box.fill(QUESTION)
            submitted = time.perf_counter()
            box.press("Enter")
            page.get_by_text("Sources", exact=True).wait_for()
            page.get_by_text("[1]").first.wait_for()
            done = time.perf_counter()
            figures["answer"], figures["submit_to_answer"] = done - launched, done - submitted
            figures["caption"] = page.get_by_text("Aucun modèle joignable").count() > 0
        finally:
            page.close()
            stop(process)
    return figures


def cli_search_on_a_new_data_dir() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "AGENTPREP_DATA_DIR": tmp, "HF_HUB_OFFLINE": "1"}
        started = time.perf_counter()
        command = [sys.executable, str(ROOT / "cli.py"), "search", "Reciprocal Rank Fusion", "-k", "3"]
        result = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        if result.returncode != 0 or not result.stdout.startswith("1. "):
            raise RuntimeError(f"cli.py search failed: {result.stdout}{result.stderr}")
        print(f"  first hit: {result.stdout.splitlines()[0]}")
        return elapsed


def prepare_in_process() -> tuple[float, float, int]:
    from config import Settings
    from knowledge.retrieval import HybridRetriever
    from knowledge.store import KnowledgeStore

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        store = KnowledgeStore(Settings(_env_file=None, data_dir=Path(tmp)))
        report = store.prepare()
        prepared = time.perf_counter() - started
        started = time.perf_counter()
        HybridRetriever(store).search("Reciprocal Rank Fusion", k=3)
        searched = time.perf_counter() - started
        assert report is not None and report.chunks_embedded == 0 and "torch" not in sys.modules
        return prepared, searched, report.chunks_shipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"load average at start: {load()}  ({os.cpu_count()} cores)")
    runs = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for number in range(args.launches):
            runs.append(launch(browser))
            f = runs[-1]
            print(f"launch {number + 1}: healthy {f['healthy']:5.2f} s, Ask page {f['page']:5.2f} s, "
                  f"citations {f['answer']:5.2f} s (submit -> citations {f['submit_to_answer']:5.2f} s), "
                  f"'no model' caption: {f['caption']}  (load {load()})")  # fmt: skip
        browser.close()
    labels = {"healthy": "server healthy", "page": "Ask page visible", "answer": "first answer with citations",
              "submit_to_answer": "submit -> citations"}  # fmt: skip
    for key, label in labels.items():
        print(f"{label + ' (median):':40s} {statistics.median(f[key] for f in runs):6.2f} s")
    print("cli.py search on a new data directory:")
    print(f"{'  wall time:':40s} {cli_search_on_a_new_data_dir():6.2f} s")
    prepared, searched, chunks = prepare_in_process()
    print(f"{'prepare() on a new store:':40s} {prepared:6.2f} s  ({chunks} chunks from the shipped vectors)")
    print(f"{'first search after it:':40s} {searched:6.2f} s  (no torch loaded)")
    print(f"load average at end: {load()}")


if __name__ == "__main__":
    main()
