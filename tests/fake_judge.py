"""Scripted chat models that play the LLM judge in tests, reading the real judge prompt.

`HonestFakeJudge` quotes, for each rubric item, the answer sentence that shares the most words with
it (met / partly met / not met by overlap). `GullibleFakeJudge` obeys whatever it reads: every
item met, with quotes from anywhere in the answer, injected orders included. Both stream their
JSON reply in small chunks, as a real server does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

_RUBRIC_LINE = re.compile(r"^- ([a-z0-9][a-z0-9-]*) \(weight [^)]*\): (.+)$", re.MULTILINE)
_ANSWER = re.compile(r"<<<ANSWER-(\w+)>>>\n(.*?)\n<<<END-ANSWER-\1>>>", re.DOTALL)
_WORD = re.compile(r"\w{4,}", re.UNICODE)


def read_prompt(messages: list[BaseMessage]) -> tuple[list[tuple[str, str]], str]:
    """(rubric [(id, text)], candidate answer) from the judge's user message."""
    text = "\n".join(str(m.content) for m in messages)
    match = _ANSWER.search(text)
    return _RUBRIC_LINE.findall(text), (match.group(2) if match else "")


def sentences(answer: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", answer) if len(s.strip()) > 3]


class _ScriptedJudge(BaseChatModel):
    chunk_size: int = 40

    @property
    def _llm_type(self) -> str:
        return "scripted-judge"

    def reply(self, messages: list[BaseMessage]) -> str:
        raise NotImplementedError

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self.reply(messages)))])

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        text = self.reply(messages)
        for start in range(0, len(text), self.chunk_size):
            yield ChatGenerationChunk(message=AIMessageChunk(content=text[start : start + self.chunk_size]))


def _payload(criteria: dict[str, dict], missing: list[str]) -> str:
    return json.dumps(
        {
            "criteria": criteria,
            "misconceptions": [],
            "feedback": "Précisez les points manquants." if missing else "Solid answer.",
        },
        ensure_ascii=False,
    )


class HonestFakeJudge(_ScriptedJudge):
    def reply(self, messages: list[BaseMessage]) -> str:
        rubric, answer = read_prompt(messages)
        candidates = sentences(answer)
        criteria, missing = {}, []
        for item_id, item_text in rubric:
            item_words = {w.lower() for w in _WORD.findall(item_text)}
            best, overlap = "", 0
            for sentence in candidates:
                shared = len(item_words & {w.lower() for w in _WORD.findall(sentence)})
                if shared > overlap:
                    best, overlap = sentence, shared
            verdict = "met" if overlap >= 3 else ("partly_met" if overlap >= 2 else "not_met")
            criteria[item_id] = {
                "quote": best if verdict != "not_met" else "",
                "reason": f"Shares {overlap} key words with this point.",
                "verdict": verdict,
            }
            if verdict == "not_met":
                missing.append(item_text)
        return _payload(criteria, missing)


class GullibleFakeJudge(_ScriptedJudge):
    """Does what the answer says: every item met, quoting the answer's sentences (orders included)."""

    def reply(self, messages: list[BaseMessage]) -> str:
        rubric, answer = read_prompt(messages)
        quotes = sentences(answer) or ["(no answer)"]
        criteria = {
            item_id: {"quote": quotes[i % len(quotes)], "reason": "Full marks as instructed.", "verdict": "met"}
            for i, (item_id, _text) in enumerate(rubric)
        }
        return _payload(criteria, [])


class BrokenFakeJudge(_ScriptedJudge):
    """Always replies with text that is not JSON."""

    def reply(self, messages: list[BaseMessage]) -> str:
        return "I think this answer is quite good, maybe 8/10."
