"""Issue #15, run for real: two app servers sharing one PostgreSQL 15 and one Chroma server.

What a coach running a cohort counts on: a question added on server A is asked on server B, a
document uploaded on A is cited on B, attempts from both servers land in PostgreSQL, a server
killed with SIGKILL loses no saved answer, and 40 candidates at once over both servers lose or mix
nothing. `bench/team.py` prints the Submit-to-grade times of the same 40 sessions.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, select

from bench.cluster import (
    TeamCluster,
    concurrent_sessions,
    launch_browser,
    new_page,
    percentile,
    run_async,
    start_quiz,
    team_cluster,
)
from coach.content import shipped_bank
from config import get_settings
from question_bank.transfer import export_yaml
from storage.db import Attempt, KnowledgeDocumentRow

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1500)]
SESSIONS = 40
NEW_QUESTION = "team-rag-on-call-handbook"
NEW_PROMPT = "How would you build a RAG assistant over the on-call handbook of a platform team?"
UPLOAD_NAME = "zephyr-handoff.md"
UPLOAD = b"""# Zephyr handoff protocol

Our agents pass work to each other with the Zephyr handoff protocol: the sender writes a handoff card
with the goal, the facts gathered so far and the open questions, and the receiver must acknowledge
the card before it acts. A handoff card that is not acknowledged within thirty seconds goes back to
the sender.
"""


def coach_question_yaml() -> bytes:
    """A new behavioural RAG question (the only one of its kind), made from a shipped one."""
    question = shipped_bank(get_settings()).get("rag-hybrid-retrieval-rrf")
    assert question is not None
    (row,) = yaml.safe_load(export_yaml([question]))
    row.update(id=NEW_QUESTION, kind="behavioral", topics=["rag"], origin=None, origin_rank=None,
               prompt={"fr": "Comment construiriez-vous un assistant RAG sur le manuel d'astreinte d'une équipe ?",
                       "en": NEW_PROMPT})  # fmt: skip
    return yaml.safe_dump([row], allow_unicode=True, sort_keys=False).encode("utf-8")


async def coach_adds_a_question_and_a_document_on(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = await new_page(browser)
    await page.goto(f"{server}/coach?ui_lang=en&profile=coach-ana")
    await page.get_by_test_id("stRadio").get_by_text("Import / export", exact=True).click()
    await page.locator("input[type=file][accept*='.yaml']").set_input_files(
        files=[{"name": "team.yaml", "mimeType": "application/yaml", "buffer": coach_question_yaml()}]
    )
    await page.get_by_text("team.yaml").wait_for()
    await page.get_by_role("button", name="Import", exact=True).click()
    await page.get_by_text("1 question(s) imported.").wait_for()

    await page.get_by_test_id("stRadio").get_by_text("Documents", exact=True).click()
    await page.locator("input[type=file][accept*='.md']").set_input_files(
        files=[{"name": UPLOAD_NAME, "mimeType": "text/markdown", "buffer": UPLOAD}]
    )
    await page.get_by_text(UPLOAD_NAME).wait_for()
    await page.get_by_role("button", name="Save and index").click()
    await page.get_by_text("Indexing done").wait_for()
    await page.context.close()


async def candidate_on_b_gets_both(server: str, browser) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(the quiz question's text, the Ask page's answer) for a candidate of server B."""
    page = await new_page(browser)
    await start_quiz(page, server, "cand-b", topic="RAG (retrieval-augmented generation)", kind="Behavioral")
    asked = await page.get_by_test_id("stMainBlockContainer").inner_text()
    await page.goto(f"{server}/ask?ui_lang=en&profile=cand-b")
    box = page.get_by_placeholder("Your question about the material")
    await box.fill("What happens to a Zephyr handoff card that is not acknowledged?")
    await box.press("Enter")
    await page.get_by_text("Sources", exact=True).wait_for()
    answered = await page.get_by_test_id("stMainBlockContainer").inner_text()
    await page.context.close()
    return asked, answered


