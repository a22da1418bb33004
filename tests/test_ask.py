"""The "ask the material" chat: coverage decided before any model runs, citations, history, streaming.

A real knowledge store over six documents of the shipped corpus (three topics, in French and in
English) is built once per test process; the chat models are LangChain fakes.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from pydantic import Field

from config import PROJECT_ROOT, Settings
from interview.ask import (
    ANSWER_TOKENS,
    ChatMessage,
    answer_question,
    estimate_tokens,
    retrieval_query,
    trim_history,
)
from interview.prompting import phrase, without_images

SMALL_CORPUS = ("rag-pipeline.md", "agents-fundamentals.md", "llm-fundamentals.md")


@lru_cache(maxsize=1)
def small_knowledge():  # type: ignore[no-untyped-def]
    """(store, retriever) over six corpus files, indexed once per process (test_chat_pages reuses it)."""
    from knowledge.retrieval import HybridRetriever
    from knowledge.store import KnowledgeStore

    root = Path(tempfile.mkdtemp(prefix="agentprep-ask-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    for lang in ("fr", "en"):
        (root / "corpus" / lang).mkdir(parents=True)
        for name in SMALL_CORPUS:
            shutil.copy(PROJECT_ROOT / "knowledge" / "corpus" / lang / name, root / "corpus" / lang / name)
    settings = Settings(data_dir=root / "data", corpus_dir=root / "corpus", collection="ask_tests")
    store = KnowledgeStore(settings)
    store.index()
    return store, HybridRetriever(store)


@pytest.fixture(scope="module")
def retriever():  # type: ignore[no-untyped-def]
    return small_knowledge()[1]


class RecordingModel(FakeListChatModel):
    """A fake model that keeps the messages it was sent."""

    received: list = Field(default_factory=list)

    def _stream(self, messages, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.received = list(messages)
        yield from super()._stream(messages, *args, **kwargs)


class BrokenModel(FakeListChatModel):
    def _stream(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("connection refused")


@pytest.mark.parametrize(
    "question", ["recette de la tarte aux pommes", "How do I bake bread?", "Qui a gagné la coupe du monde 1998 ?"]
)
def test_off_topic_questions_are_not_covered_and_the_model_is_never_called(retriever, question: str) -> None:  # type: ignore[no-untyped-def]
    model = RecordingModel(responses=["An invented answer about cooking [1]."])
    reply = answer_question(question, [], retriever=retriever, chat_model=model)
    text = "".join(reply.stream())
    assert reply.status == "not_covered" and not reply.coverage.covered
    assert text.startswith(phrase("ask_not_covered", reply.lang)) and "invented" not in text
    assert model.received == []


@pytest.mark.parametrize(
    ("question", "lang"),
    [("What is retrieval-augmented generation?", "en"), ("Qu'est-ce qu'un agent ReAct ?", "fr"),
     ("Why do LLMs hallucinate?", "en"), ("Comment fonctionne le découpage des documents en RAG ?", "fr")],
)  # fmt: skip
def test_on_topic_questions_are_answered_in_their_language_with_citations(retriever, question: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    model = RecordingModel(responses=["Grounded answer [1], more [2], and a bogus [9]."])
    reply = answer_question(question, [], retriever=retriever, chat_model=model, default_lang="en")
    chunks = list(reply.stream())
    assert reply.status == "answered" and reply.lang == lang and reply.coverage.covered
    assert len(chunks) > 5 and reply.text == "Grounded answer [1], more [2], and a bogus [9]."
    assert reply.cited == [1, 2]  # [9] names no excerpt
    system = model.received[0].content
    assert ("French" if lang == "fr" else "English") in system
    for number, hit in enumerate(reply.hits, start=1):
        assert f"[{number}] {hit.title}" in system and hit.text[:200] in system
    assert all(hit.lang == lang for hit in reply.hits[:2])
    assert model.received[-1].content == question


def test_without_a_model_the_excerpts_are_shown_with_their_numbers(retriever) -> None:  # type: ignore[no-untyped-def]
    reply = answer_question("What is the ReAct loop?", [], retriever=retriever, chat_model=None)
    text = "".join(reply.stream())
    assert reply.status == "no_model" and text.startswith(phrase("ask_no_model", "en"))
    assert reply.hits and all(f"**{hit.label(n)}**" in text for n, hit in enumerate(reply.hits, start=1))
    assert all(label.count(hit.title) == 1 for label, hit in ((h.label(1), h) for h in reply.hits))


def test_a_failing_model_gives_the_excerpts_instead(retriever) -> None:  # type: ignore[no-untyped-def]
    reply = answer_question("What is the ReAct loop?", [], retriever=retriever, chat_model=BrokenModel(responses=["x"]))
    text = "".join(reply.stream())
    assert reply.status == "no_model" and "ConnectionError" in text and "**[1]" in text


def test_history_is_trimmed_oldest_first_to_the_budget() -> None:
    history = [ChatMessage("user" if i % 2 == 0 else "assistant", f"message {i} " + "word " * 60) for i in range(10)]
    budget = 3 * estimate_tokens(history[0].content)
    kept = trim_history(history, budget)
    assert kept == history[-2:]  # the third-newest would fit but is an answer without its question
    assert sum(estimate_tokens(m.content) for m in kept) <= budget
    assert trim_history(history, 10**6) == history and trim_history(history, 5) == []


def test_a_long_conversation_stays_within_the_context_budget(retriever) -> None:  # type: ignore[no-untyped-def]
    history = []
    for i in range(40):
        history += [ChatMessage("user", f"question {i} about agents " + "detail " * 80),
                    ChatMessage("assistant", f"answer {i} [1] " + "explanation " * 80)]  # fmt: skip
    model = RecordingModel(responses=["ok [1]"])
    reply = answer_question("What is an agent?", history, retriever=retriever, chat_model=model, context_tokens=4000)
    "".join(reply.stream())
    sent = model.received
    assert sum(estimate_tokens(str(m.content)) for m in sent) <= 4000 - ANSWER_TOKENS
    assert 2 <= len(sent) - 2 < len(history) and sent[-2].content.startswith("answer 39")  # newest turns kept
    assert "[1]" not in sent[-2].content  # old citation numbers are dropped


def test_short_follow_ups_are_searched_with_the_previous_question() -> None:
    history = [ChatMessage("user", "What is the KV cache?"), ChatMessage("assistant", "It stores keys [1].")]
    assert retrieval_query("and why?", history) == "What is the KV cache? and why?"
    assert retrieval_query("How does chunking change recall in practice?", history).startswith("How does")


def test_streamed_images_are_neutralised_even_across_chunks() -> None:
    streamed = "".join(without_images(iter(["see !", "[x](http://evil.example/a.png) and ![y](z) !"])))
    assert "![" not in streamed and streamed.endswith("!") and "http://evil.example/a.png" in streamed
