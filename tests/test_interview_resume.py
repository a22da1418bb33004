"""Issue #16: a mock interview in progress survives a browser refresh and a server restart."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from config import PROJECT_ROOT, get_settings
from interview.grading import GradingRunner
from interview.interviewer import Interviewer
from interview.plan import InterviewConfig
from interview.session import InterviewSession
from interview.state import interview_state, restore_interview
from question_bank import QuestionBank
from storage.attempts import AttemptStore
from storage.db import dispose_engines
from storage.scheduling import ReviewScheduler

BANK = QuestionBank.load(PROJECT_ROOT / "question_bank" / "bank", PROJECT_ROOT / "knowledge" / "corpus")
ANSWER = (
    "Un agent combine un LLM qui raisonne, des outils qu'il appelle et une boucle où il observe le résultat "
    "de chaque action avant de décider de la suivante."
)


pytestmark = pytest.mark.usefixtures("no_llm")  # conftest: no model answers


def runner() -> GradingRunner:
    url = get_settings().sqlalchemy_url
    return GradingRunner(store=AttemptStore(url), scheduler=ReviewScheduler(url), settings=get_settings(),
                         grader="embedded")  # fmt: skip


def test_the_saved_state_gives_back_the_same_interview_with_grades_from_the_attempts() -> None:
    config = InterviewConfig(level="junior", focus="rag", lang="fr", question_count=2, max_follow_ups=1)
    questions = [BANK.get("aii-20-rag"), BANK.get("agents-react-loop")]
    session = InterviewSession(config, questions, profile="ana", interviewer=Interviewer(config, None),
                               runner=runner())  # fmt: skip
    session.start().text()
    session.reply("Le RAG cherche des passages puis le LLM répond à partir d'eux.").text()
    session.reply("Je ne sais pas.").text()
    assert session.wait_for_grades(timeout=120)
    state = interview_state(session)

    dispose_engines()  # a restart: nothing of the first process is reused but the database
    restored = restore_interview(state, BANK, interviewer=Interviewer(config, None), runner=runner())
    assert restored is not None and restored.id == session.id
    assert [(t.role, t.text) for t in restored.transcript] == [(t.role, t.text) for t in session.transcript]
    assert [r.status for r in restored.runs] == [r.status for r in session.runs]
    assert restored.wait_for_grades(timeout=30)
    scores = [[p.grade.score for p in run.pendings] for run in restored.runs]
    assert scores == [[p.grade.score for p in run.pendings] for run in session.runs]
    reply = restored.reply("Je préfère passer.").text()  # and the interview goes on from there
    assert reply and restored.transcript[-1].role == "interviewer"


def test_a_question_gone_from_the_bank_does_not_resume_a_broken_interview() -> None:
    config = InterviewConfig(level="junior", focus="rag", lang="en", question_count=1)
    session = InterviewSession(config, [BANK.get("aii-20-rag")], profile="ben", interviewer=Interviewer(config, None),
                               runner=runner())  # fmt: skip
    session.start().text()
    state = interview_state(session)
    state["questions"] = ["no-such-question"]
    assert restore_interview(state, BANK, interviewer=Interviewer(config, None), runner=runner()) is None


def open_interview_page() -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/interview.py").run()
    assert not at.exception, at.exception
    return at


def messages(at: AppTest) -> list[str]:
    return ["\n".join(e.value for e in m.markdown) for m in at.chat_message]


def test_a_refresh_resumes_the_interview_and_then_its_report() -> None:
    at = open_interview_page()
    at.number_input[0].set_value(1)
    at.button[0].click().run()
    at.chat_input[0].set_value(ANSWER).run()
    assert not at.exception, at.exception
    before = messages(at)

    refreshed = open_interview_page()
    assert messages(refreshed)[: len(before)] == before  # the whole conversation is back
    refreshed.button(key="interview-end").click().run()
    assert any(h.value == "Compte rendu" for h in refreshed.header)
    assert any(h.value == "Compte rendu" for h in open_interview_page().header)  # the report survives too
    again = open_interview_page()
    [new] = [b for b in again.button if b.label == "Nouvel entretien"]
    new.click().run()
    assert open_interview_page().session_state["interview"] is None
