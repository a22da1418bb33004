"""Issue #15: each candidate's settings persist, and a coach sets server-wide defaults."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from config import PROJECT_ROOT, get_settings
from practice.user_settings import clean_choices, save_choices, save_server_defaults, saved_choices
from storage.preferences import PreferenceStore

APP = str(PROJECT_ROOT / "app.py")


def store() -> PreferenceStore:
    return PreferenceStore(get_settings().sqlalchemy_url)


def test_only_sound_choices_are_kept() -> None:
    raw = {"provider": "evil", "model": "qwen3:4b", "llm_timeout_s": 10**9, "grader_mode": "embedded",
           "ollama_url": "x" * 600, "openai_api_key": "sk-secret", "data_dir": "/etc"}  # fmt: skip
    assert clean_choices(raw) == {"model": "qwen3:4b", "grader_mode": "embedded"}
    assert clean_choices("not a dict") == {}


def test_a_candidates_choices_sit_on_top_of_the_coachs_defaults_without_copying_them() -> None:
    preferences = store()
    save_server_defaults(preferences, {"model": "qwen3:4b", "grader_mode": "embedded"})
    save_choices(preferences, "ana", {"model": "llama3.2:3b"})
    assert saved_choices(preferences, "ana") == {"model": "llama3.2:3b", "grader_mode": "embedded"}
    assert saved_choices(preferences, "ben") == {"model": "qwen3:4b", "grader_mode": "embedded"}
    save_server_defaults(preferences, {"grader_mode": "auto"})  # the coach changes their mind
    assert saved_choices(preferences, "ana") == {"model": "llama3.2:3b", "grader_mode": "auto"}


def open_page(page: str, profile: str = "default") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["profile"] = profile
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_the_grading_mode_chosen_in_settings_is_there_in_the_next_session() -> None:
    at = open_page("pages/settings.py", "ana")
    at.radio[0].set_value("embedded").run()
    assert saved_choices(store(), "ana")["grader_mode"] == "embedded"
    again = open_page("pages/settings.py", "ana")  # a refresh, another day, another app server
    assert again.radio[0].value == "embedded"
    assert open_page("pages/settings.py", "ben").radio[0].value == "auto"  # another candidate's own


def test_a_coach_makes_their_settings_the_server_defaults() -> None:
    get_settings.cache_clear()
    at = open_page("pages/coach.py", "coach-cleo")
    at.session_state["grader_mode"] = "embedded"
    at.radio(key="coach_section").set_value("defaults").run()
    at.button(key="cd_use").click().run()
    assert not at.exception, at.exception
    candidate = open_page("pages/settings.py", "new-candidate")
    assert candidate.radio[0].value == "embedded"
    cleared = open_page("pages/coach.py", "coach-cleo")
    cleared.radio(key="coach_section").set_value("defaults").run()
    cleared.button(key="cd_clear").click().run()
    assert open_page("pages/settings.py", "another-candidate").radio[0].value == "auto"
