"""Is the configured LLM usable right now? Answered in words a candidate understands, with the fix.

A candidate who sees "connection refused" does not know to run `ollama serve`; one who sees a
grade silently produced by the fallback grader does not know the model was never pulled. Each
failure below names what is wrong and the one command or setting that fixes it, in FR and EN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

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
    kind: str = ""
    """What was found: ok, bad_url, down, timeout, auth, wrong_url or missing_model ("" when not said)."""

    @property
    def unreachable(self) -> bool:
        """No server answered at the URL: nothing to ask it, not even its list of models."""
        return self.kind in ("down", "timeout")


def _text(key: str, lang: str, **values: object) -> str:
    """A health sentence from the one catalogue (core/strings/health.yaml)."""
    return say(key, lang, **values)


def model_is_listed(model: str, available: list[str], provider: str) -> bool:
    """Ollama names `qwen3` and `qwen3:latest` the same model; OpenAI servers match names exactly."""
    if provider != "ollama":
        return model in available or any(a.rsplit("/", 1)[-1] == model for a in available)
    wanted = model if ":" in model else f"{model}:latest"
    return any((name if ":" in name else f"{name}:latest") == wanted for name in available)


_MODEL_FILE_SUFFIXES = (".gguf", ".ggml", ".bin", ".safetensors", ".llamafile")
_PATH_START = re.compile(r"^(/|~|\.{1,2}[/\\]|[A-Za-z]:[/\\])")


def readable_model_name(model: str) -> str:
    """A model id a person can read: llama.cpp servers list the model file's full path as its id,
    `/models/SmolLM2-135M-Instruct.Q4_K_M.gguf`; shown as the file's stem. Other ids stay as they are
    (`qwen3:4b`, `Qwen/Qwen3-8B`: a hub name, not a path)."""
    text = model.strip()
    is_file = text.lower().endswith(_MODEL_FILE_SUFFIXES)
    if not (is_file or _PATH_START.match(text) or "\\" in text):
        return text
    name = re.split(r"[/\\]", text.rstrip("/\\"))[-1]
    if is_file:
        name = name.rsplit(".", 1)[0]
    return name or text


def url_problem(url: str, provider: str, lang: str) -> Health | None:
    """What is wrong with a server URL as written, before anything is asked of it; None when it can be tried."""
    example = "http://localhost:11434" if provider == "ollama" else "http://localhost:8000/v1"
    text = url.strip()
    if not text:
        return Health(False, _text("url_empty", lang, example=example), None, kind="bad_url")
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme not in ("http", "https"):
        return Health(False, _text("url_scheme", lang, url=text, example=example), None, kind="bad_url")
    if re.search(r"\s", text):
        return Health(False, _text("url_spaces", lang, url=text, example=example), None, kind="bad_url")
    parts = urlsplit(text)
    try:
        host = parts.hostname
    except ValueError:  # a malformed IPv6 address
        host = None
    if not host:
        return Health(False, _text("url_host", lang, url=text, example=example), None, kind="bad_url")
    try:
        parts.port  # noqa: B018 - read for the ValueError it raises
    except ValueError:
        return Health(False, _text("url_port", lang, url=text, example=example), None, kind="bad_url")
    return None


def check_health(settings: Settings, timeout_s: float = 3.0, lang: str | None = None) -> Health:
    """Check the URL as written, then ask the server for its model list (cheap, no generation);
    explain any problem found."""
    lang = lang or settings.language
    ollama = settings.provider == "ollama"
    server = "Ollama" if ollama else _text("server_openai", lang)
    url = settings.ollama_url if ollama else settings.openai_base_url
    suffix = "ollama" if ollama else "openai"
    problem = url_problem(url, settings.provider, lang)
    if problem is not None:
        return problem
    try:
        models = list_models(settings, timeout_s=timeout_s)
    except httpx.TimeoutException:
        message = _text("timeout", lang, url=url, seconds=timeout_s)
        return Health(False, message, _text("timeout_fix", lang), kind="timeout")
    except (httpx.ConnectError, httpx.RemoteProtocolError) as exc:
        if isinstance(exc, httpx.RemoteProtocolError):
            return _wrong_url(lang, url, ollama, suffix, "HTTP?")
        message = _text("down", lang, url=url, server=server)
        return Health(False, message, _text(f"down_fix_{suffix}", lang), kind="down")
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        if status in (401, 403):
            return Health(False, _text("auth", lang, url=url, status=status), _text("auth_fix", lang), kind="auth")
        return _wrong_url(lang, url, ollama, suffix, f"HTTP {status}")
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:  # what url_problem does not catch
        return Health(False, _text("url_invalid", lang, url=url, detail=exc), _text(f"wrong_url_fix_{suffix}", lang),
                      kind="bad_url")  # fmt: skip
    except httpx.HTTPError as exc:
        message = _text("down", lang, url=url, server=server) + f" ({exc})"
        return Health(False, message, _text(f"down_fix_{suffix}", lang), kind="down")
    except ValueError as exc:
        return _wrong_url(lang, url, ollama, suffix, str(exc))

    if not model_is_listed(settings.model, models, settings.provider):
        available = ", ".join(models[:8]) or _text("none", lang)
        return Health(
            False,
            _text("missing_model", lang, model=settings.model, server=server, available=available),
            _text(f"missing_model_fix_{suffix}", lang, model=settings.model),
            models,
            kind="missing_model",
        )
    ready = _text("ok", lang, server=server[:1].upper() + server[1:], model=settings.model)
    return Health(True, ready, None, models, kind="ok")


def _wrong_url(lang: str, url: str, ollama: bool, suffix: str, detail: str) -> Health:
    kind = _text("kind_ollama" if ollama else "kind_openai", lang)
    message = _text("wrong_url", lang, url=url, kind=kind, detail=detail)
    return Health(False, message, _text(f"wrong_url_fix_{suffix}", lang), kind="wrong_url")
