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


def test_a_profile_in_the_url_survives_home_buttons_and_page_changes(app_server: str, page) -> None:  # type: ignore[no-untyped-def]
    """Home's "Start a quiz" once failed with 'Cannot clear query parameters' when ?profile= was set,
    and a quick click could drop the profile (the answers then went to the default profile)."""
    page.goto(f"{app_server}/?profile=alice&ui_lang=en")
    page.get_by_text("Today", exact=True).wait_for()
    page.get_by_role("button", name="Start a quiz").click()
    page.get_by_text("Set up a quiz").wait_for()
    assert page.get_by_text("StreamlitAPIException").count() == 0
    assert "profile=alice" in page.url and "ui_lang=en" in page.url
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Progress", exact=True).click()  # the sidebar's own navigation
    page.get_by_text("No attempts yet for profile “alice”", exact=False).wait_for()
    assert sidebar.get_by_label("Profile", exact=True).input_value() == "alice"
    assert "profile=alice" in page.url
