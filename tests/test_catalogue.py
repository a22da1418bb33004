"""Issue #14: one translation catalogue, complete in both languages, and no French in the English UI."""

from __future__ import annotations

import re
import string

import pytest
from streamlit.testing.v1 import AppTest

from config import PROJECT_ROOT, get_settings
from core.i18n import LANGS, catalogue, say

PRODUCT = [PROJECT_ROOT / "app.py"] + [path for folder in ("coach", "evaluators", "interview", "llm_server", "pages",
                                                          "practice", "ui")
                                       for path in (PROJECT_ROOT / folder).rglob("*.py")]  # fmt: skip
LITERAL_KEY = re.compile(r"""\b(?:t|say|phrase|text|_text)\(\s*["']([a-z][a-z0-9_]*)["']""")
FRENCH_WORDS = re.compile(r"\b(vous|votre|vos|réponses?|les|des|une|avec|pour|est|sont)\b", re.I)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_string_exists_in_both_languages_with_the_same_placeholders() -> None:
    problems = []
    for key, entry in catalogue().items():
        if set(entry) != set(LANGS):
            problems.append(f"{key}: languages {sorted(entry)}")
            continue
        fr, en = entry["fr"], entry["en"]
        variants = list(zip(fr, en, strict=False)) if isinstance(fr, list) else [(fr, en)]
        if isinstance(fr, list) != isinstance(en, list) or (isinstance(fr, list) and len(fr) != len(en)):
            problems.append(f"{key}: variants differ between fr and en")
        for fr_text, en_text in variants:
            if not str(fr_text).strip() or not str(en_text).strip():
                problems.append(f"{key}: empty text")
            elif placeholders(str(fr_text)) != placeholders(str(en_text)):
                problems.append(f"{key}: placeholders {placeholders(str(fr_text))} vs {placeholders(str(en_text))}")
    assert problems == []


def test_every_key_the_code_names_is_in_the_catalogue() -> None:
    known = set(catalogue())
    used = {(path, key) for path in PRODUCT for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8"))}
    missing = sorted(f"{path.relative_to(PROJECT_ROOT)}: {key}" for path, key in used if key not in known)
    assert missing == []


def test_a_missing_key_shows_the_key_and_a_present_one_its_text() -> None:
    assert say("no_such_string_anywhere", "en") == "no_such_string_anywhere"
    assert say("speaker_line", "fr", who="A", body="b") == "**A** : b"
    assert say("transition", "en", 1) != say("transition", "en", 0)  # variants


PAGES = ("pages/home.py", "pages/quiz.py", "pages/progress.py", "pages/settings.py", "pages/interview.py",
         "pages/ask.py", "pages/coach.py")  # fmt: skip


@pytest.mark.parametrize("page", PAGES)
def test_the_english_ui_shows_no_french(page: str) -> None:
    get_settings.cache_clear()
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    texts = [str(getattr(element, attribute, "") or "") for kind in ("markdown", "caption", "title", "header",
             "subheader", "button", "info", "warning", "error", "success", "text_input", "selectbox", "radio",
             "multiselect", "checkbox", "number_input", "text_area", "expander", "tabs", "metric")
             for element in getattr(at, kind) for attribute in ("value", "label", "placeholder", "help")]  # fmt: skip
    french = sorted({text[:120] for text in texts if FRENCH_WORDS.search(text)})
    assert french == []


def test_keys_built_from_names_exist_too() -> None:
    from core.types import Flag, Verdict
    from evaluators.budget import HARDWARE
    from practice.progress import HISTORY_COLUMNS

    wanted = ([f"history_col_{c}" for c in HISTORY_COLUMNS] + [f"hardware_{h.name}" for h in HARDWARE]
              + [f"grade_plain_{v.value}" for v in Verdict] + [f"flag_{f.value}" for f in Flag if f.value in (
                  "prompt_injection", "unsupported_claims", "rubric_echo", "keyword_stuffing",
                  "off_topic")])  # fmt: skip
    assert [key for key in wanted if key not in catalogue()] == []


def test_the_french_ui_keeps_no_english_widget_defaults() -> None:
    """Streamlit's own "Choose options" and "Select all" are English: every multiselect sets its own."""
    get_settings.cache_clear()
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/quiz.py").run()
    assert not at.exception, at.exception
    assert at.multiselect, "the page has its filters"
    assert {m.placeholder for m in at.multiselect} == {"Tous"}
    assert all(m.proto.select_all == 0 for m in at.multiselect)
