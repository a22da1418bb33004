"""Ollama's wire format: ChatOllama against recorded /api/tags and /api/chat exchanges.

A tiny HTTP server on 127.0.0.1 replays hand-made files in Ollama's real format (tests/data/ollama)
and records what the client sent, so the request (schema in `format`, temperature 0, seed,
num_ctx) and the response path (NDJSON streaming, usage counts) are both checked without Ollama.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from grading_fixtures import GOOD_ANSWER_EN, QUESTION, ReplayServer, free_port, replay_server  # noqa: F401

from config import Settings
from core.types import Flag, Verdict
from evaluators.judge import MAX_OUTPUT_TOKENS
from evaluators.service import grade_answer, grade_stream
from llm_server.health import check_health
from llm_server.providers import list_models

RECORDINGS = Path(__file__).resolve().parent / "data" / "ollama"


def recording(name: str) -> bytes:
    return (RECORDINGS / name).read_bytes()


@pytest.fixture
def ollama_replay(replay_server: ReplayServer) -> ReplayServer:  # noqa: F811 - the fixture
    replay_server.routes[("GET", "/api/tags")] = (200, recording("tags.json"), "application/json; charset=utf-8")
    replay_server.routes[("POST", "/api/chat")] = (200, recording("chat_grade.ndjson"), "application/x-ndjson")
    return replay_server


def ollama_settings(url: str, tmp_path: Path, model: str = "qwen3:4b", language: str = "en") -> Settings:
    return Settings(provider="ollama", ollama_url=url, model=model, data_dir=tmp_path, language=language)


def test_chat_ollama_gets_a_grade_through_the_recorded_exchange(ollama_replay: ReplayServer, tmp_path: Path) -> None:
    settings = ollama_settings(ollama_replay.url, tmp_path)
    events = list(grade_stream(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="auto"))
    grade = events[-1].grade
    assert grade.grader == "llm" and grade.model == "qwen3:4b" and grade.fallback_reason is None
    assert [c.verdict for c in grade.criteria] == [Verdict.met, Verdict.met, Verdict.partly_met]
    assert all(c.evidence_ok for c in grade.criteria) and grade.score == 9.2
    assert (grade.prompt_tokens, grade.completion_tokens) == (1084, 181)
    assert sum(e.kind == "reasoning" for e in events) > 10
    kinds = [e.kind for e in events]
    assert kinds.index("score") > max(
        i for i, k in enumerate(kinds) if k == "reasoning"
    )  # the verdicts, then the score
    assert events[kinds.index("score")].grade.score == grade.score

    chats = [body for method, path, body, _ in ollama_replay.requests if path == "/api/chat"]
    assert len(chats) == 1
    request = chats[0]
    assert request["model"] == "qwen3:4b" and request["stream"] is True and request["think"] is False
    assert request["format"]["properties"]["criteria"]["required"] == ["two-retrievers", "rrf", "measure"]
    assert request["options"]["temperature"] == 0 and request["options"]["seed"] == 42
    assert request["options"]["num_ctx"] == 8192 and request["options"]["num_predict"] == MAX_OUTPUT_TOKENS
    assert request["keep_alive"] == "30m"  # the model, and its cached prompt prefix, stay loaded between answers
    assert [m["role"] for m in request["messages"]] == ["system", "user"]


def test_the_same_answer_is_served_from_the_cache_without_a_second_call(
    ollama_replay: ReplayServer, tmp_path: Path
) -> None:
    settings = ollama_settings(ollama_replay.url, tmp_path)
    first = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="llm")
    again = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="llm")
    assert again.cached and again.model_dump(exclude={"cached"}) == first.model_dump(exclude={"cached"})
    assert first.provider == "ollama" and first.prompt_version and first.rubric_version
    assert sum(path == "/api/chat" for _, path, _, _ in ollama_replay.requests) == 1


def test_health_ok_lists_the_models(ollama_replay: ReplayServer, tmp_path: Path) -> None:
    health = check_health(ollama_settings(ollama_replay.url, tmp_path))
    assert health.ok and health.fix is None
    assert health.models == ["qwen3:4b", "llama3.2:3b"]
    assert list_models(ollama_settings(ollama_replay.url, tmp_path)) == ["qwen3:4b", "llama3.2:3b"]


def test_health_says_the_server_is_down_and_how_to_start_it(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    health = check_health(ollama_settings(url, tmp_path))
    assert not health.ok and url in health.message and "not running" in health.message
    assert "`ollama serve`" in health.fix
    french = check_health(ollama_settings(url, tmp_path), lang="fr")
    assert "n'est pas lancé" in french.message and "Lancez-le avec `ollama serve`" in french.fix


def test_health_says_the_model_is_not_pulled(ollama_replay: ReplayServer, tmp_path: Path) -> None:
    health = check_health(ollama_settings(ollama_replay.url, tmp_path, model="qwen3:8b"))
    assert not health.ok and "qwen3:8b" in health.message and "qwen3:4b, llama3.2:3b" in health.message
    assert health.fix.startswith("Download it with `ollama pull qwen3:8b`")
    ollama_replay.routes[("GET", "/api/tags")] = (200, recording("tags_empty.json"), "application/json")
    fresh = check_health(ollama_settings(ollama_replay.url, tmp_path), lang="fr")
    assert not fresh.ok and "aucun" in fresh.message and "`ollama pull qwen3:4b`" in fresh.fix


def test_an_untagged_model_name_means_latest(ollama_replay: ReplayServer, tmp_path: Path) -> None:
    ollama_replay.routes[("GET", "/api/tags")] = (200, recording("tags.json"), "application/json")
    assert not check_health(ollama_settings(ollama_replay.url, tmp_path, model="qwen3")).ok  # only qwen3:4b is there


def test_health_says_the_url_is_wrong_on_a_404(ollama_replay: ReplayServer, tmp_path: Path) -> None:
    health = check_health(ollama_settings(f"{ollama_replay.url}/v1", tmp_path))
    assert not health.ok and "not an Ollama server" in health.message and "HTTP 404" in health.message
    assert "http://localhost:11434" in health.fix


def test_a_model_missing_at_grading_time_falls_back_with_ollama_s_own_words(
    ollama_replay: ReplayServer, tmp_path: Path
) -> None:
    ollama_replay.routes[("POST", "/api/chat")] = (404, recording("chat_model_not_found.json"), "application/json")
    settings = ollama_settings(ollama_replay.url, tmp_path, model="qwen3:8b")
    grade = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="llm")
    assert grade.grader == "embedded" and Flag.llm_unavailable in grade.flags
    assert "try pulling it first" in grade.fallback_reason


def test_auto_does_not_call_a_server_whose_model_is_missing(ollama_replay: ReplayServer, tmp_path: Path) -> None:
    settings = ollama_settings(ollama_replay.url, tmp_path, model="mistral:7b")
    grade = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="auto")
    assert grade.grader == "embedded" and "ollama pull mistral:7b" in grade.fallback_reason
    assert all(path != "/api/chat" for _, path, _, _ in ollama_replay.requests)
