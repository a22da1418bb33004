"""One judge conversation on the wire: stream the reply under a deadline, show it as it grows, and
hand the verdicts over the moment they are complete, before the feedback is written.

The score depends on the verdicts only, so a candidate sees it a few hundred tokens into the reply
(on a laptop CPU, seconds rather than a minute). If the rest of the reply then fails (a time-out,
a broken stream, invalid JSON after the verdicts), the verdicts already read stand: the grade keeps
the score that was shown and has no feedback, rather than changing under the candidate's eyes.
"""

from __future__ import annotations

import functools
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.messages import BaseMessage
from pydantic import BaseModel

from core.types import Grade
from evaluators import feedback
from evaluators.judge import repair_messages
from evaluators.judge_reply import JudgeOutputError, feedback_view, parse_reply, reasoning_view, verdicts_ready
from question_bank.model import Question


@dataclass(frozen=True)
class GradeEvent:
    """What a candidate sees while waiting, in this order.

    `status`: a line of progress; `reasoning`: new judge text (quotes, reasons, verdicts) to append;
    `score`: the grade as soon as the verdicts are in (score and confidence final, no feedback yet);
    `feedback`: new feedback text to append; `grade`: the result; `error`: why there is no result
    (`improve_stream` when the model cannot advise, practice/grading.py for its own failures such as
    a database write), so the UI handles one event type. `grade_stream` never yields `error`.
    """

    kind: Literal["status", "reasoning", "score", "feedback", "grade", "error"]
    text: str = ""
    grade: Grade | None = None


@dataclass
class JudgeReply:
    """The judge's reply: its raw text, the validated output, and what happened on the way."""

    text: str
    output: BaseModel
    """The whole reply validated, or only its verdicts when what followed them could not be read."""
    repaired: bool = False
    usage: list[int] = field(default_factory=lambda: [0, 0])


def judge_conversation(
    question: Question,
    messages: list[BaseMessage],
    chat_model: Any,
    call_kwargs: dict,
    deadline: float,
    lang: str,
    on_verdicts: Callable[[BaseModel, bool], GradeEvent],
) -> Generator[GradeEvent, None, JudgeReply]:
    """One grade call, and one repair call if the reply has no usable verdicts.

    `on_verdicts(output, repaired)` makes the `score` event from the verdicts alone.
    """
    usage = [0, 0]
    first = functools.partial(on_verdicts, repaired=False)
    text, verdicts = yield from _one_reply(question, messages, chat_model, call_kwargs, deadline, usage, first)
    try:
        return JudgeReply(text, parse_reply(text, question), usage=usage)
    except JudgeOutputError as first_error:
        if verdicts is not None:
            return JudgeReply(text, verdicts, usage=usage)
        yield GradeEvent("status", feedback.text("status_repair", lang, detail=str(first_error)[:160]))
        retry = repair_messages(messages, text, str(first_error), question)
    again = functools.partial(on_verdicts, repaired=True)
    text, verdicts = yield from _one_reply(question, retry, chat_model, call_kwargs, deadline, usage, again)
    try:
        return JudgeReply(text, parse_reply(text, question), repaired=True, usage=usage)
    except JudgeOutputError:
        if verdicts is None:
            raise
        return JudgeReply(text, verdicts, repaired=True, usage=usage)


def _one_reply(
    question: Question,
    messages: list[BaseMessage],
    chat_model: Any,
    call_kwargs: dict,
    deadline: float,
    usage: list[int],
    on_verdicts: Callable[[BaseModel], GradeEvent],
) -> Generator[GradeEvent, None, tuple[str, BaseModel | None]]:
    """Stream one reply: reasoning as it grows, the score event once, then the feedback as it grows."""
    text, shown, shown_feedback, verdicts = "", "", "", None
    try:
        for delta in stream_text(chat_model, messages, call_kwargs, deadline, usage):
            text += delta
            if verdicts is None:
                view = reasoning_view(text, question)
                if view and view.startswith(shown) and len(view) > len(shown):
                    yield GradeEvent("reasoning", view[len(shown) :])
                    shown = view
                verdicts = verdicts_ready(text, question)
                if verdicts is not None:
                    yield on_verdicts(verdicts)
                continue
            written = feedback_view(text)
            if written.startswith(shown_feedback) and len(written) > len(shown_feedback):
                yield GradeEvent("feedback", written[len(shown_feedback) :])
                shown_feedback = written
    except Exception:
        if verdicts is None:
            raise
        # The score was shown: a time-out or a broken stream while the feedback was written keeps it.
    return text, verdicts


def stream_text(chat_model: Any, messages: list, call_kwargs: dict, deadline: float, usage: list[int]) -> Iterator[str]:
    """The reply's text as it arrives; TimeoutError at the deadline.

    The model runs in a worker thread so that a server trickling tokens, or a client without its
    own time-out, cannot hold the candidate past the deadline; the worker stops at the next chunk.
    `usage` accumulates [prompt tokens, completion tokens] when the server reports them.
    """
    chunks: queue.Queue = queue.Queue()
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in chat_model.stream(messages, **call_kwargs):
                chunks.put(("chunk", chunk))
                if stop.is_set():
                    break
            chunks.put(("done", None))
        except BaseException as exc:
            chunks.put(("error", exc))

    threading.Thread(target=produce, name="judge-stream", daemon=True).start()
    try:
        while True:
            try:  # what has already arrived is read even past the deadline: the model did finish
                kind, payload = chunks.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the LLM did not finish in time") from None
                try:
                    kind, payload = chunks.get(timeout=remaining)
                except queue.Empty:
                    raise TimeoutError("the LLM did not finish in time") from None
            if kind == "done":
                return
            if kind == "error":
                raise payload
            if payload.usage_metadata:
                usage[0] += payload.usage_metadata.get("input_tokens", 0)
                usage[1] += payload.usage_metadata.get("output_tokens", 0)
            content = payload.content
            yield (
                content
                if isinstance(content, str)
                else "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
            )
    finally:
        stop.set()


def is_timeout(exc: BaseException) -> bool:
    """A time-out, whichever client raised it (httpx, the OpenAI SDK, our own deadline)."""
    if isinstance(exc, TimeoutError):
        return True
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"TimeoutException", "APITimeoutError", "ReadTimeout", "ConnectTimeout", "Timeout"})
