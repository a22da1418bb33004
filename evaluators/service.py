"""Grade an answer: the one entry point the UI, the CLI and the harness call.

`grade_stream` yields what a candidate should see while waiting (status lines, the judge's
reasoning as it is written) and ends with the Grade. It never raises for a model problem: an
unreachable, slow or confused LLM hands over to the embedded grader and the grade says so.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from config import Settings
from evaluators import confidence, feedback
from evaluators.cache import GradeCache, embedded_grade_key, llm_grade_key
from evaluators.embedded import grade_embedded
from evaluators.examples import GradedExample, closest_examples
from evaluators.grade import Flag, Grade, Verdict, compute_score
from evaluators.guards import SanitizedAnswer, clean_text, fence_token, sanitize_answer
from evaluators.judge import (
    MAX_OUTPUT_TOKENS,
    JudgeOutputError,
    build_messages,
    output_json_schema,
    parse_reply,
    reasoning_view,
    repair_messages,
    to_grade,
)
from evaluators.provenance import grader_version, prompt_version, rubric_version
from knowledge.embeddings import EMBEDDING_MODEL_NAME
from knowledge.language import detect_language
from question_bank.model import Question

__all__ = ["GradeCache", "GradeEvent", "grade_answer", "grade_stream", "llm_health"]

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
    expected_lang: str | None = None,
    fresh: bool = False,
    use_examples: bool = True,
) -> Iterator[GradeEvent]:
    """Grade `answer` and report progress. "auto" uses the LLM when it is healthy, else the embedded grader.

    A `chat_model` passed in is used as is (tests, benches) and grades are cached only in the
    `cache` given; otherwise the model comes from settings and grades are cached under the data
    directory. `fresh` skips the cached grade (the new one replaces it). `expected_lang` is the
    language the question was asked in: an answer in another one lowers the grade's confidence.
    `use_examples` shows the judge the question's closest coach-graded samples.
    """
    started = time.perf_counter()
    sanitized = sanitize_answer(answer or "")
    lang = detect_language(sanitized.text or clean_text(answer or ""), default=settings.language)
    words = len(sanitized.text.split())
    if cache is None and chat_model is None:
        cache = GradeCache.under(settings.data_dir)
    assess = {"answer_words": words, "expected_lang": expected_lang}

    if grader == "embedded" or sanitized.empty or words < 5:
        # Nothing an LLM could add to an empty or one-word answer but the risk of praising it.
        yield GradeEvent("status", feedback.text("status_embedded", lang))
        yield GradeEvent(
            "grade", grade=_embedded_grade(question, sanitized, answer, lang, cache, fresh, assess, started)
        )
        return
    if chat_model is None:
        if grader == "auto":
            yield GradeEvent("status", feedback.text("status_checking", lang))
            health = llm_health(settings)
            if not health.ok:
                detail = health.message + (f" {health.fix}" if health.fix else "")
                reason = feedback.text("fallback_unavailable", lang, detail=detail)
                yield GradeEvent(
                    "grade", grade=_fallback(question, sanitized, lang, Flag.llm_unavailable, reason, started, assess)
                )
                return
        from llm.providers import get_chat_model

        chat_model = get_chat_model(settings, max_output_tokens=MAX_OUTPUT_TOKENS)

    from llm.providers import json_schema_call_kwargs, model_label, provider_label

    model_name, provider = model_label(chat_model), provider_label(chat_model)
    examples = closest_examples(question, sanitized.text, lang) if use_examples else []
    key = llm_grade_key(question, answer, provider=provider, model_name=model_name, lang=lang,
                        excerpts=list(excerpts), examples=examples)  # fmt: skip
    cached = cache.get(key) if cache is not None and not fresh else None
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
        grade = yield from _judge(
            question, sanitized, lang, list(excerpts), examples, chat_model, call_kwargs, deadline
        )
    except JudgeOutputError as exc:
        reason = feedback.text("fallback_invalid", lang, detail=str(exc)[:200])
        yield GradeEvent(
            "grade", grade=_fallback(question, sanitized, lang, Flag.llm_invalid_output, reason, started, assess)
        )
        return
    except Exception as exc:
        if _is_timeout(exc):
            reason = feedback.text("fallback_timeout", lang, seconds=timeout)
            flag = Flag.llm_timeout
        else:
            log.warning("LLM grading failed, falling back to the embedded grader", exc_info=True)
            reason = feedback.text("fallback_unavailable", lang, detail=f"{type(exc).__name__}: {exc}"[:300])
            flag = Flag.llm_unavailable
        yield GradeEvent("grade", grade=_fallback(question, sanitized, lang, flag, reason, started, assess))
        return

    second_opinion = grade_embedded(question, sanitized, lang)
    if sanitized.injection:
        cap_by_embedded(grade, second_opinion, lang)
    elif sanitized.claims and grade.score > second_opinion.score + CLAIMS_TOLERANCE:
        # Lines claiming coverage were set aside; a judge still crediting more than what remains
        # covers was talked into it by the claims: no item above what the remaining text shows.
        # (No honest answer of the 449 in tests/data has a claim line, so this costs honest answers little.)
        hold_to_embedded(grade, second_opinion, lang)
    if sanitized.truncated:
        grade.add_flag(Flag.truncated)
    if sanitized.claims:
        grade.add_flag(Flag.unsupported_claims)
    notes = feedback.flag_notes(grade, lang)
    grade.feedback = " ".join(part for part in (grade.feedback, notes) if part)
    grade.provider, grade.second_opinion = provider, second_opinion.score
    grade.calibration_examples = len(examples)
    _finish(grade, question, started, confidence.assess(grade, second_opinion=second_opinion.score, **assess))
    if cache is not None:
        cache.put(key, grade)
    yield GradeEvent("grade", grade=grade)


def _embedded_grade(
    question: Question,
    sanitized: SanitizedAnswer,
    answer: str,
    lang: str,
    cache: GradeCache | None,
    fresh: bool,
    assess: dict,
    started: float,
) -> Grade:
    """The embedded grader's grade, from the cache when this exact answer was graded before."""
    key = embedded_grade_key(question, answer, model_name=EMBEDDING_MODEL_NAME, lang=lang)
    cached = cache.get(key) if cache is not None and not fresh else None
    if cached is not None:
        return cached
    grade = grade_embedded(question, sanitized, lang)
    _finish(grade, question, started, confidence.assess(grade, second_opinion=None, **assess))
    if cache is not None:
        cache.put(key, grade)
    return grade


