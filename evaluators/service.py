"""Grade an answer: the one entry point the UI, the CLI and the harness call.

`grade_stream` yields what a candidate should see while waiting and ends with the Grade. Its
stages, in order: sanitize the answer → the embedded grader (empty, very short or chosen) or the
LLM judge (health, cache, one streamed call) → verify the judge's evidence → the ceilings
(injection, claims) → confidence → stamp and cache. The judge's verdicts come first in its reply,
so the score is shown (a `score` event) before the feedback is written. It never raises for a
model problem: an unreachable, slow or confused LLM hands over to the embedded grader and the
grade says so. `improve_stream` answers "How do I improve?" with a second short call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from config import Settings
from core.text import fence_token
from evaluators import confidence, feedback
from evaluators.cache import GradeCache, embedded_grade_key, llm_grade_key
from evaluators.ceilings import apply_ceilings
from evaluators.embedded import grade_embedded
from evaluators.examples import question_examples
from evaluators.grade import Flag, Grade
from evaluators.guards import SanitizedAnswer, clean_text, sanitize_answer
from evaluators.judge import (
    IMPROVE_MAX_OUTPUT_TOKENS,
    MAX_OUTPUT_TOKENS,
    build_messages,
    improve_messages,
    improvement_json_schema,
    output_json_schema,
)
from evaluators.judge_call import GradeEvent, JudgeReply, is_timeout, judge_conversation, stream_text
from evaluators.judge_reply import (
    JudgeOutputError,
    clean_improvement,
    judge_texts,
    parse_improvement,
    reasoning_view,
    to_grade,
)
from evaluators.provenance import grader_version, prompt_version, rubric_version
from knowledge.embeddings import EMBEDDING_MODEL_NAME
from knowledge.language import detect_language
from question_bank.model import Question

__all__ = ["GradeCache", "GradeEvent", "grade_answer", "grade_stream", "improve_stream", "llm_health"]

log = logging.getLogger(__name__)
GraderChoice = Literal["auto", "llm", "embedded"]
HEALTH_TTL_S = 20.0


_health_memo: dict[tuple, tuple[float, Any]] = {}


def llm_health(settings: Settings):  # type: ignore[no-untyped-def]
    """`llm_server.health.check_health`, remembered for 20 s: a batch of grades does not probe the server each time."""
    from llm_server.health import check_health

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
    `use_examples` shows the judge two of the question's coach-graded samples.
    """
    started = time.perf_counter()
    sanitized = sanitize_answer(answer or "")
    lang = detect_language(sanitized.text or clean_text(answer or ""), default=settings.language)
    words = len(sanitized.text.split())
    if cache is None and chat_model is None:
        cache = GradeCache(settings.sqlalchemy_url)
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
        chat_model = _chat_model(settings, MAX_OUTPUT_TOKENS)

    call = _JudgeCall.prepare(question, answer, sanitized, lang, list(excerpts), chat_model, use_examples)
    cached = cache.get(call.key) if cache is not None and not fresh else None
    if cached is not None:
        yield GradeEvent("status", feedback.text("status_cached", lang))
        yield GradeEvent("grade", grade=cached)
        return

    yield GradeEvent("status", feedback.text("status_grading", lang, model=call.model_name))
    timeout = timeout_s if timeout_s is not None else settings.llm_timeout_s
    schema = output_json_schema(tuple(item.id for item in question.rubric))
    second_opinion = _BACKGROUND.submit(grade_embedded, question, sanitized, lang)

    def settle(output: Any, repaired: bool) -> Grade:
        """The stages after the judge: evidence check, ceilings, flags, confidence, stamps."""
        grade = to_grade(output, question, sanitized.text, lang, call.model_name)
        if repaired:
            grade.add_flag(Flag.llm_repaired)
        embedded = second_opinion.result()
        apply_ceilings(grade, sanitized, embedded, lang)
        if sanitized.truncated:
            grade.add_flag(Flag.truncated)
        if sanitized.claims:
            grade.add_flag(Flag.unsupported_claims)
        grade.provider, grade.second_opinion = call.provider, embedded.score
        grade.calibration_examples = len(call.examples)
        return _finish(grade, question, started, confidence.assess(grade, second_opinion=embedded.score, **assess))

    shown: list[Grade] = []  # the grade the `score` event carried: settled once, kept to the end

    def score_event(output: Any, repaired: bool) -> GradeEvent:
        shown.append(settle(output, repaired))
        return GradeEvent("score", grade=shown[-1])

    try:
        reply: JudgeReply = yield from judge_conversation(
            question, call.messages, chat_model, _json_call_kwargs(chat_model, schema, settings),
            time.monotonic() + timeout, lang, on_verdicts=score_event,
        )  # fmt: skip
    except JudgeOutputError as exc:
        reason = feedback.text("fallback_invalid", lang, detail=str(exc)[:200])
        yield GradeEvent(
            "grade", grade=_fallback(question, sanitized, lang, Flag.llm_invalid_output, reason, started, assess)
        )
        return
    except Exception as exc:
        if is_timeout(exc):
            reason = feedback.text("fallback_timeout", lang, seconds=timeout)
            flag = Flag.llm_timeout
        else:
            log.warning("LLM grading failed, falling back to the embedded grader", exc_info=True)
            reason = feedback.text("fallback_unavailable", lang, detail=f"{type(exc).__name__}: {exc}"[:300])
            flag = Flag.llm_unavailable
        yield GradeEvent("grade", grade=_fallback(question, sanitized, lang, flag, reason, started, assess))
        return

    # The verdicts were settled when the score was shown (the evidence check and ceilings are not run
    # twice); what follows them in the reply is the judge's texts.
    grade = shown[-1].model_copy(deep=True) if shown else settle(reply.output, reply.repaired)
    grade.misconceptions, judge_feedback = judge_texts(reply.output)
    grade.feedback = " ".join(part for part in (judge_feedback, feedback.flag_notes(grade, lang)) if part)
    grade.latency_ms = round((time.perf_counter() - started) * 1000, 1)
    grade.reasoning = reasoning_view(reply.text, question) or ""
    grade.judge_reply = reply.text
    grade.prompt_tokens, grade.completion_tokens = (reply.usage[0] or None), (reply.usage[1] or None)
    if cache is not None:  # verdicts without feedback too: the same answer must get the same grade
        cache.put(call.key, grade)
    yield GradeEvent("grade", grade=grade)


