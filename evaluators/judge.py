"""The LLM judge's side of the conversation: the reply's schema and the prompt (its reply is read in
judge_reply.py). One prompt, one short JSON reply whose per-item reasoning precedes its verdicts.

The reply puts the verdicts first (per rubric item: a quote of a few words, none for an item not
met, a reason written as a short note, the verdict), then the misconceptions and a line or two of
feedback: the score exists as soon as the verdicts are in, about 200 tokens into the reply (see
`evaluators/budget.py`). What takes longer to write, the missing points and a stronger answer,
comes from a second short call the candidate asks for ("How do I improve?"), sent as a follow-up
in the same conversation so the server reuses its cache.

The model is asked for JSON text that follows a per-question schema (one key per rubric item, so a
small model cannot skip or invent items) rather than through `with_structured_output`: the raw text
can then be streamed to the candidate, validated with pydantic, and sent back once with the
validation error. The score is never the model's: `to_grade` turns verdicts into credit only where
the quoted evidence is really in the answer and really about the item.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from core.text import fence_token, prompt_templates
from core.types import Verdict
from evaluators.examples import GradedExample
from evaluators.guards import truncate_to_budget
from evaluators.provenance import PROMPTS_DIR
from question_bank.model import Kind, Question

REFERENCE_CHAR_BUDGET = 1_400
EXCERPT_CHAR_BUDGET = 1_800
EXCERPT_MAX = 4
EXAMPLES_HEADING_CHARS = 110
EXAMPLE_FRAMING_CHARS = 120
MAX_OUTPUT_TOKENS = 700
"""Cap of the grade reply: about twice what a capable model writes for six items (evaluators/budget.py)."""
IMPROVE_MAX_OUTPUT_TOKENS = 500
QUOTE_MAX_WORDS = 8
"""Words of a quote: enough to carry an item's key terms (the evidence check needs them), few tokens."""
REASON_MAX_WORDS_MET, REASON_MAX_WORDS = 6, 10
"""Words of a reason: what is right for a met item, what is missing or wrong otherwise."""
LANG_NAMES = {"fr": "French", "en": "English"}


def _cut(limit: int):  # type: ignore[no-untyped-def]
    """A before-validator that shortens over-long strings instead of failing the whole reply."""
    return BeforeValidator(lambda value: value[:limit] if isinstance(value, str) else value)


def _first(limit: int):  # type: ignore[no-untyped-def]
    return BeforeValidator(lambda value: value[:limit] if isinstance(value, list) else value)


def _verdict(value: Any) -> Any:
    """'Partly met', 'partially-met' and 'MET' all mean what they say."""
    if not isinstance(value, str):
        return value
    key = re.sub(r"[\s-]+", "_", value.strip().lower()).replace("partially", "partly")
    return {"partly": "partly_met", "partial": "partly_met", "not": "not_met", "unmet": "not_met"}.get(key, key)


def _one_quote(value: Any) -> Any:
    """A list of quotes (a model's habit) becomes one quote whose pieces "..." joins; null becomes ""."""
    if isinstance(value, list):
        return " ... ".join(str(piece).strip() for piece in value[:2] if str(piece).strip())
    return "" if value is None else value


Quote = Annotated[str, _cut(300), BeforeValidator(_one_quote)]  # right to left: joined, then cut
TextList = Annotated[list[Annotated[str, _cut(400)]], _first(6)]


class CriterionAssessment(BaseModel):
    """The judge's view of one rubric item: its quote first, then a short reason, then the verdict."""

    model_config = ConfigDict(extra="ignore")

    quote: Quote = Field(
        default="", description='The answer\'s words that best show the point, copied exactly; "" when not met.'
    )
    reason: Annotated[str, _cut(800)] = Field(description="A note: what is right (met) or missing or wrong.")
    verdict: Annotated[Verdict, BeforeValidator(_verdict)] = Field(description="met, partly_met or not_met.")


@lru_cache(maxsize=256)
def output_model(rubric_ids: tuple[str, ...]) -> type[BaseModel]:
    """The grade reply's pydantic model for one rubric: `criteria` has exactly one key per item id."""
    fields: dict[str, Any] = {f"item_{i}": (CriterionAssessment, Field(alias=rid)) for i, rid in enumerate(rubric_ids)}
    criteria = create_model("JudgeCriteria", __config__=ConfigDict(populate_by_name=True, extra="ignore"), **fields)
    return create_model(
        "JudgeOutput",
        __config__=ConfigDict(extra="ignore"),
        criteria=(criteria, Field(description="One assessment per rubric item, in rubric order.")),
        misconceptions=(TextList, Field(default_factory=list, description="Wrong statements in the answer.")),
        feedback=(Annotated[str, _cut(1500)], Field(default="", description="Feedback to the candidate.")),
    )


class Improvement(BaseModel):
    """The follow-up reply to "How do I improve?": what to add or fix, and a stronger answer."""

    model_config = ConfigDict(extra="ignore")

    missing_points: TextList = Field(default_factory=list, description="What the answer lacks or gets wrong.")
    stronger_answer: Annotated[str, _cut(2000)] = Field(default="", description="A better answer, at most 100 words.")


TEXT_LIMITS = {"quote": 80, "reason": 100, "misconceptions": 200, "missing_points": 200,
               "feedback": 400, "stronger_answer": 900}  # fmt: skip
"""Characters per string in the schema: a server that enforces it cannot ramble past the reply budget."""


