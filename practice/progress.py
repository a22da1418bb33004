"""The data behind the Progress page: history, score over time, mastery per topic.

Mastery of a topic is the mean, over the topic's questions the candidate has answered, of the
latest score of each question: old weak attempts stop counting once the candidate improves.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from question_bank import QuestionBank
from storage.db import Attempt

HISTORY_COLUMNS = [
    "id", "when", "question_id", "question", "topics", "mode", "status", "score", "grader", "confidence",
    "contested", "review",
]  # fmt: skip
"""`score` is the grade that counts: a coach's after a review (then `grader` is "coach"), else the machine's."""


def history_frame(attempts: Sequence[Attempt], bank: QuestionBank, lang: str) -> pd.DataFrame:
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
