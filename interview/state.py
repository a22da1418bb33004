"""A mock interview in progress as plain data, saved after every message so a refresh or a restart resumes it.

What is kept: the plan (config, question ids), each question's exchanges (what was asked, the
answer, the outcome, the attempt that holds its grade) and the transcript. Grades are read back
from the attempts; an answer still being graded when the page was left is watched in the
background until its attempt is completed (or given up on, if no server is grading it any more).
The interviewer and the grading runner are the page's, built again as when an interview starts.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from dataclasses import asdict

from core.types import Grade
from interview.followups import Probe
from interview.grading import GradingRunner, PendingGrade
from interview.interviewer import Interviewer
from interview.plan import InterviewConfig
from interview.session import Exchange, InterviewSession, QuestionRun, Turn
from practice.grading import GradingRun
from question_bank import QuestionBank
from storage.attempts import AttemptStore, grade_of
from storage.practice_sessions import PracticeSessionStore

KIND = "interview"
POLL_S = 0.5


def _exchange_state(exchange: Exchange) -> dict:
    return {
        "kind": exchange.kind, "asked": exchange.asked, "probe": asdict(exchange.probe) if exchange.probe else None,
        "answer": exchange.answer, "outcome": exchange.outcome, "graded_text": exchange.graded_text,
        "attempt_id": exchange.pending.attempt_id if exchange.pending else None,
        "triage": exchange.triage.model_dump(mode="json") if exchange.triage else None, "asked_at": exchange.asked_at,
    }  # fmt: skip


def _run_state(run: QuestionRun) -> dict:
    return {
        "question_id": run.question.id, "number": run.number, "hints": run.hints, "hinted_items": run.hinted_items,
        "question_hint_given": run.question_hint_given, "status": run.status,
        "exchanges": [_exchange_state(e) for e in run.exchanges],
    }  # fmt: skip


def interview_state(session: InterviewSession) -> dict:
    return {
        "id": session.id,
        "profile": session.profile,
        "config": asdict(session.config),
        "questions": [q.id for q in session.questions],
        "runs": [_run_state(run) for run in session.runs],
        "transcript": [asdict(turn) for turn in session.transcript],
        "started": session.started,
        "finished": session.finished,
        "ended_early": session.ended_early,
    }


def _watch(store: AttemptStore, attempt_id: int, give_up_s: float) -> GradingRun:
    """Wait for an attempt another request (or a server that has since stopped) was grading."""
    deadline = time.monotonic() + give_up_s
    while True:
        attempt = store.get(attempt_id)
        if attempt is None:
            return GradingRun(attempt_id, error=f"attempt {attempt_id} is gone")
        if attempt.status != "pending":
            return GradingRun(attempt_id, grade=grade_of(attempt), error=attempt.error)
        if time.monotonic() > deadline:
            interrupted = "grading was interrupted: grade this answer again from the Progress page"
            return GradingRun(attempt_id, error=interrupted)
        time.sleep(POLL_S)


def _pending(runner: GradingRunner, attempt_id: int | None) -> PendingGrade | None:
    if not attempt_id:
        return None
    attempt = runner.store.get(attempt_id)
    if attempt is not None and attempt.status != "pending":
        future: Future[GradingRun] = Future()
        future.set_result(GradingRun(attempt_id, grade=grade_of(attempt), error=attempt.error))
        return PendingGrade(attempt_id, future)
    give_up_s = 2 * runner.settings.llm_timeout_s + 60
    return PendingGrade(attempt_id, runner.executor.submit(_watch, runner.store, attempt_id, give_up_s))


def _exchange(data: dict, runner: GradingRunner) -> Exchange:
    return Exchange(
        kind=data["kind"], asked=data["asked"], probe=Probe(**data["probe"]) if data["probe"] else None,
        answer=data["answer"], outcome=data["outcome"], graded_text=data["graded_text"],
        pending=_pending(runner, data["attempt_id"]),
        triage=Grade.model_validate(data["triage"]) if data["triage"] else None, asked_at=data["asked_at"],
    )  # fmt: skip


def restore_interview(
    state: dict, bank: QuestionBank, *, interviewer: Interviewer, runner: GradingRunner
) -> InterviewSession | None:
    """The interview as saved; None when one of its questions is no longer in the bank."""
    questions = [bank.get(qid) for qid in state["questions"]]
    if any(q is None for q in questions):
        return None
    session = InterviewSession(InterviewConfig(**state["config"]), questions, profile=state["profile"],  # type: ignore[arg-type]
                               interviewer=interviewer, runner=runner)  # fmt: skip
    session.id = state["id"]
    for saved in state["runs"]:
        run = QuestionRun(question=bank.get(saved["question_id"]), number=saved["number"], hints=saved["hints"],  # type: ignore[arg-type]
                          hinted_items=saved["hinted_items"], question_hint_given=saved["question_hint_given"],
                          status=saved["status"])  # fmt: skip
        run.exchanges = [_exchange(e, runner) for e in saved["exchanges"]]
        session.runs.append(run)
    session.transcript = [Turn(**{**t, "reading": tuple(t["reading"]) if t.get("reading") else None})
                          for t in state["transcript"]]  # fmt: skip
    session.started, session.finished, session.ended_early = state["started"], state["finished"], state["ended_early"]
    session._messages = sum(1 for turn in session.transcript if turn.role == "interviewer")
    return session


class InterviewKeeper:
    """Saves and resumes the profile's open mock interview (one at a time)."""

    def __init__(self, sessions: PracticeSessionStore):
        self.sessions = sessions

    def save(self, session: InterviewSession) -> None:
        """A finished interview stays open too, so a refresh shows its report until "New interview"."""
        self.sessions.save(session.id, profile=session.profile, kind=KIND, state=interview_state(session))

    def close(self, session: InterviewSession) -> None:
        self.sessions.close(session.id)

    def open_state(self, profile: str) -> dict | None:
        return self.sessions.open_state(profile, KIND)
