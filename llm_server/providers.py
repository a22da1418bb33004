"""Build the one chat model AgentPrep talks to, from settings; nothing else constructs one.

Ollama is the default (`ChatOllama`); any OpenAI-compatible server (vLLM, llama.cpp's server,
LM Studio, a hosted API) goes through `ChatOpenAI` with the Chat Completions API. Every model is
built at temperature 0 with a fixed seed, so that resubmitting the same answer gives the same grade.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from config import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

SEED = 42
"""A fixed sampling seed: with temperature 0 it makes servers that honour it fully repeatable."""


def get_chat_model(settings: Settings, *, max_output_tokens: int | None = None, **overrides: Any) -> BaseChatModel:
    """The chat model named by `settings`; `overrides` are passed to the LangChain class as is.

    `max_output_tokens` caps the reply under each provider's own name for it (Ollama `num_predict`,
    OpenAI-compatible `max_tokens`), so callers need not know which provider is configured.
    """
    if settings.provider == "ollama":
        from langchain_ollama import ChatOllama

        ollama_params: dict[str, Any] = {
            "model": settings.model,
            "base_url": settings.ollama_url,
            "temperature": 0,
            "seed": SEED,
            "num_ctx": settings.llm_num_ctx,
            # The judge asks for its reasoning inside the JSON it returns; hidden "thinking" on top
            # of that (qwen3's default) would double the latency for nothing the candidate sees.
            "reasoning": False,
            # Loaded between answers, and the prompt prefix it has cached with it (evaluators/judge.py).
            "keep_alive": _ollama_duration(settings.llm_keep_alive),
            "client_kwargs": {"timeout": settings.llm_timeout_s},
        }
        if max_output_tokens is not None:
            ollama_params["num_predict"] = max_output_tokens
        return ChatOllama(**{**ollama_params, **overrides})

    from langchain_openai import ChatOpenAI

    openai_params: dict[str, Any] = {
        "model": settings.model,
        "base_url": settings.openai_base_url,
        "api_key": settings.openai_api_key.get_secret_value() or "not-needed",
        "temperature": 0,
        "seed": SEED,
        "timeout": settings.llm_timeout_s,
        "max_retries": 0,  # a failed call falls back to the embedded grader at once
        "use_responses_api": False,  # local servers only speak Chat Completions
        "stream_usage": True,
    }
    if max_output_tokens is not None:
        # In extra_body because ChatOpenAI renames `max_tokens` to `max_completion_tokens`,
        # which llama.cpp's and other local servers ignore.
        openai_params["extra_body"] = {"max_tokens": max_output_tokens}
    return ChatOpenAI(**{**openai_params, **overrides})


def _ollama_duration(value: str) -> str | int:
    """Ollama reads "30m" as a duration but a bare number only as a JSON number (seconds; -1 = for ever)."""
    text = value.strip()
    return int(text) if text.lstrip("-").isdigit() else text


def json_schema_call_kwargs(chat_model: Any, schema: dict, settings: Settings, name: str = "grade") -> dict:
    """Call-time kwargs that make the server constrain its reply to `schema`.

    The reply stays plain JSON text (no `with_structured_output`), so the caller can stream it,
    validate it with pydantic, and re-ask with the validation error. Models that are neither Ollama
    nor OpenAI-compatible (the test fakes) get no kwargs and follow the prompt's instructions.
    """
    provider = provider_label(chat_model)
    if provider == "ollama":
        return {"format": schema}
    if provider == "openai":
        if settings.openai_response_format == "json_object":
            response_format: dict = {"type": "json_object", "schema": schema}
        else:
            response_format = {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}
        # Sent in the body rather than as `response_format=`: LangChain routes that argument to the
        # OpenAI SDK's beta parsing stream, which some local servers' chunks do not satisfy.
        return {"extra_body": {**(getattr(chat_model, "extra_body", None) or {}), "response_format": response_format}}
    return {}


def model_label(chat_model: Any) -> str:
    """A readable name for the model behind a grade (`qwen3:4b`, or the fake's class name)."""
    for attribute in ("model", "model_name"):
        value = getattr(chat_model, attribute, None)
        if isinstance(value, str) and value:
            return value
    return type(chat_model).__name__


def provider_label(chat_model: Any) -> str | None:
    """'ollama' or 'openai' (any OpenAI-compatible server) for the UI's "graded by ... via ..."; None for fakes."""
    class_name = type(chat_model).__name__
    if class_name == "ChatOllama":
        return "ollama"
    if class_name in {"ChatOpenAI", "AzureChatOpenAI"}:
        return "openai"
    return None


def list_models(settings: Settings, timeout_s: float = 3.0) -> list[str]:
    """Model names the configured server offers, for the settings page.

    Raises `httpx.HTTPError` (connection refused, time-out, 4xx/5xx) and `ValueError` (an answer
    that is not an Ollama or OpenAI model list); `llm_server.health.check_health` turns those into words.
    """
    if settings.provider == "ollama":
        response = httpx.get(f"{settings.ollama_url.rstrip('/')}/api/tags", timeout=timeout_s)
        response.raise_for_status()
        payload = _json_or_raise(response)
        models = payload.get("models") if isinstance(payload, dict) else None
        if not isinstance(models, list):
            raise ValueError("the answer has no 'models' list: this is not an Ollama server")
        return [str(m.get("name") or m.get("model")) for m in models if isinstance(m, dict)]
    key = settings.openai_api_key.get_secret_value()
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    response = httpx.get(f"{settings.openai_base_url.rstrip('/')}/models", headers=headers, timeout=timeout_s)
    response.raise_for_status()
    payload = _json_or_raise(response)
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise ValueError("the answer has no 'data' list: this is not an OpenAI-compatible /v1 endpoint")
    return [str(m.get("id")) for m in data if isinstance(m, dict) and m.get("id")]


def _json_or_raise(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise ValueError("the answer is not JSON: this is not an LLM server") from exc
