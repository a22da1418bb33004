"""Grade an answer: the one entry point the UI, the CLI and the harness call.

`grade(request)` yields what a candidate should see while waiting and ends with the Grade. It runs
the stages of `evaluators.stages` in order: sanitize → the embedded grader (empty, very short or
chosen) or the LLM judge (health, cache, one streamed call) → verify the judge's evidence → the
ceilings (injection, claims) → confidence → stamp and cache. The judge's verdicts come first in its
reply, so the score is shown (a `score` event) before the feedback is written. It never raises for
a model problem: an unreachable, slow or confused LLM hands over to the embedded grader and the
grade says so. `improve_stream` answers "How do I improve?" with a second short call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Unpack

from config import Settings
from core.text import fence_token
from core.types import Flag, Grade
from evaluators import feedback, stages
from evaluators.cache import GradeCache, embedded_grade_key, llm_grade_key
from evaluators.embedded import grade_embedded
from evaluators.examples import question_examples
from evaluators.guards import SanitizedAnswer, sanitize_answer
from evaluators.judge import (
    IMPROVE_MAX_OUTPUT_TOKENS,
    MAX_OUTPUT_TOKENS,
    build_messages,
    improve_messages,
    improvement_json_schema,
    output_json_schema,
)
from evaluators.judge_call import GradeEvent, JudgeReply, is_timeout, judge_conversation, stream_text
from evaluators.judge_reply import JudgeOutputError, clean_improvement, parse_improvement
from evaluators.request import GradeChoices, GraderChoice, GradeRequest
from evaluators.stages import PreparedAnswer
from knowledge.embeddings import EMBEDDING_MODEL_NAME
from llm_server.health import Health
from llm_server.monitor import PROCESS_MONITOR
from question_bank.model import Question

__all__ = [
    "GradeCache", "GradeEvent", "GradeRequest", "GraderChoice", "grade", "grade_answer", "grade_stream",
    "improve_stream", "llm_health",
]  # fmt: skip

log = logging.getLogger(__name__)


def llm_health(settings: Settings, lang: str | None = None) -> Health:
    """Whether the settings' LLM server answers: the process's one remembered check (`llm_server.monitor`),
    told in `lang` (the settings' language when None)."""
    return PROCESS_MONITOR.health(settings, lang)


def grade_stream(
    question: Question, answer: str, *, settings: Settings, chat_model: Any = None, cache: GradeCache | None = None,
    **choices: Unpack[GradeChoices],
) -> Iterator[GradeEvent]:  # fmt: skip
    """`grade` for a question and an answer, the request's choices given as keywords."""
    return grade(GradeRequest.of(question, answer, **choices), settings=settings, chat_model=chat_model, cache=cache)


def grade_answer(
    question: Question, answer: str, *, settings: Settings, chat_model: Any = None, cache: GradeCache | None = None,
    **choices: Unpack[GradeChoices],
) -> Grade:  # fmt: skip
    """The final Grade, for callers that do not show progress."""
    request = GradeRequest.of(question, answer, **choices)
    for event in grade(request, settings=settings, chat_model=chat_model, cache=cache):
        if event.kind == "grade" and event.grade is not None:
            return event.grade
    raise RuntimeError("grading ended without a grade")  # a bug, never a model problem


def grade(
    request: GradeRequest, *, settings: Settings, chat_model: Any = None, cache: GradeCache | None = None
) -> Iterator[GradeEvent]:
    """Grade a request and report progress; the last event is always a `grade`.

    A `chat_model` passed in is used as is (tests, benches) and grades are cached only in the
    `cache` given; otherwise the model comes from settings and grades are cached in the database.
    """
    prepared = stages.sanitize(request, settings.language)
    lang = prepared.lang
    if cache is None and chat_model is None:
        cache = GradeCache(settings.sqlalchemy_url)
    if stages.needs_no_model(prepared):
        yield GradeEvent("status", feedback.text("status_embedded", lang))
        yield GradeEvent("grade", grade=_cached_embedded_grade(prepared, cache))
        return
    if chat_model is None:
        if request.grader == "auto":
            yield GradeEvent("status", feedback.text("status_checking", lang))
            health = llm_health(settings, lang)  # its words go inside this grade's own sentence
            if not health.ok:
                detail = health.message + (f" {health.fix}" if health.fix else "")
                reason = feedback.text("fallback_unavailable", lang, detail=detail)
                yield GradeEvent("grade", grade=stages.fallback_grade(prepared, Flag.llm_unavailable, reason))
                return
        chat_model = _chat_model(settings, MAX_OUTPUT_TOKENS)

    call = _JudgeCall.prepare(request, prepared.sanitized, lang, chat_model)
    cached = cache.get(call.key) if cache is not None and not request.fresh else None
    if cached is not None:
        yield GradeEvent("status", feedback.text("status_cached", lang))
        yield GradeEvent("grade", grade=cached)
        return
    yield GradeEvent("status", feedback.text("status_grading", lang, model=call.model_name))
    graded = yield from _judged(prepared, call, chat_model, settings)
    if graded.grader == "llm" and cache is not None:  # verdicts without feedback too: same answer, same grade
        cache.put(call.key, graded)
    yield GradeEvent("grade", grade=graded)


def _judged(
    prepared: PreparedAnswer, call: _JudgeCall, chat_model: Any, settings: Settings
) -> Iterator[GradeEvent]:  # a generator that also returns the Grade (`yield from`)
    """The judge's stages: the streamed call, then verify evidence → ceilings → confidence → stamp, the
    moment the verdicts are complete (the `score` event); any model failure → the embedded grader."""
    lang, question = prepared.lang, prepared.request.question
    timeout = prepared.request.timeout_s if prepared.request.timeout_s is not None else settings.llm_timeout_s
    schema = output_json_schema(tuple(item.id for item in question.rubric))
    second_opinion: Future[Grade] = _BACKGROUND.submit(grade_embedded, question, prepared.sanitized, lang)
    scored: list[Grade] = []  # the grade the `score` event carried: settled once, kept to the end

    def settle(output: Any, repaired: bool) -> Grade:
        embedded = second_opinion.result()
        grade = stages.verify_evidence(output, prepared, call.model_name, repaired)
        grade = stages.ceilings(grade, prepared, embedded)
        grade.provider, grade.calibration_examples = call.provider, len(call.examples)
        return stages.stamp(grade, prepared, second_opinion=embedded.score)

    def score_event(output: Any, repaired: bool) -> GradeEvent:
        scored.append(settle(output, repaired))
        return GradeEvent("score", grade=scored[-1])

    try:
        reply: JudgeReply = yield from judge_conversation(
            question, call.messages, chat_model, _json_call_kwargs(chat_model, schema, settings),
            time.monotonic() + timeout, lang, on_verdicts=score_event,
        )  # fmt: skip
    except JudgeOutputError as exc:
        reason = feedback.text("fallback_invalid", lang, detail=str(exc)[:200])
        return stages.fallback_grade(prepared, Flag.llm_invalid_output, reason)
    except Exception as exc:
        if is_timeout(exc):
            reason = feedback.text("fallback_timeout", lang, seconds=timeout)
            return stages.fallback_grade(prepared, Flag.llm_timeout, reason)
        log.warning("LLM grading failed, falling back to the embedded grader", exc_info=True)
        reason = feedback.text("fallback_unavailable", lang, detail=f"{type(exc).__name__}: {exc}"[:300])
        return stages.fallback_grade(prepared, Flag.llm_unavailable, reason)
    scored_grade = scored[-1] if scored else settle(reply.output, reply.repaired)
    return stages.with_judge_texts(scored_grade, reply, prepared)


def improve_stream(
    question: Question, answer: str, grade: Grade, *, settings: Settings, chat_model: Any = None,
    cache: GradeCache | None = None, **choices: Unpack[GradeChoices],
) -> Iterator[GradeEvent]:  # fmt: skip
    """ "How do I improve?": the judge's missing points and a stronger answer, added to its grade.

    One short call that continues the grading conversation (the grade prompt, the judge's own
    reply, then the request), so a server's prompt cache reuses all of it. The score does not
    change. It ends with the grade, completed, or with an `error` event saying why not. Of the
    choices, the excerpts, time-out and examples apply (the advice has no grader to choose).
    """
    lang = grade.lang
    if grade.grader != "llm" or not grade.judge_reply:
        yield GradeEvent("error", feedback.text("improve_not_llm", lang))
        return
    if cache is None and chat_model is None:
        cache = GradeCache(settings.sqlalchemy_url)
    if chat_model is None:
        health = llm_health(settings, lang)
        if not health.ok:
            yield GradeEvent("error", feedback.text("improve_unavailable", lang, detail=health.message))
            return
        chat_model = _chat_model(settings, IMPROVE_MAX_OUTPUT_TOKENS)
    request = GradeRequest.of(question, answer, **choices)
    call = _JudgeCall.prepare(request, sanitize_answer(request.answer), lang, chat_model)
    yield GradeEvent("status", feedback.text("status_improving", lang, model=call.model_name))
    messages = improve_messages(call.messages, grade.judge_reply, lang)
    timeout = request.timeout_s if request.timeout_s is not None else settings.llm_timeout_s
    kwargs = _json_call_kwargs(chat_model, improvement_json_schema(), settings, name="improvement")
    try:
        text = "".join(stream_text(chat_model, messages, kwargs, time.monotonic() + timeout, [0, 0]))
        improvement = clean_improvement(parse_improvement(text), lang)
        if not improvement.missing_points and not improvement.stronger_answer:
            raise JudgeOutputError(feedback.text("improve_unusable", lang))
    except Exception as exc:
        if is_timeout(exc):
            detail = feedback.text("improve_timeout", lang, seconds=timeout)
        elif isinstance(exc, JudgeOutputError):
            detail = str(exc)[:300]
        else:
            log.warning("the improvement call failed", exc_info=True)
            detail = f"{type(exc).__name__}: {exc}"[:300]
        yield GradeEvent("error", feedback.text("improve_failed", lang, detail=detail))
        return
    improved = grade.model_copy(
        update={"missing_points": list(improvement.missing_points), "stronger_answer": improvement.stronger_answer}
    )
    stored = cache.get(call.key) if cache is not None else None
    if stored is not None and stored.judge_reply == grade.judge_reply:  # the key this grade was cached under
        cache.put(call.key, improved.model_copy(update={"cached": False}))
    yield GradeEvent("grade", grade=improved)


_BACKGROUND = ThreadPoolExecutor(max_workers=2, thread_name_prefix="second-opinion")
"""Runs the embedded grader's second opinion while the judge writes, so the score waits for neither."""


@dataclass(frozen=True)
class _JudgeCall:
    """What one judge conversation is made of: the model's names, the examples, the messages, the cache key."""

    model_name: str
    provider: str | None
    examples: list
    messages: list
    key: str

    @classmethod
    def prepare(cls, request: GradeRequest, sanitized: SanitizedAnswer, lang: str, chat_model: Any) -> _JudgeCall:
        from llm_server.providers import model_label, provider_label

        question, excerpts = request.question, list(request.excerpts)
        model_name, provider = model_label(chat_model), provider_label(chat_model)
        examples = question_examples(question, sanitized.text, lang) if request.use_examples else []
        messages = build_messages(question, sanitized.text, lang, excerpts, fence_token(sanitized.text), examples)
        key = llm_grade_key(question, request.answer, provider=provider, model_name=model_name, lang=lang,
                            expected_lang=request.expected_lang, excerpts=excerpts, examples=examples)  # fmt: skip
        return cls(model_name, provider, examples, messages, key)


def _chat_model(settings: Settings, max_output_tokens: int) -> Any:
    from llm_server.providers import get_chat_model

    return get_chat_model(settings, max_output_tokens=max_output_tokens)


def _json_call_kwargs(chat_model: Any, schema: dict, settings: Settings, name: str = "grade") -> dict:
    from llm_server.providers import json_schema_call_kwargs

    return json_schema_call_kwargs(chat_model, schema, settings, name=name)


def _cached_embedded_grade(prepared: PreparedAnswer, cache: GradeCache | None) -> Grade:
    """The embedded grader's grade, from the cache when this exact answer was graded before."""
    request = prepared.request
    key = embedded_grade_key(request.question, request.answer, model_name=EMBEDDING_MODEL_NAME, lang=prepared.lang,
                             expected_lang=request.expected_lang)  # fmt: skip
    cached = cache.get(key) if cache is not None and not request.fresh else None
    if cached is not None:
        return cached
    grade = stages.embedded_grade(prepared)
    if cache is not None:
        cache.put(key, grade)
    return grade
