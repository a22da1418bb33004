"""A team deployment on one machine, and candidates and coaches driving it in a real browser.

`team_cluster` starts what `deploy/compose.yaml` describes, minus the containers: one PostgreSQL 15,
one `chroma run`, the `setup` step (`cli.py index`: migrate and index once) and two `serve.py` app
servers that share both, each with its own data directory (nothing shared lives there). The
browser helpers are async Playwright calls in Debian's chromium, so dozens of candidates can work
at once from one process. `tests/test_team_deployment.py` and `bench/team.py` both use them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.services import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PROJECT_ROOT,
    chroma_server,
    free_port,
    postgres_server,
    start_streamlit,
    stop,
    wait_until_healthy,
)

GRADE_TIMEOUT_MS = 300_000
"""How long a page waits for a grade: 40 candidates on 2 cores queue behind each other."""
ARRIVAL_GAP_S = 0.5
"""Seconds between two candidates' arrivals in `concurrent_sessions`: 40 arrive within 20 s."""


@dataclass
class AppServer:
    url: str
    process: subprocess.Popen
    data_dir: Path


@dataclass
class TeamCluster:
    database_url: str
    chroma_url: str
    servers: list[AppServer] = field(default_factory=list)

    def kill(self, index: int) -> None:
        """Stop one app server the hard way (SIGKILL): no clean-up, no flush, as a crash or an OOM kill."""
        process = self.servers[index].process
        os.kill(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def team_cluster(root: Path, servers: int = 2) -> Iterator[TeamCluster]:
    """PostgreSQL, a Chroma server, the index built once, then `servers` app servers sharing them."""
    with postgres_server() as database_url, chroma_server(root / "chroma") as chroma_url:
        shared = {"AGENTPREP_DATABASE_URL": database_url, "AGENTPREP_CHROMA_URL": chroma_url}
        setup_dir = root / "setup"
        setup_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, str(PROJECT_ROOT / "cli.py"), "index"], cwd=PROJECT_ROOT, check=True,
            env={**os.environ, **shared, "AGENTPREP_DATA_DIR": str(setup_dir), "HF_HUB_OFFLINE": "1"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        cluster = TeamCluster(database_url, chroma_url)
        try:
            for number in range(servers):
                port, data_dir = free_port(), root / f"server-{number}"
                process = start_streamlit(data_dir, port, shared)
                cluster.servers.append(AppServer(f"http://127.0.0.1:{port}", process, data_dir))
            for server in cluster.servers:
                wait_until_healthy(server.url, server.process, timeout_s=120)
            yield cluster
        finally:
            for server in cluster.servers:
                if server.process.poll() is None:
                    stop(server.process)


async def launch_browser(playwright):  # type: ignore[no-untyped-def]
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


async def new_context(browser):  # type: ignore[no-untyped-def]
    return await browser.new_context(viewport={"width": 1300, "height": 1000}, locale="en-US")


async def new_page(browser, context=None):  # type: ignore[no-untyped-def]
    """A page (a tab): its own Streamlit session, whatever context it is in. In its own context
    unless one is given; tabs of one context share the browser's cache, as a class in one room would not."""
    page = await (context or await new_context(browser)).new_page()
    page.set_default_timeout(GRADE_TIMEOUT_MS)
    return page


async def start_quiz(page, server: str, profile: str, topic: str | None = None, kind: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Open the quiz page as `profile` (English UI), pick a topic and a kind if given, start, see the first question."""
    await page.goto(f"{server}/quiz?profile={profile}&ui_lang=en")
    for label, option in (("Topics", topic), ("Kinds", kind)):
        if option is not None:
            await page.get_by_test_id("stMultiSelect").filter(has_text=label).click()
            await page.get_by_role("option", name=option).click()
            await page.keyboard.press("Escape")
    await page.get_by_role("button", name="Start").click()
    await page.get_by_label("Your answer").wait_for()


async def submit_answer(page, answer: str) -> float:  # type: ignore[no-untyped-def]
    """Type and submit an answer; the seconds from the click on Submit to the grade on screen."""
    await page.get_by_label("Your answer").fill(answer)
    started = time.perf_counter()
    await page.get_by_role("button", name="Submit").click()
    await page.get_by_role("button", name="Next question").wait_for()
    return time.perf_counter() - started


@dataclass(frozen=True)
class SessionOutcome:
    profile: str
    server: str
    answer: str
    seconds: float | None  # Submit to grade; None if the session failed
    shown: str  # the page's text once graded
    error: str | None = None


def session_answer(profile: str) -> str:
    """An answer that names its author, so a grade or an attempt shown to the wrong candidate is caught."""
    return (f"Answer written by {profile}. I would split the work into steps, give the agent a few narrow tools, "
            f"check each tool result, keep a short memory of what was done, and stop after a set number of "
            f"steps; then I would measure it on a small test set. Signed {profile}.")  # fmt: skip


async def candidate_session(  # type: ignore[no-untyped-def]
    context, server: str, profile: str, delay_s: float = 0.0, screenshots: Path | None = None
) -> SessionOutcome:
    """One candidate in a tab of `context`, arriving after `delay_s`: open the quiz, answer the
    first question, wait for the grade (a screenshot if it fails)."""
    answer = session_answer(profile)
    await asyncio.sleep(delay_s)
    page = await new_page(None, context)
    try:
        await start_quiz(page, server, profile)
        seconds = await submit_answer(page, answer)
        shown = ""
        for _ in range(60):  # the page reruns once the grade is stored: read it once it is drawn again
            shown = await page.get_by_test_id("stMainBlockContainer").inner_text()
            if f"Signed {profile}." in shown:
                break
            await asyncio.sleep(0.5)
        return SessionOutcome(profile, server, answer, seconds, shown)
    except Exception as exc:  # reported by the caller: one failed session must not hide the others
        if screenshots is not None:
            await page.screenshot(path=str(screenshots / f"{profile}.png"), full_page=True)
        return SessionOutcome(profile, server, answer, None, "", f"{type(exc).__name__}: {exc}")
    finally:
        await page.close()


async def concurrent_sessions(
    servers: list[str], count: int, prefix: str = "cand", screenshots: Path | None = None
) -> list[SessionOutcome]:
    """`count` candidates working at once, spread over `servers` in turn, one arriving every
    ARRIVAL_GAP_S (people do not all click in the same instant), each in a tab of their own (a
    Streamlit session of their own). The tabs share one browser context, hence one download of the
    app's scripts: every browser runs on this machine, whose two cores the servers need too."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await launch_browser(playwright)
        context = await new_context(browser)
        try:
            return list(await asyncio.gather(*(
                candidate_session(context, servers[n % len(servers)], f"{prefix}-{n:02d}", n * ARRIVAL_GAP_S,
                                  screenshots)
                for n in range(count)
            )))  # fmt: skip
        finally:
            await browser.close()


def run_async(coroutine):  # type: ignore[no-untyped-def]
    """`asyncio.run` in a thread of its own: a sync Playwright elsewhere in the process (the browser
    tests' shared browser) keeps an event loop running in the main thread, where asyncio.run refuses."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def percentile(values: list[float], share: float) -> float:
    """The `share` quantile (0.5 = median), by the inclusive method; needs at least two values."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[round(share * 100) - 1]
