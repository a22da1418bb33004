"""Is the configured LLM usable right now? Answered in words a candidate understands, with the fix.

A candidate who sees "connection refused" does not know to run `ollama serve`; one who sees a
grade silently produced by the fallback grader does not know the model was never pulled. Each
failure below names what is wrong and the one command or setting that fixes it, in FR and EN.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from config import Settings
from core.i18n import say
from llm_server.providers import list_models


@dataclass(frozen=True)
class Health:
    """The verdict on the LLM: `ok`, a sentence saying why, and the fix when not ok."""

    ok: bool
    message: str
    fix: str | None = None
    models: list[str] = field(default_factory=list)


def _text(key: str, lang: str, **values: object) -> str:
    """A health sentence from the one catalogue (core/strings/health.yaml)."""
    return say(key, lang, **values)


def model_is_listed(model: str, available: list[str], provider: str) -> bool:
    """Ollama names `qwen3` and `qwen3:latest` the same model; OpenAI servers match names exactly."""
    if provider != "ollama":
        return model in available or any(a.rsplit("/", 1)[-1] == model for a in available)
    wanted = model if ":" in model else f"{model}:latest"
    return any((name if ":" in name else f"{name}:latest") == wanted for name in available)


def check_health(settings: Settings, timeout_s: float = 3.0, lang: str | None = None) -> Health:
    """Ask the server for its model list (cheap, no generation) and explain any problem found."""
    lang = lang or settings.language
    ollama = settings.provider == "ollama"
    server = "Ollama" if ollama else _text("server_openai", lang)
    url = settings.ollama_url if ollama else settings.openai_base_url
    suffix = "ollama" if ollama else "openai"
    try:
        models = list_models(settings, timeout_s=timeout_s)
    except httpx.TimeoutException:
        return Health(False, _text("timeout", lang, url=url, seconds=timeout_s), _text("timeout_fix", lang))
    except (httpx.ConnectError, httpx.RemoteProtocolError) as exc:
        if isinstance(exc, httpx.RemoteProtocolError):
            return _wrong_url(lang, url, ollama, suffix, "HTTP?")
        return Health(False, _text("down", lang, url=url, server=server), _text(f"down_fix_{suffix}", lang))
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        if status in (401, 403):
            return Health(False, _text("auth", lang, url=url, status=status), _text("auth_fix", lang))
        return _wrong_url(lang, url, ollama, suffix, f"HTTP {status}")
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        return _wrong_url(lang, url, ollama, suffix, str(exc))
    except httpx.HTTPError as exc:
        message = _text("down", lang, url=url, server=server) + f" ({exc})"
        return Health(False, message, _text(f"down_fix_{suffix}", lang))
    except ValueError as exc:
        return _wrong_url(lang, url, ollama, suffix, str(exc))

    if not model_is_listed(settings.model, models, settings.provider):
        available = ", ".join(models[:8]) or _text("none", lang)
        return Health(
            False,
            _text("missing_model", lang, model=settings.model, server=server, available=available),
            _text(f"missing_model_fix_{suffix}", lang, model=settings.model),
            models,
        )
    return Health(True, _text("ok", lang, server=server[:1].upper() + server[1:], model=settings.model), None, models)


def _wrong_url(lang: str, url: str, ollama: bool, suffix: str, detail: str) -> Health:
    kind = _text("kind_ollama" if ollama else "kind_openai", lang)
    message = _text("wrong_url", lang, url=url, kind=kind, detail=detail)
    return Health(False, message, _text(f"wrong_url_fix_{suffix}", lang))
