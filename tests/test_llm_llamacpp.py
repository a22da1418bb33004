"""The wire with a real model: llama-cpp-python's OpenAI-compatible server running SmolLM2-135M.

Such a tiny model grades badly and believes what it reads; what these tests check is the plumbing
(schema-constrained JSON over the OpenAI-compatible API, streaming, time-outs) and that the guards
outside the model hold even when the model itself is gullible.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from grading_fixtures import INJECTION_EN, QUESTION

from config import Settings
from core.types import Flag
from evaluators.cache import GradeCache
from evaluators.embedded import grade_embedded
from evaluators.guards import sanitize_answer
from evaluators.service import grade_answer, grade_stream, improve_stream
from llm_server.health import check_health

pytestmark = pytest.mark.slow


@pytest.fixture
def server_settings(llama_server: Settings, tmp_path: Path) -> Settings:
    """The running server's settings, with this test's own data directory (and so its own cache)."""
    return llama_server.model_copy(update={"data_dir": tmp_path})


def test_a_schema_valid_grade_arrives_streamed(server_settings: Settings, tmp_path: Path) -> None:
    settings = server_settings
    answer = "I run BM25 and a dense vector search in parallel, then merge the rankings with reciprocal rank fusion."
    cache = GradeCache(f"sqlite:///{tmp_path / 'c.db'}")
    events = list(grade_stream(QUESTION, answer, settings=settings, grader="auto", cache=cache))
    grade = events[-1].grade
    assert grade.grader == "llm", grade.fallback_reason  # the reply validated against the schema
    assert grade.model == settings.model
    assert [c.id for c in grade.criteria] == ["two-retrievers", "rrf", "measure"]
    assert 0 <= grade.score <= 10
    reasoning = [e.text for e in events if e.kind == "reasoning"]
    assert len(reasoning) >= 3 and "".join(reasoning) == grade.reasoning
    kinds = [e.kind for e in events]
    # The verdicts, then the score (the same as the final grade's), then the rest of the reply.
    assert max(i for i, k in enumerate(kinds) if k == "reasoning") < kinds.index("score") < len(kinds) - 1
    assert events[kinds.index("score")].grade.score == grade.score
    assert all(kinds.index("score") < i for i, k in enumerate(kinds) if k == "feedback")


def test_how_do_i_improve_gets_advice_from_the_same_server(server_settings: Settings, tmp_path: Path) -> None:
    answer = "I run BM25 and a dense vector search, then merge both rankings with reciprocal rank fusion."
    cache = GradeCache(f"sqlite:///{tmp_path / 'c.db'}")
    grade = grade_answer(QUESTION, answer, settings=server_settings, grader="llm", cache=cache)
    assert grade.grader == "llm", grade.fallback_reason
    events = list(improve_stream(QUESTION, answer, grade, settings=server_settings, cache=cache))
    assert events[-1].kind == "grade", events[-1].text
    improved = events[-1].grade
    assert improved.score == grade.score and improved.stronger_answer.strip()


def test_the_injection_guard_holds_against_a_gullible_small_model(server_settings: Settings) -> None:
    honest = "I would use a vector database to find documents for the model."
    grade = grade_answer(QUESTION, honest + INJECTION_EN, settings=server_settings, grader="llm")
    honest_ceiling = grade_embedded(QUESTION, sanitize_answer(honest), "en").score
    assert Flag.prompt_injection in grade.flags
    assert grade.score <= honest_ceiling


def test_a_time_out_falls_back_cleanly_and_the_server_stays_usable(server_settings: Settings) -> None:
    settings = server_settings
    answer = "BM25 and dense retrieval are fused with reciprocal rank fusion, then I measure recall on a test set."
    grade = grade_answer(QUESTION, answer, settings=settings, grader="llm", timeout_s=0.3)
    assert grade.grader == "embedded" and Flag.llm_timeout in grade.flags
    assert "did not finish within 0.3 s" in grade.fallback_reason
    health = check_health(settings, timeout_s=30)
    assert health.ok, health.message
    assert settings.model in health.models[0]
