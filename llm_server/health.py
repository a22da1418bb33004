"""Is the configured LLM usable right now? Answered in words a candidate understands, with the fix.

A candidate who sees "connection refused" does not know to run `ollama serve`; one who sees a
grade silently produced by the fallback grader does not know the model was never pulled. Each
failure below names what is wrong and the one command or setting that fixes it, in FR and EN.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from config import Settings
from llm_server.providers import list_models

MESSAGES: dict[str, dict[str, str]] = {
    "ok": {
        "en": "{server} is running and the model {model} is ready.",
        "fr": "{server} fonctionne et le modèle {model} est prêt.",
    },
    "down": {
        "en": "No LLM server answers at {url}: {server} is not running.",
        "fr": "Aucun serveur LLM ne répond à {url} : {server} n'est pas lancé.",
    },
    "down_fix_ollama": {
        "en": "Start it with `ollama serve` (or open the Ollama app), then try again.",
        "fr": "Lancez-le avec `ollama serve` (ou ouvrez l'application Ollama), puis réessayez.",
    },
    "down_fix_openai": {
        "en": "Start your OpenAI-compatible server (vLLM, llama.cpp, LM Studio) or correct AGENTPREP_OPENAI_BASE_URL.",
        "fr": (
            "Lancez votre serveur compatible OpenAI (vLLM, llama.cpp, LM Studio) ou corrigez "
            "AGENTPREP_OPENAI_BASE_URL."
        ),
    },
    "timeout": {
        "en": "The server at {url} did not answer within {seconds:g} s.",
        "fr": "Le serveur à {url} n'a pas répondu en {seconds:g} s.",
    },
    "timeout_fix": {
        "en": "Check that the address is right and the machine reachable; a busy server may need a moment.",
        "fr": "Vérifiez l'adresse et que la machine est joignable ; un serveur occupé peut demander un moment.",
    },
    "wrong_url": {
        "en": "{url} answers, but it is not {kind} ({detail}).",
        "fr": "{url} répond, mais ce n'est pas {kind} ({detail}).",
    },
    "wrong_url_fix_ollama": {
        "en": (
            "Set OLLAMA_HOST or AGENTPREP_OLLAMA_URL to the server root, e.g. http://localhost:11434 (no /api, no "
            "/v1)."
        ),
        "fr": (
            "Réglez OLLAMA_HOST ou AGENTPREP_OLLAMA_URL sur la racine du serveur, ex. http://localhost:11434 (sans "
            "/api ni /v1)."
        ),
    },
    "wrong_url_fix_openai": {
        "en": "Set AGENTPREP_OPENAI_BASE_URL to the API root ending in /v1, e.g. http://localhost:8000/v1.",
        "fr": "Réglez AGENTPREP_OPENAI_BASE_URL sur la racine de l'API terminée par /v1, ex. http://localhost:8000/v1.",
    },
    "auth": {
        "en": "The server at {url} refused the API key (HTTP {status}).",
        "fr": "Le serveur à {url} a refusé la clé d'API (HTTP {status}).",
    },
    "auth_fix": {
        "en": "Set AGENTPREP_OPENAI_API_KEY to a valid key.",
        "fr": "Renseignez une clé valide dans AGENTPREP_OPENAI_API_KEY.",
    },
    "missing_model": {
        "en": "The model {model} is not available on {server} (available: {available}).",
        "fr": "Le modèle {model} n'est pas disponible sur {server} (disponibles : {available}).",
    },
    "missing_model_fix_ollama": {
        "en": "Download it with `ollama pull {model}`, or choose an available model in the settings.",
        "fr": "Téléchargez-le avec `ollama pull {model}`, ou choisissez un modèle disponible dans les réglages.",
    },
    "missing_model_fix_openai": {
        "en": "Set AGENTPREP_MODEL to a model the server serves, or start the server with {model}.",
        "fr": "Réglez AGENTPREP_MODEL sur un modèle servi, ou relancez le serveur avec {model}.",
    },
    "none": {"en": "none", "fr": "aucun"},
}


@dataclass(frozen=True)
class Health:
    """The verdict on the LLM: `ok`, a sentence saying why, and the fix when not ok."""

    ok: bool
    message: str
    fix: str | None = None
    models: list[str] = field(default_factory=list)


def _text(key: str, lang: str, **values: object) -> str:
    return MESSAGES[key]["fr" if lang == "fr" else "en"].format(**values)


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
    openai_name = "le serveur compatible OpenAI" if lang == "fr" else "the OpenAI-compatible server"
    server = "Ollama" if ollama else openai_name
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
    if ollama:
        kind = "un serveur Ollama" if lang == "fr" else "an Ollama server"
    else:
        kind = "une API compatible OpenAI" if lang == "fr" else "an OpenAI-compatible API"
    message = _text("wrong_url", lang, url=url, kind=kind, detail=detail)
    return Health(False, message, _text(f"wrong_url_fix_{suffix}", lang))