CLAIMS_TOLERANCE = 1.0
"""Points a judge may give above the embedded grader to an answer with claim lines before it is held."""


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
            criterion.estimated_credit = None
            criterion.reasoning = f"{criterion.reasoning} {feedback.text('injection_cap', lang)}".strip()
    grade.score = compute_score(grade.criteria)


def hold_to_embedded(grade: Grade, embedded: Grade, lang: str) -> None:
    """No item credited above the embedded grader's own credit for it (verdict and estimate)."""
    measured = {c.id: c for c in embedded.criteria}
    for criterion in grade.criteria:
        own = measured.get(criterion.id)
        if own is not None and criterion.credit > own.credit:
            criterion.verdict, criterion.estimated_credit = own.verdict, own.credit
            criterion.reasoning = f"{criterion.reasoning} {feedback.text('claims_cap', lang)}".strip()
    grade.score = compute_score(grade.criteria)


def _judge(
    question: Question,
    sanitized: SanitizedAnswer,
    lang: str,
    excerpts: list[str],
    examples: list[GradedExample],
    chat_model: Any,
    call_kwargs: dict,
    deadline: float,
) -> Generator[GradeEvent, None, Grade]:
    """One judge call, and one repair call if the reply does not validate."""
    from llm.providers import model_label

    usage = [0, 0]
    messages = build_messages(question, sanitized.text, lang, excerpts, fence_token(sanitized.text), examples)
    reply = yield from _stream_reply(chat_model, messages, call_kwargs, deadline, usage, question)
    repaired = False
    try:
        output = parse_reply(reply, question)
    except JudgeOutputError as first_error:
        yield GradeEvent("status", feedback.text("status_repair", lang, detail=str(first_error)[:160]))
        retry = repair_messages(messages, reply, str(first_error), question)
        reply = yield from _stream_reply(chat_model, retry, call_kwargs, deadline, usage, question)
        output = parse_reply(reply, question)
        repaired = True
    grade = to_grade(output, question, sanitized.text, lang, model_label(chat_model))
    if repaired:
        grade.add_flag(Flag.llm_repaired)
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
            text += (
                content
                if isinstance(content, str)
                else "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
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
    question: Question, sanitized: SanitizedAnswer, lang: str, flag: Flag, reason: str, started: float, assess: dict
) -> Grade:
    """The embedded grader's grade, saying why the LLM did not grade. Never cached: the LLM may be back."""
    grade = grade_embedded(question, sanitized, lang)
    grade.add_flag(flag)
    grade.fallback_reason = reason
    return _finish(grade, question, started, confidence.assess(grade, second_opinion=None, **assess))


def _finish(grade: Grade, question: Question, started: float, assessment: confidence.Assessment) -> Grade:
    """Stamp what produced the grade (prompt and rubric versions), its confidence and its latency."""
    if grade.grader == "llm":
        grade.prompt_version = prompt_version()
    grade.rubric_version = rubric_version(question)
    grade.grader_version = grader_version()
    confidence.apply(grade, assessment)
    grade.latency_ms = round((time.perf_counter() - started) * 1000, 1)
    return grade
