"""The data behind the Progress page: history, score over time, mastery per topic, the CSV export.

Mastery of a topic is the mean, over the topic's questions the candidate has answered, of the
latest score of each question: old weak attempts stop counting once the candidate improves.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

import pandas as pd

from core.i18n import say
from llm_server.health import readable_model_name
from question_bank import QuestionBank
from storage.attempts import EXPORT_FIELDS, attempt_as_dict
from storage.records import AttemptRecord

HISTORY_COLUMNS = [
    "id", "when", "question_id", "question", "topics", "mode", "status", "score", "grader", "model", "confidence",
    "contested", "review",
]  # fmt: skip
"""`score` is the grade that counts: a coach's after a review (then `grader` is "coach"), else the machine's.
`topics` holds topic ids, joined by ", " (what the filters match); `history_table` shows their labels."""
TABLE_COLUMNS = [c for c in HISTORY_COLUMNS if c not in ("question_id", "model")]
"""What the history table shows: the question's text says what `question_id` would, the grader its model."""
CSV_FIELDS = [*EXPORT_FIELDS[:3], "question", "topics", "level", *EXPORT_FIELDS[3:]]
"""The CSV export: the stored fields, with the question's text, topics and level after its id."""
EXCERPT_CHARS = 600
"""How much of a long answer shows before the rest is folded away."""


def history_frame(attempts: Sequence[AttemptRecord], bank: QuestionBank, lang: str) -> pd.DataFrame:
    rows = []
    for a in attempts:
        question = bank.get(a.question_id)
        rows.append(
            {
                "id": a.id,
                "when": pd.Timestamp(a.created_at).tz_localize(None) if a.created_at else None,
                "question_id": a.question_id,
                "question": question.prompt_in(lang) if question else a.question_id,
                "topics": ", ".join(question.topics) if question else "",
                "mode": a.mode,
                "status": a.status,
                "score": a.score,
                "grader": "coach" if a.review_status == "reviewed" else a.grader,
                "model": a.model,
                "confidence": a.confidence,
                "contested": bool(a.contested),
                "review": a.review_status,
            }
        )
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def filter_history(
    frame: pd.DataFrame, *, topics: Sequence[str] = (), statuses: Sequence[str] = (), modes: Sequence[str] = ()
) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    if topics:
        mask &= frame["topics"].apply(lambda cell: any(t in cell.split(", ") for t in topics))
    if statuses:
        mask &= frame["status"].isin(statuses)
    if modes:
        mask &= frame["mode"].isin(modes)
    return frame[mask]


def score_over_time(history: pd.DataFrame) -> pd.DataFrame:
    """Graded attempts in time order, with a running mean of the last five scores."""
    graded = history[history["status"] == "graded"].dropna(subset=["score"]).sort_values("when")
    graded = graded.assign(rolling=graded["score"].rolling(5, min_periods=1).mean().round(2))
    return graded[["when", "score", "rolling", "question_id"]].reset_index(drop=True)


def mastery_by_topic(history: pd.DataFrame, bank: QuestionBank) -> pd.DataFrame:
    graded = history[history["status"] == "graded"].dropna(subset=["score"])
    latest = graded.sort_values("when").groupby("question_id").tail(1)
    rows = []
    for topic in bank.topics:
        scores = [
            row.score
            for row in latest.itertuples()
            if (q := bank.get(row.question_id)) is not None and topic in q.topics
        ]
        total = len(bank.filter(topics=[topic]))
        if scores:
            rows.append(
                {
                    "topic": topic,
                    "mastery": round(sum(scores) / len(scores), 2),
                    "answered": len(scores),
                    "in_bank": total,
                }
            )
    return pd.DataFrame(rows, columns=["topic", "mastery", "answered", "in_bank"]).sort_values("mastery")


def topic_labels(topic_ids: Sequence[str], bank: QuestionBank, lang: str) -> str:
    """Topics by their full names from question_bank/topics.yaml, in `lang`."""
    return ", ".join(bank.topic_label(topic, lang) for topic in topic_ids)


def _word(prefix: str, value: object, lang: str) -> str:
    """A stored value ("graded", "high") in words of `lang`; nothing for a missing one."""
    return say(f"{prefix}{value}", lang) if isinstance(value, str) and value else ""


def _grader_label(grader: str | None, model: str | None, lang: str) -> str:
    if grader == "llm":
        return readable_model_name(model) if model else "LLM"
    if grader == "embedded":
        return say("grade_embedded", lang)
    if grader == "coach":
        return say("history_grader_coach", lang)
    return ""


def history_table(history: pd.DataFrame, bank: QuestionBank, lang: str) -> pd.DataFrame:
    """The history as the table shows it: every value in words of `lang`, topics by their full names."""
    table = history.assign(
        topics=history["topics"].map(lambda cell: topic_labels([x for x in cell.split(", ") if x], bank, lang)),
        mode=history["mode"].map(lambda v: _word("mode_", v, lang)),
        status=history["status"].map(lambda v: _word("status_", v, lang)),
        grader=[_grader_label(g, m, lang) for g, m in zip(history["grader"], history["model"], strict=True)],
        confidence=history["confidence"].map(lambda v: _word("confidence_", v, lang)),
        review=history["review"].map(lambda v: _word("history_review_", v, lang)),
    )
    return table[TABLE_COLUMNS]


def table_time_format(strftime_format: str) -> str:
    """The momentJS format Streamlit's tables take, from the strftime format the charts use (one format)."""
    moment = {"%d": "DD", "%m": "MM", "%b": "MMM", "%Y": "YYYY", "%H": "HH", "%M": "mm", "%%": "%"}
    return re.sub(r"%.", lambda m: moment.get(m.group(0), m.group(0)), strftime_format)


def export_csv(attempts: Sequence[AttemptRecord], bank: QuestionBank, lang: str) -> str:
    """The attempts as CSV, each with its question's text, topics and level in `lang`."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for attempt in attempts:
        question = bank.get(attempt.question_id)
        row = attempt_as_dict(attempt) | {
            "question": question.prompt_in(lang) if question else "",
            "topics": topic_labels(question.topics, bank, lang) if question else "",
            "level": say(f"level_{question.level.value}", lang) if question else "",
        }
        writer.writerow({key: _spreadsheet_safe(value) for key, value in row.items()})
    return buffer.getvalue()


def _spreadsheet_safe(value: object) -> object:
    """A cell starting with = + - @ is a formula to a spreadsheet: quote it (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def fold_answer(text: str, limit: int = EXCERPT_CHARS) -> tuple[str, str]:
    """(what to show, what to fold away): a long answer is cut at the last space before `limit`."""
    if len(text) <= limit:
        return text, ""
    cut = text.rfind(" ", limit // 2, limit)
    cut = cut if cut > 0 else limit
    return text[:cut].rstrip(), text[cut:].lstrip()
