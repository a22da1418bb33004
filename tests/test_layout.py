"""The project's layout keeps its promises (issue #14): no shadowed distribution, no test data in the product."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from config import PROJECT_ROOT

PRODUCT_DIRS = ("coach", "evaluators", "interview", "knowledge", "llm_server", "pages", "practice", "question_bank",
                "storage", "ui")  # fmt: skip


def product_files() -> list[Path]:
    files = [PROJECT_ROOT / name for name in ("app.py", "cli.py", "config.py", "serve.py")]
    return files + [path for folder in PRODUCT_DIRS for path in (PROJECT_ROOT / folder).rglob("*.py")]


def test_import_llm_gets_the_installed_distribution_not_a_project_folder() -> None:
    spec = importlib.util.find_spec("llm")
    assert spec is not None and spec.origin is not None
    assert "site-packages" in Path(spec.origin).parts  # simonw's llm, which the test dependencies install
    assert Path(spec.origin).resolve().parent != PROJECT_ROOT / "llm"


def test_product_code_never_builds_a_path_into_the_tests_folder() -> None:
    into_tests = re.compile(r"""["']tests["']\s*[/,)]|["']tests/data""")
    offenders = [str(path.relative_to(PROJECT_ROOT)) for path in product_files()
                 if into_tests.search(path.read_text(encoding="utf-8"))]  # fmt: skip
    assert offenders == []
