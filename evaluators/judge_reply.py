"""Reading the judge's reply: validate it, find the verdicts while it streams, turn it into a Grade.

The score is never the model's: `to_grade` gives a verdict credit only where the quoted evidence
is really in the answer and about the item, and `Grade.rescore` turns the verdicts into the score.
Text a weak model leaves in its reply (numbers, stray brackets, the request echoed back) is dropped
rather than shown to a candidate as advice.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from core.types import CriterionGrade, Flag, Grade, Verdict
from evaluators.evidence import evidence_supports
from evaluators.judge import Improvement, improve_request, output_model
from question_bank.model import Question


class JudgeOutputError(ValueError):
    """The reply is not JSON of the expected shape; the message says what is wrong, briefly."""


def parse_reply(text: str, question: Question) -> BaseModel:
    """Validate the judge's grade reply; tolerates a ```json fence or words around the object."""
    return _validated(_json_object(text), output_model(tuple(i.id for i in question.rubric)))


def parse_improvement(text: str) -> Improvement:
    """Validate the reply to "How do I improve?"."""
    return _validated(_json_object(text), Improvement)  # type: ignore[return-value]


def verdicts_ready(reply_so_far: str, question: Question) -> BaseModel | None:
    """The grade reply with only its verdicts, once the "criteria" object is complete; else None.

    `raw_decode` succeeds only on a closed object, so a verdict still being written ("partly_")
    is never read: the score built from this is the score the whole reply gives.
    """
    end = score_boundary(reply_so_far)
    if end is None:
        return None
    key = re.search(r'"criteria"\s*:\s*', reply_so_far)
    criteria = json.loads(reply_so_far[key.end() : end], strict=False)  # type: ignore[union-attr]
    try:
        return output_model(tuple(i.id for i in question.rubric)).model_validate({"criteria": criteria})
    except ValidationError:
        return None


def score_boundary(reply: str) -> int | None:
    """Where the "criteria" object of a grade reply ends: everything the score needs is before it."""
    key = re.search(r'"criteria"\s*:\s*', reply)
    if key is None:
        return None
    try:
        _criteria, end = json.JSONDecoder(strict=False).raw_decode(reply, key.end())
    except json.JSONDecodeError:
        return None
    return end


def _json_object(text: str) -> Any:
    body = text.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", body, re.DOTALL)
    if fenced:
        body = fenced.group(1).strip()
    start, end = body.find("{"), body.rfind("}")
    if start < 0:
        raise JudgeOutputError("the reply contains no JSON object")
    if end <= start:
        raise JudgeOutputError("the reply is not valid JSON (it stops before the object is closed)")
    try:
        # raw newlines inside strings are fine; a key given twice is not (which one would count?)
        return json.loads(body[start : end + 1], strict=False, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise JudgeOutputError(f"the reply is not valid JSON ({exc.msg} at character {exc.pos})") from exc


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise JudgeOutputError(f"the reply gives {', '.join(repeated)} more than once")
    return dict(pairs)


def _validated(data: Any, model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:6]]
        raise JudgeOutputError("; ".join(problems)) from exc


def to_grade(output: Any, question: Question, answer: str, lang: str, model_name: str) -> Grade:
    """Turn a validated reply into a Grade; a verdict earns credit only with checked evidence."""
    assessments = [getattr(output.criteria, f"item_{i}") for i in range(len(question.rubric))]
    pairs = list(zip(question.rubric, assessments, strict=True))
    quotes = {item.id: [a.quote.strip()] if a.quote.strip() else [] for item, a in pairs}
    claimed = {item.id: quotes[item.id] for item, a in pairs if a.verdict != Verdict.not_met}
    supported = evidence_supports(question, lang, answer, claimed)
    criteria = [
        CriterionGrade(
            id=item.id,
            text=item.text.get(lang),
            weight=item.weight,
            evidence=quotes[item.id],
            reasoning=assessment.reason,
            verdict=assessment.verdict,
            evidence_ok=supported.get(item.id, True),
        )
        for item, assessment in pairs
    ]
    grade = Grade(
        question_id=question.id,
        score=0.0,
        grader="llm",
        model=model_name,
        lang=lang,  # type: ignore[arg-type]
        criteria=criteria,
    ).rescore()
    grade.misconceptions, grade.feedback = judge_texts(output)
    if not all(supported.values()):
        grade.add_flag(Flag.evidence_rejected)
    return grade


def judge_texts(output: Any) -> tuple[list[str], str]:
    """The misconceptions and the feedback of a reply (none in a verdicts-only one), without what is not words."""
    return [m for m in output.misconceptions if readable(m)], output.feedback if readable(output.feedback) else ""


def reasoning_view(reply_so_far: str, question: Question) -> str | None:
    """The readable part of a partial reply: per item, its quote, reason and verdict so far.

    It only grows as the reply grows (items follow rubric order), so the service can stream its
    new suffix to the UI; None when the partial text cannot be read yet.
    """
    from langchain_core.utils.json import parse_partial_json

    start = reply_so_far.find("{")
    if start < 0:
        return ""
    try:
        data = parse_partial_json(reply_so_far[start:])
    except (ValueError, TypeError):
        return None
    criteria = data.get("criteria") if isinstance(data, dict) else None
    if not isinstance(criteria, dict):
        return ""
    lines = []
    for item in question.rubric:
        assessment = criteria.get(item.id)
        if not isinstance(assessment, dict):
            break
        # Every decoration precedes its text, so a growing string only ever extends the view.
        lines.append(item.id)
        quote = assessment.get("quote")
        pieces = [quote] if isinstance(quote, str) else quote if isinstance(quote, list) else []
        lines.extend(f"  > {piece}" for piece in pieces if isinstance(piece, str) and piece)
        if isinstance(assessment.get("reason"), str):
            lines.append(f"  {assessment['reason']}")
        if isinstance(assessment.get("verdict"), str):
            lines.append(f"  -> {assessment['verdict']}")
    return "\n".join(lines)


def feedback_view(reply_so_far: str) -> str:
    """The feedback of a partial grade reply, as far as it is written (it follows the verdicts)."""
    from langchain_core.utils.json import parse_partial_json

    start = reply_so_far.find("{")
    if start < 0 or '"feedback"' not in reply_so_far:
        return ""
    try:
        data = parse_partial_json(reply_so_far[start:])
    except (ValueError, TypeError):
        return ""
    value = data.get("feedback") if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def readable(text: str, min_words: int = 2) -> bool:
    """Text a person can read: `min_words` words of letters at least (not "1.0", "][{" or "…")."""
    return len(re.findall(r"[^\W\d_]{2,}", text)) >= min_words


def _echoes(text: str, instructions: str, n: int = 4) -> bool:
    """Whether `text` repeats `n` words in a row of the instructions it was written under."""
    def grams(words: list[str]) -> set[tuple[str, ...]]:
        return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}

    return bool(grams(re.findall(r"\w+", text.lower())) & grams(re.findall(r"\w+", instructions.lower())))


def clean_improvement(improvement: Improvement, lang: str) -> Improvement:
    """The advice without what a weak model leaves in it: numbers, punctuation, the request echoed back."""
    request = improve_request(lang)
    points = [p for p in improvement.missing_points if readable(p) and not _echoes(p, request)]
    stronger = improvement.stronger_answer
    if not readable(stronger, min_words=8) or _echoes(stronger, request):
        stronger = ""
    return Improvement(missing_points=points, stronger_answer=stronger)
