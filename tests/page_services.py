"""The one thing page tests replace: the app's Services, with a fake model, a health check that answers
and canned course passages (`ui.resources.use_services`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from config import Settings, get_settings
from llm_server.health import Health
from llm_server.monitor import HealthMonitor
from services import Services
from ui import resources

HEALTHY = Health(True, "fake judge ready", None, ["fake"])
DOWN = Health(False, "no LLM server in this test", None, [], kind="down")


class ReadyKnowledge:
    """A knowledge build that is done: the given (store, retriever), nothing left to embed."""

    def __init__(self, store: Any, retriever: Any):
        self.store, self.retriever = store, retriever
        self.done, self.settled = threading.Event(), threading.Event()
        self.done.set()
        self.settled.set()
        self.progress = self.embed_progress = 1.0
        self.error = self.embed_error = None
        self.embedding = False


class PageServices(Services):
    """Services whose model is `chat_model` (used as is), whose server always answers, and whose course
    passages are `references` (None: "no index in this test", as while a store loads)."""

    def __init__(
        self, settings: Settings, *, chat_model: Any = None, references: Any = None, health: Health = HEALTHY,
        knowledge: ReadyKnowledge | None = None,
    ):  # fmt: skip
        monitor = HealthMonitor(checker=lambda *a, **k: health)
        super().__init__(settings, health=monitor, chat_model=chat_model, knowledge=knowledge)  # type: ignore[arg-type]
        self.canned_references = references

    def references_for(self, question: Any, lang: str, k: int = 4) -> tuple[Any, str | None]:
        if self.canned_references is None:
            return None, "no index in this test"
        return self.canned_references, None


@pytest.fixture
def page_services() -> Iterator[Any]:
    """`page_services(chat_model=..., references=...)` puts a PageServices behind every page; undone after the test."""

    def install(**kwargs: Any) -> PageServices:
        services = PageServices(get_settings(), **kwargs)
        resources.use_services(services)
        return services

    yield install
    resources.use_services(None)
