"""The interviewer's voice: an LLM persona when one answers, template sentences when none does.

Whatever the model does, the interview goes on: the bank's question is always added word for word
by code (a model never rewords what is graded), every model sentence has a template twin that
replaces it on any failure, and after one failure the model is left alone for the rest of the
interview, so a dead server costs the candidate at most one time-out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

from core.text import fence_token
from interview.plan import InterviewConfig, label
from interview.prompting import LANG_NAMES, content_text, phrase, templates

log = logging.getLogger(__name__)
MAX_MODEL_CHARS = 500
"""A persona sentence longer than this is cut: the model was told two short sentences."""
ANSWER_EXCERPT_CHARS = 600
INTERVIEWER_TIMEOUT_S = 20.0
INTERVIEWER_MAX_TOKENS = 160


def build_chat_model(settings):  # type: ignore[no-untyped-def]
    """The configured chat model with a short time-out and reply: a persona sentence must be quick."""
    from llm_server.providers import get_chat_model

    quick = settings.model_copy(update={"llm_timeout_s": min(settings.llm_timeout_s, INTERVIEWER_TIMEOUT_S)})
    return get_chat_model(quick, max_output_tokens=INTERVIEWER_MAX_TOKENS)


class TurnBreak:
    """A part that ends a transcript turn inside one message, so what follows is a turn of its own.

    "I don't know" is answered with an explanation and the next question in one message; the
    explanation's reading link must sit under the explanation, not under the next question.
    """


TURN_BREAK = TurnBreak()
Part = str | TurnBreak | Callable[[], Iterator[str]]


class Utterance:
    """One interviewer message, streamed once; `on_done` receives its turns' texts when it is complete.

    Parts are fixed text, functions returning a stream of chunks (a model reply), or `TURN_BREAK`
    (streamed as a paragraph break, recorded as the start of a new turn). If the page is interrupted
    mid-stream, nothing is recorded and the session can stream the message again.
    """

    def __init__(self, parts: Iterable[Part], on_done: Callable[[list[str]], None]):
        self.parts = list(parts)
        self._on_done = on_done
        self.done = False
        self.final_text: str | None = None

    def stream(self) -> Iterator[str]:
        if self.final_text is not None:  # already complete: replay without calling a model again
            yield self.final_text
            return
        turns: list[list[str]] = [[]]
        for part in self.parts:
            if isinstance(part, TurnBreak):
                turns.append([])
                yield "\n\n"
                continue
            chunks = [part] if isinstance(part, str) else part()
            for chunk in chunks:
                if chunk:
                    turns[-1].append(chunk)
                    yield chunk
        texts = ["".join(pieces).strip() for pieces in turns]
        self.final_text = "\n\n".join(text for text in texts if text)
        if not self.done:
            self.done = True
            self._on_done([text for text in texts if text])

    def text(self) -> str:
        """The whole message at once (tests, and callers that do not stream)."""
        for _chunk in self.stream():
            pass
        return self.final_text or ""


class Interviewer:
    """Writes the interviewer's sentences for one interview, in its language and persona."""

    def __init__(self, config: InterviewConfig, chat_model: Any | None = None):
        self.config = config
        self.lang = config.lang
        self.chat_model = chat_model
        self.model_failed = False

    @property
    def uses_model(self) -> bool:
        return self.chat_model is not None and not self.model_failed

    def say(self, key: str, variant: int = 0, **values: object) -> str:
        return phrase(key, self.lang, variant, **values)

    def _messages(self, moment: str, question: str = "", point: str = "", answer: str = "") -> list:
        excerpt = answer[:ANSWER_EXCERPT_CHARS]
        fence = fence_token(excerpt)  # the answer cannot contain the hash of itself
        system = templates.get_template("interviewer_system.j2").render(
            lang_name=LANG_NAMES[self.lang],
            level=label(self.config.level, self.lang),
            focus=label(self.config.focus, self.lang),
            count=self.config.question_count,
            fence=fence,
        )
        turn = templates.get_template("interviewer_turn.j2").render(
            moment=moment, question=question, point=point, answer=excerpt, fence=fence
        )
        return [SystemMessage(content=system.strip()), HumanMessage(content=turn.strip())]

    def model_or_template(self, moment: str, fallback: str, **context: str) -> Callable[[], Iterator[str]]:
        """A part for an Utterance: the model's sentence for `moment`, or `fallback` on any failure."""

        def stream() -> Iterator[str]:
            if not self.uses_model:
                yield fallback
                return
            produced = 0
            try:
                for chunk in self.chat_model.stream(self._messages(moment, **context)):
                    text = content_text(chunk.content)
                    if not text:
                        continue
                    if produced + len(text) > MAX_MODEL_CHARS:
                        yield text[: MAX_MODEL_CHARS - produced].rsplit(" ", 1)[0] + "…"
                        return
                    produced += len(text)
                    yield text
            except Exception:  # any model failure: say the template, stop asking the model
                log.warning("interviewer model failed; using template sentences from now on", exc_info=True)
                self.model_failed = True
                yield ("\n\n" if produced else "") + fallback
                return
            if not produced:
                yield fallback

        return stream
