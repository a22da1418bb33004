"""A real app server and a real browser for end-to-end tests.

`app_server` runs `streamlit run app.py` on a free localhost port, with its own data directory and
an LLM URL that nothing listens on, so grading falls back to the embedded grader (and says so).
`page` is a Playwright page in Debian's chromium (Playwright cannot download browsers here).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.services import (  # noqa: F401 - re-exported for the tests
    CHROMIUM,
    CHROMIUM_ARGS,
    PROJECT_ROOT,
    free_port,
    llama_cpp_server,
    running_app,
    smollm2_gguf,
    start_streamlit,
    stop,
    wait_until_healthy,
)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_app(tmp_path_factory.mktemp("browser-data")) as url:
        yield url


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium_browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()
