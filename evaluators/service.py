"""Grade an answer: the one entry point the UI, the CLI and the harness call.

`grade_stream` yields what a candidate should see while waiting (status lines, the judge's
reasoning as it is written) and ends with the Grade. It never raises for a model problem: an
unreachable, slow or confused LLM hands over to the embedded grader and the grade says so.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from config import Settings
from evaluators import feedback
from evaluators.embedded import grade_embedded
from evaluators.grade import Flag, Grade, Verdict, compute_score
from evaluators.guards import SanitizedAnswer, clean_text, new_fence_token, sanitize_answer
from evaluators.judge import (
    MAX_OUTPUT_TOKENS,
    PROMPT_VERSION,
    JudgeOutputError,
    build_messages,
    output_json_schema,
    parse_reply,
    reasoning_view,
    repair_messages,
    to_grade,
)
from knowledge.language import detect_language
from question_bank.model import Question

log = logging.getLogger(__name__)
GraderChoice = Literal["auto", "llm", "embedded"]
HEALTH_TTL_S = 20.0
_VERDICT_RANK = {Verdict.not_met: 0, Verdict.partly_met: 1, Verdict.met: 2}


@dataclass(frozen=True)
class GradeEvent:
    """`status`: a line of progress; `reasoning`: new judge text to append; `grade`: the result.

    grade_stream never yields `error`; callers that wrap it (practice/grading.py) use it for their own
    failures, such as a database write, so the UI handles one event type.
    """

    kind: Literal["status", "reasoning", "grade", "error"]
    text: str = ""
    grade: Grade | None = None


class GradeCache:
    """LLM grades on disk, one JSON file per key: the same answer always gets the same grade back."""

    def __init__(self, directory: Path):
        self.directory = directory

    def get(self, key: str) -> Grade | None:
        path = self.directory / f"{key}.json"
        try:
            return Grade.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, grade: Grade) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / f"{key}.json").write_text(grade.model_dump_json(), encoding="utf-8")
        except OSError as exc:  # a read-only disk costs repeatability, not the grade
            log.warning("grade cache not written: %s", exc)


def cache_key(question: Question, answer: str, model_name: str, excerpts: list[str]) -> str:
    """Question (with its rubric and reference) + answer + model + prompt version + references."""
    material = [PROMPT_VERSION, model_name, question.model_dump(mode="json"), answer, excerpts]
    return hashlib.sha256(json.dumps(material, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


_health_memo: dict[tuple, tuple[float, Any]] = {}


def llm_health(settings: Settings):  # type: ignore[no-untyped-def]
    """`llm.check_health`, remembered for 20 s so a batch of grades does not probe the server each time."""
    from llm.health import check_health

    key = (settings.provider, settings.ollama_url, settings.openai_base_url, settings.model, settings.language)
    now = time.monotonic()
    if key in _health_memo and now - _health_memo[key][0] < HEALTH_TTL_S:
        return _health_memo[key][1]
    health = check_health(settings)
    _health_memo[key] = (now, health)
    return health


def grade_answer(question: Question, answer: str, **kwargs: Any) -> Grade:
    """The final Grade of `grade_stream`, for callers that do not show progress."""
    for event in grade_stream(question, answer, **kwargs):
        if event.kind == "grade" and event.grade is not None:
            return event.grade
    raise RuntimeError("grade_stream ended without a grade")  # a bug, never a model problem


def grade_stream(
    question: Question,
    answer: str,
    *,
    settings: Settings,
    grader: GraderChoice = "auto",
    excerpts: list[str] | tuple[str, ...] = (),
    chat_model: Any = None,
    cache: GradeCache | None = None,
    timeout_s: float | None = None,
) -> Iterator[GradeEvent]:
    """Grade `answer` and report progress. "auto" uses the LLM when it is healthy, else the embedded grader.

    A `chat_model` passed in is used as is (tests, benches); otherwise the model comes from
    settings and LLM grades are cached under the data directory unless `cache` says otherwise.
    """
    started = time.perf_counter()
    sanitized = sanitize_answer(answer or "")
    lang = detect_language(sanitized.text or clean_text(answer or ""), default=settings.language)
    words = len(sanitized.text.split())
    if grader == "embedded" or sanitized.empty or words < 5:
        # Nothing an LLM could add to an empty or one-word answer but the risk of praising it.
        yield GradeEvent("status", feedback.text("status_embedded", lang))
        yield GradeEvent("grade", grade=_finish(grade_embedded(question, sanitized, lang), started))
        return
    if chat_model is None:
        if grader == "auto":
            yield GradeEvent("status", feedback.text("status_checking", lang))
            health = llm_health(settings)
            if not health.ok:
                detail = health.message + (f" {health.fix}" if health.fix else "")
                reason = feedback.text("fallback_unavailable", lang, detail=detail)
                fallback = _fallback(question, sanitized, lang, Flag.llm_unavailable, reason, started)
                yield GradeEvent("grade", grade=fallback)
                return
        from llm.providers import get_chat_model

        chat_model = get_chat_model(settings, max_output_tokens=MAX_OUTPUT_TOKENS)
        if cache is None:
            cache = GradeCache(settings.data_dir / "cache" / "grades")

    from llm.providers import json_schema_call_kwargs, model_label

    model_name = model_label(chat_model)
    key = cache_key(question, answer, model_name, list(excerpts))
    cached = cache.get(key) if cache is not None else None
    if cached is not None:
        yield GradeEvent("status", feedback.text("status_cached", lang))
        yield GradeEvent("grade", grade=cached)
        return

    yield GradeEvent("status", feedback.text("status_grading", lang, model=model_name))
    timeout = timeout_s if timeout_s is not None else settings.llm_timeout_s
    schema = output_json_schema(tuple(item.id for item in question.rubric))
    call_kwargs = json_schema_call_kwargs(chat_model, schema, settings)
    try:
        deadline = time.monotonic() + timeout
        grade = yield from _judge(question, sanitized, lang, list(excerpts), chat_model, call_kwargs, deadline)
    except JudgeOutputError as exc:
        reason = feedback.text("fallback_invalid", lang, detail=str(exc)[:200])
        yield GradeEvent("grade", grade=_fallback(question, sanitized, lang, Flag.llm_invalid_output, reason, started))
        return
    except Exception as exc:
        if _is_timeout(exc):
            reason = feedback.text("fallback_timeout", lang, seconds=timeout)
            flag = Flag.llm_timeout
        else:
            log.warning("LLM grading failed, falling back to the embedded grader", exc_info=True)
            reason = feedback.text("fallback_unavailable", lang, detail=f"{type(exc).__name__}: {exc}"[:300])
            flag = Flag.llm_unavailable
        yield GradeEvent("grade", grade=_fallback(question, sanitized, lang, flag, reason, started))
        return

    if sanitized.injection:
        cap_by_embedded(grade, grade_embedded(question, sanitized, lang), lang)
    if sanitized.truncated:
        grade.add_flag(Flag.truncated)
    notes = feedback.flag_notes(grade, lang)
    grade.feedback = " ".join(part for part in (grade.feedback, notes) if part)
    _finish(grade, started)
    if cache is not None:
        cache.put(key, grade)
    yield GradeEvent("grade", grade=grade)


def cap_by_embedded(grade: Grade, embedded: Grade, lang: str) -> None:
    """After an injection attempt, no item may score above the embedded grader's verdict on the
    answer with the injection removed, nor above "partly met".

    So a model talked into generosity cannot lift the score above what the honest content earns;
    and since an answer that addresses its grader cannot be taken at face value, nothing in it is
    fully credited. The cap is per item, so the score stays the one computed from the verdicts.
    """
    grade.add_flag(Flag.prompt_injection)
    ceiling = {c.id: c.verdict for c in embedded.criteria}
    for criterion in grade.criteria:
        limit = min(ceiling.get(criterion.id, Verdict.not_met), Verdict.partly_met, key=_VERDICT_RANK.__getitem__)
        if _VERDICT_RANK[criterion.verdict] > _VERDICT_RANK[limit]:
            criterion.verdict = limit
            criterion.reasoning = f"{criterion.reasoning} {feedback.text('injection_cap', lang)}".strip()
    grade.score = compute_score(grade.criteria)


def _judge(
    question: Question,
    sanitized: SanitizedAnswer,
    lang: str,
    excerpts: list[str],
    chat_model: Any,
    call_kwargs: dict,
    deadline: float,
) -> Generator[GradeEvent, None, Grade]:
    """One judge call, and one repair call if the reply does not validate."""
    from llm.providers import model_label

    usage = [0, 0]
    messages = build_messages(question, sanitized.text, lang, excerpts, new_fence_token(sanitized.text))
    reply = yield from _stream_reply(chat_model, messages, call_kwargs, deadline, usage, question)
    try:
        output = parse_reply(reply, question)
    except JudgeOutputError as first_error:
        yield GradeEvent("status", feedback.text("status_repair", lang, detail=str(first_error)[:160]))
        retry = repair_messages(messages, reply, str(first_error), question)
        reply = yield from _stream_reply(chat_model, retry, call_kwargs, deadline, usage, question)
        output = parse_reply(reply, question)
    grade = to_grade(output, question, sanitized.text, lang, model_label(chat_model))
    grade.reasoning = reasoning_view(reply, question) or ""
    grade.prompt_tokens, grade.completion_tokens = (usage[0] or None), (usage[1] or None)
    return grade


def _stream_reply(
    chat_model: Any, messages: list, call_kwargs: dict, deadline: float, usage: list[int], question: Question
) -> Generator[GradeEvent, None, str]:
    """Stream one reply, yielding reasoning deltas; raise TimeoutError at the deadline.

    The model runs in a worker thread so that a server trickling tokens, or a client without its
    own time-out, cannot hold the candidate past the deadline; the worker stops at the next chunk.
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
    text, shown = "", ""
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the LLM did not finish in time")
            try:
                kind, payload = chunks.get(timeout=remaining)
            except queue.Empty:
                raise TimeoutError("the LLM did not finish in time") from None
            if kind == "done":
                return text
            if kind == "error":
                raise payload
            content = payload.content
            text += content if isinstance(content, str) else "".join(
                part.get("text", "") if isinstance(part, dict) else str(part) for part in content
            )
            if payload.usage_metadata:
                usage[0] += payload.usage_metadata.get("input_tokens", 0)
                usage[1] += payload.usage_metadata.get("output_tokens", 0)
            view = reasoning_view(text, question)
            if view and view.startswith(shown) and len(view) > len(shown):
                yield GradeEvent("reasoning", view[len(shown) :])
                shown = view
    finally:
        stop.set()


def _is_timeout(exc: BaseException) -> bool:
    if isinstance(exc, TimeoutError):
        return True
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"TimeoutException", "APITimeoutError", "ReadTimeout", "ConnectTimeout", "Timeout"})


def _fallback(
    question: Question, sanitized: SanitizedAnswer, lang: str, flag: Flag, reason: str, started: float
) -> Grade:
    grade = grade_embedded(question, sanitized, lang)
    grade.add_flag(flag)
    grade.fallback_reason = reason
    return _finish(grade, started)


def _finish(grade: Grade, started: float) -> Grade:
    grade.latency_ms = round((time.perf_counter() - started) * 1000, 1)
    return grade
