"""The health check for OpenAI-compatible servers, and the time-out case, in plain FR/EN words."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest
from grading_fixtures import ReplayServer, replay_server  # noqa: F401 - fixture

from config import Settings
from llm_server.health import check_health, readable_model_name, url_problem

MODELS = json.dumps({"object": "list", "data": [{"id": "qwen2.5-7b-instruct", "object": "model"}]}).encode()


def openai_settings(url: str, model: str = "qwen2.5-7b-instruct", key: str = "sk-test") -> Settings:
    return Settings(provider="openai", openai_base_url=url, model=model, openai_api_key=key, language="en")


def test_a_healthy_server_is_ok_and_receives_the_key(replay_server: ReplayServer) -> None:  # noqa: F811
    replay_server.routes[("GET", "/v1/models")] = (200, MODELS, "application/json")
    health = check_health(openai_settings(f"{replay_server.url}/v1"))
    assert health.ok and health.models == ["qwen2.5-7b-instruct"]
    assert "the model qwen2.5-7b-instruct is ready" in health.message
    assert replay_server.requests[0][3]["Authorization"] == "Bearer sk-test"


def test_a_refused_key_is_named(replay_server: ReplayServer) -> None:  # noqa: F811
    refusal = b'{"error": {"message": "Invalid API key"}}'
    replay_server.routes[("GET", "/v1/models")] = (401, refusal, "application/json")
    health = check_health(openai_settings(f"{replay_server.url}/v1"))
    assert not health.ok and "refused the API key (HTTP 401)" in health.message
    assert "API key in Settings" in health.fix and "AGENTPREP_" not in health.fix  # a browser user has no shell


def test_a_base_url_without_v1_is_a_wrong_url(replay_server: ReplayServer) -> None:  # noqa: F811
    replay_server.routes[("GET", "/v1/models")] = (200, MODELS, "application/json")
    health = check_health(openai_settings(replay_server.url), lang="fr")
    assert not health.ok and "ce n'est pas une API compatible OpenAI (HTTP 404)" in health.message
    assert "terminée par /v1" in health.fix


def test_a_web_page_instead_of_an_api_is_a_wrong_url(replay_server: ReplayServer) -> None:  # noqa: F811
    replay_server.routes[("GET", "/v1/models")] = (200, b"<html>Router login</html>", "text/html")
    health = check_health(openai_settings(f"{replay_server.url}/v1"))
    assert not health.ok and "not JSON" in health.message


def test_a_model_the_server_does_not_serve_is_named_with_the_alternatives(
    replay_server: ReplayServer,  # noqa: F811
) -> None:
    replay_server.routes[("GET", "/v1/models")] = (200, MODELS, "application/json")
    health = check_health(openai_settings(f"{replay_server.url}/v1", model="llama-3.1-8b"))
    assert not health.ok and "llama-3.1-8b" in health.message and "qwen2.5-7b-instruct" in health.message
    assert "Choose a model the server offers in Settings" in health.fix and "AGENTPREP_" not in health.fix


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers: what a hung server looks like."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_a_server_that_does_not_answer_times_out_with_a_message(silent_port: int) -> None:
    health = check_health(Settings(ollama_url=f"http://127.0.0.1:{silent_port}"), timeout_s=0.5, lang="en")
    assert not health.ok and "did not answer within 0.5 s" in health.message and health.fix
    french = check_health(Settings(ollama_url=f"http://127.0.0.1:{silent_port}"), timeout_s=0.5, lang="fr")
    assert "n'a pas répondu en 0.5 s" in french.message


@pytest.mark.parametrize(
    ("url", "lang", "expected"),
    [
        ("not a url", "en", "“not a url” is not a server address: a URL starts with http:// or https://"),
        ("not a url", "fr", "« not a url » n'est pas une adresse de serveur : une URL commence par http://"),
        ("localhost:11434", "en", "is not a server address"),
        ("ftp://models.example", "en", "is not a server address"),
        ("http://my server:11434", "en", "contains spaces"),
        ("http://", "en", "names no machine"),
        ("http://localhost:port", "fr", "Le port de « http://localhost:port » n'est pas un nombre"),
        ("", "en", "Enter the server URL, e.g. http://localhost:11434."),
    ],
)
def test_a_url_that_is_not_one_is_named_before_any_request(url: str, lang: str, expected: str) -> None:
    health = check_health(Settings(ollama_url=url), timeout_s=0.5, lang=lang)
    assert not health.ok and health.kind == "bad_url" and not health.unreachable
    assert expected in health.message
    assert "répond, mais" not in health.message and "answers, but" not in health.message


def test_a_good_url_passes_and_an_openai_example_ends_in_v1() -> None:
    assert url_problem("http://localhost:11434", "ollama", "en") is None
    assert url_problem("https://api.example.com/v1", "openai", "en") is None
    assert "http://localhost:8000/v1" in url_problem("not a url", "openai", "en").message


def test_no_server_at_the_url_is_unreachable_and_the_fixes_speak_to_a_browser_user() -> None:
    from browser_support import free_port

    url = f"http://127.0.0.1:{free_port()}"
    for settings in (Settings(ollama_url=url), openai_settings(f"{url}/v1")):
        for lang in ("fr", "en"):
            health = check_health(settings, timeout_s=1.0, lang=lang)
            assert health.kind == "down" and health.unreachable and health.fix
            assert "AGENTPREP_" not in health.message + health.fix and "OLLAMA_HOST" not in health.fix


@pytest.mark.parametrize(
    ("model", "shown"),
    [
        ("/models/SmolLM2-135M-Instruct.Q4_K_M.gguf", "SmolLM2-135M-Instruct.Q4_K_M"),
        ("C:\\models\\qwen2.5-7b-instruct-q4_k_m.gguf", "qwen2.5-7b-instruct-q4_k_m"),
        ("./weights/Qwen3-4B", "Qwen3-4B"),
        ("SmolLM2-135M-Instruct.Q4_1.gguf", "SmolLM2-135M-Instruct.Q4_1"),
        ("qwen3:4b", "qwen3:4b"),
        ("Qwen/Qwen3-8B", "Qwen/Qwen3-8B"),
    ],
)
def test_a_model_file_path_reads_as_the_file_stem(model: str, shown: str) -> None:
    assert readable_model_name(model) == shown
