"""Issue #16: a quiz in progress survives a browser refresh and a server restart; the URL keeps language and profile.

A refresh is a new browser session: here, a new AppTest on the same database. A restart also
drops every process-wide cache and database engine.
"""

from __future__ import annotations

import pytest
from fake_judge import HonestFakeJudge
from streamlit.testing.v1 import AppTest

from config import PROJECT_ROOT, get_settings
from practice.adaptive import AdaptivePick
from practice.quiz import QuizConfig, QuizItem, QuizSession
from practice.quiz_state import QuizKeeper, quiz_state, restore_quiz
from question_bank.model import Level
from storage.attempts import AttemptStore
from storage.db import dispose_engines
from storage.practice_sessions import PracticeSessionStore

APP = str(PROJECT_ROOT / "app.py")
SKIP = "Passer"


@pytest.fixture
def fake_llm(page_services):  # type: ignore[no-untyped-def]
    """Installs the test's Services; calling the result again installs fresh ones (a restarted server)."""
    page_services(chat_model=HonestFakeJudge())
    return lambda: page_services(chat_model=HonestFakeJudge())


def open_quiz_page(query: dict[str, str] | None = None) -> AppTest:
    """A new browser session (what a refresh is), opened on the quiz page."""
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/quiz.py").run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, label: str) -> AppTest:
    [match] = [b for b in at.button if b.label == label]
    at = match.click().run()
    assert not at.exception, at.exception
    return at


def progress_text(at: AppTest) -> str:
    return at.get("progress")[0].proto.text


def restart_server(new_services) -> None:  # type: ignore[no-untyped-def]
    """What a restart leaves: nothing of the process, only the database."""
    dispose_engines()
    new_services()


def test_a_refresh_then_a_restart_resume_the_quiz_where_it_was(fake_llm) -> None:  # type: ignore[no-untyped-def]
    at = open_quiz_page()
    at.multiselect[0].set_value(["rag"])
    at.number_input[0].set_value(2)
    at = click(at, "Commencer")
    quiz = at.session_state["quiz"]
    at.text_area[0].input("Le RAG cherche des passages puis génère une réponse ancrée.")
    at = click(at, "Soumettre")
    score = quiz.items[0].grades[0].score

    refreshed = open_quiz_page()
    resumed = refreshed.session_state["quiz"]
    assert resumed.id == quiz.id and resumed.items[0].grades[0].score == score
    assert "/10" in "\n".join(m.value for m in refreshed.markdown)  # the grade is on screen again
    refreshed = click(refreshed, "Question suivante")
    assert progress_text(refreshed) == "Question 2 sur 2"

    restart_server(fake_llm)
    after_restart = open_quiz_page()
    assert progress_text(after_restart) == "Question 2 sur 2"
    assert after_restart.session_state["quiz"].items[1].question_id == quiz.items[1].question_id
    after_restart = click(after_restart, SKIP)
    assert "Bilan du quiz" in [s.value for s in open_quiz_page().subheader]  # even the summary survives
    after_new = click(open_quiz_page(), "Nouveau quiz")
    assert after_new.session_state["quiz"] is None
    assert open_quiz_page().session_state["quiz"] is None  # a closed quiz is not resumed


def test_an_answer_saved_but_never_graded_comes_back_in_the_answer_box(fake_llm: None) -> None:
    at = open_quiz_page()
    at.number_input[0].set_value(1)
    at = click(at, "Commencer")
    quiz = at.session_state["quiz"]
    store = AttemptStore(get_settings().sqlalchemy_url)
    typed = "Ma réponse, enregistrée avant que l'onglet ne se ferme pendant la notation."
    store.start(profile="default", question_id=quiz.items[0].question_id, lang="fr", answer=typed,
                session_id=quiz.id)  # fmt: skip
    refreshed = open_quiz_page()
    assert refreshed.text_area[0].value == typed
    assert any("pas encore notée" in info.value for info in refreshed.info)
    refreshed = click(refreshed, "Soumettre")
    assert refreshed.session_state["quiz"].items[0].grades  # graded now
    assert not any("pas encore notée" in info.value for info in open_quiz_page().info)


def test_each_profile_resumes_its_own_quiz_and_the_url_keeps_the_profile(fake_llm: None) -> None:
    at = open_quiz_page({"profile": "ana"})
    assert at.session_state["profile"] == "ana"
    at.number_input[0].set_value(1)
    at = click(at, "Commencer")
    assert open_quiz_page({"profile": "ana"}).session_state["quiz"].id == at.session_state["quiz"].id
    assert open_quiz_page({"profile": "ben"}).session_state["quiz"] is None


def test_the_url_keeps_the_language_across_a_refresh() -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["ui_lang"] = "en"
    at.run()
    assert "The question bank" in [h.value for h in at.header]
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["ui_lang"] = "de"  # not a language of the app: the default, no error
    at.run()
    assert not at.exception and "La banque de questions" in [h.value for h in at.header]


def test_the_saved_state_round_trips_with_an_adaptive_pick_and_reads_grades_from_the_attempts() -> None:
    store = AttemptStore(get_settings().sqlalchemy_url)
    pick = AdaptivePick("q-two", Level.advanced, Level.advanced, "up", "rag", (8.0, 9.0))
    quiz = QuizSession(profile="cy", config=QuizConfig(topics=("rag",), count=3, adaptive=True),
                       items=[QuizItem("q-one"), QuizItem("q-two", pick=pick)], position=1)  # fmt: skip
    graded = store.start(profile="cy", question_id="q-one", lang="fr", answer="Une réponse.")
    from core.types import Grade

    store.complete(graded, Grade(score=6.5, grader="embedded"))
    pending = store.start(profile="cy", question_id="q-one", lang="fr", answer="Jamais notée.")
    quiz.items[0].attempt_ids = [graded, pending]
    keeper = QuizKeeper(PracticeSessionStore(get_settings().sqlalchemy_url), store)
    keeper.save(quiz, retrying=True)
    restored, retrying = keeper.resume("cy")
    assert retrying and restored.id == quiz.id and restored.position == 1 and restored.config == quiz.config
    assert restored.items[1].pick == pick
    assert restored.items[0].attempt_ids == [graded] and restored.items[0].grades[0].score == 6.5
    assert restore_quiz(quiz_state(restored), store).items[0].answers == ["Une réponse."]
    keeper.close(restored)
    assert keeper.resume("cy") is None


def test_home_resumes_an_unfinished_quiz_and_starts_a_new_one_after_the_summary(fake_llm: None) -> None:
    at = open_quiz_page()
    at.number_input[0].set_value(1)
    at = click(at, "Commencer")
    at.switch_page("pages/home.py").run()
    assert "Reprendre mon quiz" in [b.label for b in at.button]
    at = click(at, "Reprendre mon quiz")
    at.switch_page("pages/quiz.py").run()  # where the button's st.switch_page goes (AppTest does not follow it)
    at = click(at, SKIP)  # the only question: the quiz is over, its summary shows
    assert "Bilan du quiz" in [s.value for s in at.subheader]
    at.switch_page("pages/home.py").run()
    assert "Reprendre mon quiz" not in [b.label for b in at.button]  # nothing is left to resume
    at = click(at, "Commencer un quiz")
    at.switch_page("pages/quiz.py").run()
    assert "Préparer un quiz" in [s.value for s in at.subheader]  # the set-up, not the old summary