def output_json_schema(rubric_ids: tuple[str, ...]) -> dict:
    """The grade reply's schema for the server: refs inlined, every key required, no extra keys, text bounded."""
    return _server_schema(output_model(rubric_ids))


def improvement_json_schema() -> dict:
    """The schema of the "How do I improve?" reply, bounded the same way."""
    return _server_schema(Improvement)


def _server_schema(model: type[BaseModel]) -> dict:
    schema = model.model_json_schema(by_alias=True)
    definitions = schema.pop("$defs", {})

    def inline(node: Any, name: str = "") -> Any:
        if isinstance(node, list):
            return [inline(v, name) for v in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return inline(definitions[node["$ref"].rsplit("/", 1)[-1]], name)
        node = {k: v for k, v in node.items() if k not in ("title", "default")}
        if "properties" in node:
            node["properties"] = {key: inline(value, key) for key, value in node["properties"].items()}
            node["required"] = list(node["properties"])
            node["additionalProperties"] = False
        if "items" in node:
            node["items"] = inline(node["items"], name)
        if node.get("type") == "array" and name in ("misconceptions", "missing_points"):
            node["maxItems"] = 4
        if node.get("type") == "string" and "enum" not in node:
            node["maxLength"] = TEXT_LIMITS.get(name, 400)
        return node

    return inline(schema)


# --- prompt ------------------------------------------------------------------------------------
_templates = prompt_templates(PROMPTS_DIR)


def prepare_excerpts(excerpts: list[str] | tuple[str, ...], budget: int = EXCERPT_CHAR_BUDGET) -> list[str]:
    """At most 4 excerpts and 1,800 characters in all, so references never crowd out the answer."""
    kept, used = [], 0
    for excerpt in list(excerpts)[:EXCERPT_MAX]:
        text = re.sub(r"\s+", " ", str(excerpt)).strip()
        room = min(budget - used, EXCERPT_CHAR_BUDGET // 2)
        if not text or room < 80:
            continue
        text, _ = truncate_to_budget(text, room)
        kept.append(text)
        used += len(text)
    return kept


def examples_room(examples: list[GradedExample] | tuple[GradedExample, ...]) -> int:
    """Characters the examples take in the prompt: their text, their verdicts, each one's framing, the heading."""
    if not examples:
        return 0
    return EXAMPLES_HEADING_CHARS + sum(len(e.answer) + len(_verdict_line(e)) + EXAMPLE_FRAMING_CHARS for e in examples)


def _verdict_line(example: GradedExample) -> str:
    return ", ".join(f"{item}: {verdict}" for item, verdict in example.verdicts.items())


def build_messages(
    question: Question,
    answer: str,
    lang: str,
    excerpts: list[str],
    fence: str,
    examples: list[GradedExample] | tuple[GradedExample, ...] = (),
) -> list[BaseMessage]:
    """The system and user messages of one judge call; `answer` is already sanitised and cut.

    Everything but the last lines (the answer in its fence) depends only on the question, the
    language, the excerpts and the examples, so every answer to a question shares one long prompt
    prefix that Ollama's and llama.cpp's prompt caches reuse. Coach-graded examples take their room
    from the excerpts' budget, so the prompt stays within the same token budget with or without them.
    """
    rubric_ids = [item.id for item in question.rubric]
    system = _templates.get_template("judge_system.j2").render(
        lang_name=LANG_NAMES[lang], rubric_ids=rubric_ids, behavioral=question.kind == Kind.behavioral,
        quote_words=QUOTE_MAX_WORDS, reason_words_met=REASON_MAX_WORDS_MET, reason_words=REASON_MAX_WORDS,
    )  # fmt: skip
    reference, _ = truncate_to_budget(question.reference_answer.get(lang), REFERENCE_CHAR_BUDGET)
    user = _templates.get_template("judge_user.j2").render(
        question=question.prompt_in(lang),
        kind=question.kind.value,
        rubric=[{"id": i.id, "weight": i.weight, "text": i.text.get(lang)} for i in question.rubric],
        reference=reference,
        excerpts=prepare_excerpts(excerpts, EXCERPT_CHAR_BUDGET - examples_room(examples)),
        examples=[{"answer": e.answer, "score": e.score, "verdicts": _verdict_line(e)} for e in examples],
        examples_fence=fence_token("\n".join(e.answer for e in examples)),
        fence=fence,
        answer=answer,
    )
    return [SystemMessage(content=system.strip()), HumanMessage(content=user.strip())]


def improve_request(lang: str) -> str:
    """The text of the "How do I improve?" request, in the words the model is given."""
    return _templates.get_template("judge_improve.j2").render(lang_name=LANG_NAMES[lang]).strip()


def improve_messages(grade_messages: list[BaseMessage], grade_reply: str, lang: str) -> list[BaseMessage]:
    """The "How do I improve?" follow-up: the grade call, the judge's own reply, then the request."""
    return [*grade_messages, AIMessage(content=grade_reply), HumanMessage(content=improve_request(lang))]


def repair_messages(messages: list[BaseMessage], bad_reply: str, error: str, question: Question) -> list[BaseMessage]:
    """The conversation extended with the unusable reply and the re-ask naming what was wrong."""
    text = _templates.get_template("judge_repair.j2").render(error=error, rubric_ids=[i.id for i in question.rubric])
    return [*messages, AIMessage(content=bad_reply[:4000]), HumanMessage(content=text.strip())]
