"""LLM providers: the one chat-model factory, the model list and a health check in plain words."""

from llm_server.health import Health, check_health
from llm_server.providers import get_chat_model, json_schema_call_kwargs, list_models, model_label

__all__ = ["Health", "check_health", "get_chat_model", "json_schema_call_kwargs", "list_models", "model_label"]
