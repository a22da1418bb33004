"""A bookmarked page opened first on a fresh server still gets the app's sidebar and navigation."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import free_port, start_streamlit, stop, wait_until_healthy

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_deep_link_on_a_fresh_server_runs_the_entry_point(chromium_browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    process = start_streamlit(tmp_path, port)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, process)
        page = chromium_browser.new_page()
        page.set_default_timeout(60_000)
        page.goto(f"{url}/progress")  # the very first request of this server
        page.get_by_text("Aucune tentative pour le profil").wait_for()
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_text("Langue").wait_for()
        assert sidebar.get_by_text("Entretien simulé").is_visible()  # titles from app.py's st.navigation
        assert sidebar.get_by_text("progress", exact=True).count() == 0  # not the automatic file names
        page.screenshot(path=str(tmp_path / "deep-link.png"))
        page.close()
    finally:
        stop(process)
