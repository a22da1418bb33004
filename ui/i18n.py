"""UI strings in French and English. Pages call `t(key)`; the sidebar's language choice applies."""

from __future__ import annotations

from pathlib import Path

import yaml

_STRINGS_FILE = Path(__file__).with_name("strings.yaml")
_strings: dict[str, dict[str, str]] | None = None


def _load() -> dict[str, dict[str, str]]:
    global _strings
    if _strings is None:
        _strings = yaml.safe_load(_STRINGS_FILE.read_text(encoding="utf-8"))
    return _strings


def t(key: str, lang: str, **values: object) -> str:
    """The string `key` in `lang`, formatted with `values`; the key itself if it is missing."""
    entry = _load().get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry.get("en") or key
    return text.format(**values) if values else text


def all_keys() -> set[str]:
    return set(_load())
