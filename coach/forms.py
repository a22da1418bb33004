"""The question form of the coach studio, without Streamlit: values <-> Question, and every problem by field.

The page keeps the form's values in widget state and passes them here; a save that fails returns
each problem keyed by the form field it concerns, and writes nothing, so the coach fixes the
fields in place and loses nothing they typed. The checks are the bank's own (the pydantic model
plus `check_references`, ids and origin ranks against the whole bank), so a question the studio
saves always loads. It goes to the database (`coach.content`), never into the repository.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from question_bank.bank import QuestionBank
from question_bank.csv_rows import flat_text_fields
from question_bank.loader import check_references
from question_bank.model import Question
from question_bank.transfer import bank_claims

if TYPE_CHECKING:
    from coach.content import CoachContent

FormValues = dict[str, object]
MAX_RUBRIC_ITEMS = 12
MAX_FOLLOW_UPS = 6


def _split_list(text: object) -> list[str]:
    """Keywords are typed as `word; other word` (`;` because keywords like `0,75` hold commas)."""
    return [part.strip() for part in str(text or "").split(";") if part.strip()]


def empty_values() -> FormValues:
    values: FormValues = {
        "id": "", "kind": "technical", "level": "intermediate", "topics": [], "origin": "", "origin_rank": "",
        "prompt_fr": "", "prompt_en": "", "reference_answer_fr": "", "reference_answer_en": "",
        "rubric_count": 3, "follow_up_count": 0, "sources": [], "hint_fr": "", "hint_en": "",
    }  # fmt: skip
    for i in range(MAX_RUBRIC_ITEMS):
        values.update({f"rubric_{i}_id": "", f"rubric_{i}_weight": 1.0, f"rubric_{i}_fr": "", f"rubric_{i}_en": ""})
        # Not shown in the form but kept through an edit: an item's hint (the YAML or CSV sets it).
        values.update({f"rubric_{i}_keywords": "", f"rubric_{i}_hint_fr": "", f"rubric_{i}_hint_en": ""})
    for i in range(MAX_FOLLOW_UPS):
        values.update({f"follow_up_{i}_fr": "", f"follow_up_{i}_en": "", f"follow_up_{i}_covers": ""})
    return values


def fits_form(question: Question) -> bool:
    """False for a question with more rubric items or follow-ups than the form has rows: saving it
    from the form would drop the extra ones, so the studio sends the coach to the YAML file instead."""
    return len(question.rubric) <= MAX_RUBRIC_ITEMS and len(question.follow_ups) <= MAX_FOLLOW_UPS


def values_from_question(question: Question) -> FormValues:
    """The form filled with a question (for editing or duplicating)."""
    values = empty_values()
    values.update(flat_text_fields(question))
    values.update(
        {
            "topics": list(question.topics),
            "rubric_count": min(len(question.rubric), MAX_RUBRIC_ITEMS),
            "follow_up_count": min(len(question.follow_ups), MAX_FOLLOW_UPS),
            "sources": list(question.sources),
        }
    )
    for i, item in enumerate(question.rubric[:MAX_RUBRIC_ITEMS]):
        values.update({f"rubric_{i}_id": item.id, f"rubric_{i}_weight": float(item.weight)})
        values.update({f"rubric_{i}_fr": item.text.fr, f"rubric_{i}_en": item.text.en})
        values[f"rubric_{i}_keywords"] = "; ".join(item.keywords)
        if item.hint:
            values.update({f"rubric_{i}_hint_fr": item.hint.fr, f"rubric_{i}_hint_en": item.hint.en})
    for i, follow_up in enumerate(question.follow_ups[:MAX_FOLLOW_UPS]):
        values.update({f"follow_up_{i}_fr": follow_up.fr, f"follow_up_{i}_en": follow_up.en})
        values[f"follow_up_{i}_covers"] = "; ".join(follow_up.covers)
    for lang in ("fr", "en"):  # a question written in one language: the other's fields stay empty, as typed
        if not question.written_in(lang):
            values.update({name: "" for name in values if name.endswith(f"_{lang}") and isinstance(values[name], str)})
    return values


def values_to_data(values: FormValues, problems: dict[str, list[str]]) -> dict:
    """Question data from form values; problems the model cannot see (a rank that is not a number) go to `problems`."""
    data: dict = {
        "id": str(values.get("id") or "").strip(),
        "kind": values.get("kind"),
        "level": values.get("level"),
        "topics": list(values.get("topics") or []),  # type: ignore[call-overload]
        "prompt": {"fr": values.get("prompt_fr") or "", "en": values.get("prompt_en") or ""},
        "reference_answer": {
            "fr": values.get("reference_answer_fr") or "",
            "en": values.get("reference_answer_en") or "",
        },
        "sources": list(values.get("sources") or []),  # type: ignore[call-overload]
    }
    origin = str(values.get("origin") or "").strip()
    if origin:
        data["origin"] = origin
    rank = str(values.get("origin_rank") or "").strip()
    if rank:
        if rank.isdigit():
            data["origin_rank"] = int(rank)
        else:
            problems["origin_rank"].append(f"{rank!r} is not a whole number")
    rubric_count = int(values.get("rubric_count") or 0)  # type: ignore[call-overload]
    data["rubric"] = [
        {
            "id": str(values.get(f"rubric_{i}_id") or "").strip(),
            "weight": values.get(f"rubric_{i}_weight"),
            "text": {"fr": values.get(f"rubric_{i}_fr") or "", "en": values.get(f"rubric_{i}_en") or ""},
            "keywords": _split_list(values.get(f"rubric_{i}_keywords")),
            **_optional_hint(values, f"rubric_{i}_"),
        }
        for i in range(min(rubric_count, MAX_RUBRIC_ITEMS))
    ]
    follow_up_count = int(values.get("follow_up_count") or 0)  # type: ignore[call-overload]
    data["follow_ups"] = [
        {"fr": values.get(f"follow_up_{i}_fr") or "", "en": values.get(f"follow_up_{i}_en") or "",
         "covers": _split_list(values.get(f"follow_up_{i}_covers"))}
        for i in range(min(follow_up_count, MAX_FOLLOW_UPS))
    ]  # fmt: skip
    data.update(_optional_hint(values))
    return data


def _optional_hint(values: FormValues, prefix: str = "") -> dict:
    """{"hint": {"fr": ..., "en": ...}} when either language of `<prefix>hint_*` is filled in, else nothing."""
    fr, en = str(values.get(f"{prefix}hint_fr") or ""), str(values.get(f"{prefix}hint_en") or "")
    return {"hint": {"fr": fr, "en": en}} if fr.strip() or en.strip() else {}


def field_of(loc: tuple) -> str:
    """The form field a pydantic error location points at: ("rubric", 1, "text", "fr") -> rubric_1_fr."""
    if not loc:
        return ""
    head = str(loc[0])
    if head in ("prompt", "reference_answer", "hint") and len(loc) > 1:
        return f"{head}_{loc[1]}"
    if head in ("rubric", "follow_ups") and len(loc) > 1 and isinstance(loc[1], int):
        prefix = "rubric" if head == "rubric" else "follow_up"
        rest = [str(p) for p in loc[2:] if not isinstance(p, int)]
        name = rest[-1] if rest else ("id" if head == "rubric" else "fr")
        return f"{prefix}_{loc[1]}_{name}"
    return head


def _model_problems(error: ValidationError) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = defaultdict(list)
    for err in error.errors():
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "required"
        key = field_of(tuple(err["loc"]))
        if not key:  # checks on the whole question name their field in the message
            key = "rubric" if message.startswith("rubric") else ("origin_rank" if "origin_rank" in message else "id")
        problems[key].append(message)
    return problems


@dataclass
class SaveResult:
    question: Question | None = None
    problems: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.question is not None and not self.problems


def save_form(
    values: FormValues,
    *,
    editing_id: str | None,
    bank: QuestionBank,
    content: CoachContent,
    corpus_dir: Path | None,
    by: str | None = None,
) -> SaveResult:
    """Validate the form as the bank loader would (against the whole bank), then store the question.

    `editing_id` is None for a new question. Nothing is stored if anything is wrong. The question's
    calibration samples are rows of their own and stay as they are.
    """
    problems: dict[str, list[str]] = defaultdict(list)
    data = values_to_data(values, problems)
    if editing_id is not None and data["id"] != editing_id:
        problems["id"].append(
            f"the id of an existing question cannot change (it is {editing_id!r}); duplicate it instead"
        )
    question = None
    try:
        question = Question.model_validate(data)
    except ValidationError as exc:
        for key, messages in _model_problems(exc).items():
            problems[key].extend(messages)
    if question is not None:
        for message in check_references(question, bank.topics, corpus_dir):
            problems["topics" if message.startswith("unknown topic") else "sources"].append(message)
        taken_ids, taken_ranks = bank_claims(bank)
        if editing_id is None and question.id in taken_ids:
            problems["id"].append(f"a question with id {question.id!r} already exists")
        if question.origin and question.origin_rank is not None:
            owner = taken_ranks.get((question.origin, question.origin_rank))
            if owner is not None and owner != question.id:
                problems["origin_rank"].append(
                    f"origin_rank {question.origin_rank} of {question.origin!r} is also used by {owner!r}"
                )
    if problems or question is None:
        return SaveResult(problems=dict(problems))
    content.save_question(question, by=by)
    return SaveResult(question=question)
