"""The one settings object of AgentPrep.

Every knob lives here, read from `AGENTPREP_*` environment variables and an optional `.env` file,
so the app, the CLI, the benches and the tests all agree on where data lives and which model grades.
Nothing else reads the environment for configuration.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent


def _default_ollama_url() -> str:
    """Ollama's own clients honour OLLAMA_HOST; so do we, with or without a scheme."""
    host = os.environ.get("OLLAMA_HOST", "").strip()
    if not host:
        return "http://localhost:11434"
    if "://" not in host:
        host = f"http://{host}"
    return host


class Settings(BaseSettings):
    """AgentPrep configuration. Each field maps to `AGENTPREP_<FIELD>` (case-insensitive)."""

    model_config = SettingsConfigDict(
        env_prefix="AGENTPREP_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(
        default=Path.home() / ".agentprep",
        description="Where the knowledge store, the attempts database and uploads live.",
    )
    language: Literal["fr", "en"] = Field(default="fr", description="Default UI and quiz language.")

    provider: Literal["ollama", "openai"] = Field(
        default="ollama", description="`ollama`, or `openai` for any OpenAI-compatible server."
    )
    model: str = Field(default="qwen3:4b", description="Chat model used by the judge and the chats.")
    ollama_url: str = Field(default_factory=_default_ollama_url)
    openai_base_url: str = Field(default="http://localhost:8000/v1")
    openai_api_key: SecretStr = Field(default=SecretStr("not-needed"))
    openai_response_format: Literal["json_schema", "json_object"] = Field(
        default="json_schema",
        description="How to ask an OpenAI-compatible server for schema-shaped JSON: `json_schema` "
        "(OpenAI, vLLM, LM Studio, llama.cpp's llama-server) or `json_object` with a `schema` "
        "(llama-cpp-python's server, which rejects `json_schema`).",
    )
    llm_timeout_s: float = Field(default=120.0, gt=0, description="Per-call time-out for the LLM.")
    llm_num_ctx: int = Field(default=8192, ge=2048, description="Context window asked of Ollama.")
    llm_keep_alive: str = Field(
        default="30m",
        description="How long Ollama keeps the model loaded after a call (`30m`, `2h`, `-1` for ever): "
        "reloading a 4B model takes seconds, and the next answer would wait for it.",
    )

    chroma_url: str | None = Field(
        default=None, description="A Chroma server URL (http://host:8000); unset = embedded store."
    )
    chroma_host: str | None = None
    chroma_port: int = 8000
    collection: str = Field(default="agentprep_knowledge", min_length=3, max_length=512)

    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; unset = SQLite under the data directory."
    )
    coach_password: SecretStr | None = Field(
        default=None, description="Coach studio password, or its hash from `cli.py coach hash-password`."
    )
    coach_password_hash: str | None = None
    team_mode: bool = Field(
        default=False,
        description="Shared server: candidates and coaches sign in with accounts (`cli.py users add`); "
        "each sees only their own history, only coaches open the studio. Off: one person, no login.",
    )
    session_hours: float = Field(default=12.0, gt=0, description="How long a sign-in lasts (team mode).")
    max_upload_mb: int = Field(default=20, gt=0)
    index_on_start: bool = Field(
        default=True, description="Build the knowledge index in the background as soon as the app starts."
    )

    bank_dir: Path = Field(default=PROJECT_ROOT / "question_bank" / "bank")
    corpus_dir: Path = Field(default=PROJECT_ROOT / "knowledge" / "corpus")

    @field_validator("data_dir", "bank_dir", "corpus_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'agentprep.db'}"

    @property
    def safe_database_label(self) -> str:
        """The database URL with its password hidden, for messages and logs."""
        from sqlalchemy.engine import make_url

        return make_url(self.sqlalchemy_url).render_as_string(hide_password=True)

    @property
    def uses_chroma_server(self) -> bool:
        return bool(self.chroma_url or self.chroma_host)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call `get_settings.cache_clear()` after changing env."""
    return Settings()
