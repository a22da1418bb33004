"""A quiz in progress as plain data, saved after every step so a refresh or a restart resumes it.

Only what the attempts table does not already hold is kept: the plan (config, questions, adaptive
picks), the position and the attempt ids. Answers and grades are read back from the attempts, so
a coach's review since the last visit shows in the resumed quiz. An answer saved but never graded
(the tab closed while the model worked) is offered again in the answer box.
"""

from __future__ import annotations

from dataclasses import asdict

from practice.adaptive import AdaptivePick
from practice.quiz import QuizConfig, QuizItem, QuizSession
from question_bank.model import Level
from storage.attempts import AttemptStore, grade_of
from storage.practice_sessions import PracticeSessionStore

KIND = "quiz"


def _item_state(item: QuizItem) -> dict:
    pick = asdict(item.pick) if item.pick else None
    return {"question_id": item.question_id, "attempt_ids": list(item.attempt_ids), "pick": pick}


def quiz_state(quiz: QuizSession, *, retrying: bool = False) -> dict:
    return {
        "id": quiz.id,
        "profile": quiz.profile,
        "config": asdict(quiz.config),
        "items": [_item_state(item) for item in quiz.items],
        "position": quiz.position,
        "exhausted": quiz.exhausted,
        "retrying": retrying,
    }


def _pick(data: dict | None) -> AdaptivePick | None:
    if not data:
        return None
    return AdaptivePick(**{**data, "level": Level(data["level"]), "target_level": Level(data["target_level"]),
                           "recent_scores": tuple(data["recent_scores"])})  # fmt: skip


def _finished(state: dict) -> bool:
    """`QuizSession.finished` of the saved quiz: its position is past its last item."""
    return state["position"] >= len(state["items"])


def restore_quiz(state: dict, store: AttemptStore) -> QuizSession:
    """The quiz as saved, its answers and grades read from the attempts (a graded attempt counts once)."""
    config = state["config"]
    config = QuizConfig(**{**config, **{k: tuple(config[k]) for k in ("topics", "levels", "kinds")}})
    items = []
    for saved in state["items"]:
        item = QuizItem(saved["question_id"], pick=_pick(saved.get("pick")))
        for attempt_id in saved["attempt_ids"]:
            attempt = store.get(attempt_id)
            grade = grade_of(attempt) if attempt is not None else None
            if attempt is not None and grade is not None:
                item.attempt_ids.append(attempt_id)
                item.answers.append(attempt.answer)
                item.grades.append(grade)
        items.append(item)
    return QuizSession(profile=state["profile"], config=config, items=items, position=state["position"],
                       id=state["id"], exhausted=state.get("exhausted", False))  # fmt: skip


def ungraded_answer(quiz: QuizSession, store: AttemptStore) -> str | None:
    """The latest answer to the current question saved in this quiz but never graded, to offer it again."""
    item = quiz.current
    if item is None:
        return None
    after = max(item.attempt_ids, default=0)  # an answer graded since replaced any older ungraded one
    answers = [
        attempt.answer
        for attempt in store.unfinished(quiz.profile)
        if attempt.session_id == quiz.id and attempt.question_id == item.question_id and attempt.id > after
    ]
    return answers[-1] if answers else None


class QuizKeeper:
    """Saves and resumes the profile's open quiz (one at a time)."""

    def __init__(self, sessions: PracticeSessionStore, attempts: AttemptStore):
        self.sessions, self.attempts = sessions, attempts

    def save(self, quiz: QuizSession, *, retrying: bool = False) -> None:
        """A finished quiz stays open too, so a refresh shows its summary until "New quiz" closes it."""
        self.sessions.save(quiz.id, profile=quiz.profile, kind=KIND, state=quiz_state(quiz, retrying=retrying))

    def close(self, quiz: QuizSession) -> None:
        self.sessions.close(quiz.id)

    def unfinished(self, profile: str) -> bool:
        """Whether the profile has a quiz to resume: open, with questions left (a finished one only shows
        its summary until a new quiz replaces it). Read from the saved state: no attempt is loaded."""
        state = self.sessions.open_state(profile, KIND)
        return state is not None and not _finished(state)

    def close_finished(self, profile: str) -> None:
        """Close the profile's open quiz if it is over, so the quiz page starts at the set-up."""
        state = self.sessions.open_state(profile, KIND)
        if state is not None and _finished(state):
            self.sessions.close(state["id"])

    def resume(self, profile: str) -> tuple[QuizSession, bool] | None:
        """(quiz, retrying) of the profile's open quiz, or None."""
        state = self.sessions.open_state(profile, KIND)
        if state is None:
            return None
        return restore_quiz(state, self.attempts), bool(state.get("retrying"))