def improve_stream(
    question: Question,
    answer: str,
    grade: Grade,
    *,
    settings: Settings,
    excerpts: list[str] | tuple[str, ...] = (),
    chat_model: Any = None,
    cache: GradeCache | None = None,
    timeout_s: float | None = None,
    use_examples: bool = True,
) -> Iterator[GradeEvent]:
    """ "How do I improve?": the judge's missing points and a stronger answer, added to its grade.

    One short call that continues the grading conversation (the grade prompt, the judge's own
    reply, then the request), so a server's prompt cache reuses all of it. The score does not
    change. It ends with the grade, completed, or with an `error` event saying why not.
    """
    lang = grade.lang
    if grade.grader != "llm" or not grade.judge_reply:
        yield GradeEvent("error", feedback.text("improve_not_llm", lang))
        return
    if cache is None and chat_model is None:
        cache = GradeCache(settings.sqlalchemy_url)
    if chat_model is None:
        health = llm_health(settings)
        if not health.ok:
            yield GradeEvent("error", feedback.text("improve_unavailable", lang, detail=health.message))
            return
        chat_model = _chat_model(settings, IMPROVE_MAX_OUTPUT_TOKENS)
    sanitized = sanitize_answer(answer or "")
    call = _JudgeCall.prepare(question, answer, sanitized, lang, list(excerpts), chat_model, use_examples)
    yield GradeEvent("status", feedback.text("status_improving", lang, model=call.model_name))
    messages = improve_messages(call.messages, grade.judge_reply, lang)
    timeout = timeout_s if timeout_s is not None else settings.llm_timeout_s
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
    def prepare(
        cls, question: Question, answer: str, sanitized: SanitizedAnswer, lang: str, excerpts: list[str],
        chat_model: Any, use_examples: bool,
    ) -> _JudgeCall:  # fmt: skip
        from llm_server.providers import model_label, provider_label

        model_name, provider = model_label(chat_model), provider_label(chat_model)
        examples = question_examples(question, sanitized.text, lang) if use_examples else []
        messages = build_messages(question, sanitized.text, lang, excerpts, fence_token(sanitized.text), examples)
        key = llm_grade_key(question, answer, provider=provider, model_name=model_name, lang=lang,
                            excerpts=excerpts, examples=examples)  # fmt: skip
        return cls(model_name, provider, examples, messages, key)


def _chat_model(settings: Settings, max_output_tokens: int) -> Any:
    from llm_server.providers import get_chat_model

    return get_chat_model(settings, max_output_tokens=max_output_tokens)


def _json_call_kwargs(chat_model: Any, schema: dict, settings: Settings, name: str = "grade") -> dict:
    from llm_server.providers import json_schema_call_kwargs

    return json_schema_call_kwargs(chat_model, schema, settings, name=name)


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
