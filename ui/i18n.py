"""UI strings: pages call `t(key, lang)`, the one catalogue's `say` (core/i18n.py)."""

from __future__ import annotations

from core.i18n import catalogue
from core.i18n import say as t

__all__ = ["all_keys", "t"]


def all_keys() -> set[str]:
    return set(catalogue())
