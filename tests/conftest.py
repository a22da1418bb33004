"""Shared fixtures. Every test gets its own data directory: no test touches ~/.agentprep."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from config import get_settings

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def agentprep_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data directory per test, and settings re-read from the environment."""
    data_dir = tmp_path_factory.mktemp("agentprep-data")
    monkeypatch.setenv("AGENTPREP_DATA_DIR", str(data_dir))
    monkeypatch.setenv("AGENTPREP_INDEX_ON_START", "false")  # no background indexing per AppTest
    for name in ("AGENTPREP_DATABASE_URL", "AGENTPREP_CHROMA_URL", "AGENTPREP_CHROMA_HOST",
                 "AGENTPREP_COACH_PASSWORD", "AGENTPREP_COACH_PASSWORD_HASH", "OLLAMA_HOST"):
        monkeypatch.delenv(name, raising=False)
    # A developer's .env must not leak into the tests.
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


from browser_support import app_server, chromium_browser, free_port, page  # noqa: E402,F401 - shared fixtures


@pytest.fixture
def no_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    """An Ollama URL nothing listens on: the app falls back to templates and the embedded grader."""
    monkeypatch.setenv("AGENTPREP_OLLAMA_URL", f"http://127.0.0.1:{free_port()}")
    get_settings.cache_clear()
from grading_fixtures import llama_server  # noqa: E402,F401 - one SmolLM2 server per session
from page_services import page_services  # noqa: E402,F401 - the Services page tests put behind the pages
from postgres_support import postgres_url  # noqa: E402,F401
