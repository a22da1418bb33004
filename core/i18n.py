"""The one translation catalogue: every sentence the app shows or says, in French and English.

The strings live in `core/strings/*.yaml`, one file a part of the app (ui, grading, health,
interview) but one namespace: a key is defined once, and `say` is the one way to read it, for the
pages, the graders' feedback, the health check and the interviewer alike. An entry is
`{fr: ..., en: ...}`; a list gives variants, picked by `variant` in turn. Placeholders are
`{name}` (str.format), filled only when values are given. A missing key shows the key itself and
logs a warning (a page never breaks over a string); `tests/test_catalogue.py` fails on any key
used in the code and missing here, and on any entry missing a language.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import yaml

STRINGS_DIR = Path(__file__).resolve().parent / "strings"
LANGS = ("fr", "en")
Entry = dict[str, str | list[str]]
log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Entry]:
    """Every entry of every file; a key defined in two files is an error, not a silent override."""
    merged: dict[str, Entry] = {}
    origin: dict[str, str] = {}
    for path in sorted(STRINGS_DIR.glob("*.yaml")):
        for key, entry in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if key in merged:
                raise ValueError(f"string {key!r} is defined in both {origin[key]} and {path.name}")
            merged[key], origin[key] = entry, path.name
    return merged


def say(key: str, lang: str, variant: int = 0, **values: object) -> str:
    """The string `key` in `lang` ("fr", else English), variant `variant`, formatted with `values`."""
    entry = catalogue().get(key)
    if entry is None:
        log.warning("no string %r in core/strings", key)
        return key
    text = entry.get("fr" if lang == "fr" else "en") or entry.get("en") or key
    if isinstance(text, list):
        text = text[variant % len(text)]
    return text.format(**values) if values else text


def number(value: float, lang: str, digits: int = 1) -> str:
    """A decimal in the language's way of writing it: 7.5 in English, 7,5 in French."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "fr" else text


def moment(when: datetime, lang: str, today: date) -> str:
    """A date and 24-hour time as people say it: "today at 14:05", "tomorrow at 09:30", else the date."""
    clock = when.strftime("%H:%M")
    offset = (when.date() - today).days
    if offset in (0, 1):
        return say("moment_today" if offset == 0 else "moment_tomorrow", lang, time=clock)
    day = when.strftime("%d/%m/%Y") if lang == "fr" else when.strftime("%Y-%m-%d")
    return say("moment_day", lang, day=day, time=clock)