async def answer_then_kill(cluster: TeamCluster, browser, engine) -> str:  # type: ignore[no-untyped-def]
    """A candidate submits on A; A is killed with SIGKILL as soon as the answer is saved; B shows it back."""
    answer = "Kept across a crash: a pending attempt is written before grading starts, then completed."
    page = await new_page(browser)
    await start_quiz(page, cluster.servers[0].url, "survivor")
    await page.get_by_label("Your answer").fill(answer)
    await page.get_by_role("button", name="Submit").click()
    deadline = time.monotonic() + 60
    while not saved_answers(engine, "survivor"):
        assert time.monotonic() < deadline, "the answer never reached PostgreSQL"
        await asyncio.sleep(0.05)
    cluster.kill(0)
    await page.context.close()
    page = await new_page(browser)
    await page.goto(f"{cluster.servers[1].url}/quiz?profile=survivor&ui_lang=en")
    restored = page.get_by_label("Your answer").or_(page.get_by_role("button", name="Next question"))
    await restored.first.wait_for()
    shown = await page.get_by_test_id("stMainBlockContainer").inner_text()
    box = page.get_by_label("Your answer")
    typed = await box.input_value() if await box.count() else ""
    await page.context.close()
    return shown + "\n" + typed


def saved_answers(engine, profile: str) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return list(connection.scalars(select(Attempt.answer).where(Attempt.profile == profile)))


async def scenario(cluster: TeamCluster):  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright

    server_a, server_b = (server.url for server in cluster.servers)
    async with async_playwright() as playwright:
        browser = await launch_browser(playwright)
        await coach_adds_a_question_and_a_document_on(server_a, browser)
        asked, answered = await candidate_on_b_gets_both(server_b, browser)
        await browser.close()
    outcomes = await concurrent_sessions([server_a, server_b], SESSIONS)
    return asked, answered, outcomes


def test_two_app_servers_share_one_postgres_and_one_chroma(tmp_path: Path) -> None:
    with team_cluster(tmp_path) as cluster:
        engine = create_engine(cluster.database_url)
        asked, answered, outcomes = run_async(scenario(cluster))

        assert NEW_PROMPT in asked  # added on A, asked on B
        assert "Zephyr handoff protocol" in answered  # cited by its title, from the upload on A
        with engine.connect() as connection:
            stored = connection.scalars(select(KnowledgeDocumentRow.name)).all()
        assert stored == [UPLOAD_NAME]

        failed = [o for o in outcomes if o.error]
        assert not failed, failed[:3]
        times = [o.seconds for o in outcomes if o.seconds is not None]
        print(f"\n{SESSIONS} sessions: Submit to grade p50 {percentile(times, 0.5):.1f} s, "
              f"p95 {percentile(times, 0.95):.1f} s")  # fmt: skip
        for outcome in outcomes:  # each page shows its own answer and no one else's
            assert f"Signed {outcome.profile}." in outcome.shown, (outcome.profile, outcome.server, outcome.shown)
            others = [o.profile for o in outcomes if o is not outcome and f"Signed {o.profile}." in outcome.shown]
            assert not others, (outcome.profile, others)
        with engine.connect() as connection:
            rows = connection.execute(
                select(Attempt.profile, Attempt.answer, Attempt.status).where(Attempt.profile.like("cand-%"))
            ).all()
        by_profile = {row.profile: row for row in rows if row.profile != "cand-b"}
        assert len(by_profile) == SESSIONS == len([r for r in rows if r.profile != "cand-b"])
        for outcome in outcomes:  # one attempt each, with its own answer, graded
            row = by_profile[outcome.profile]
            assert (row.answer, row.status) == (outcome.answer, "graded")

        restored = run_async(kill_scenario(cluster, engine))
        assert saved_answers(engine, "survivor") == [
            "Kept across a crash: a pending attempt is written before grading starts, then completed."
        ]
        assert "Kept across a crash" in restored
        engine.dispose()


async def kill_scenario(cluster: TeamCluster, engine) -> str:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await launch_browser(playwright)
        try:
            return await answer_then_kill(cluster, browser, engine)
        finally:
            await browser.close()
