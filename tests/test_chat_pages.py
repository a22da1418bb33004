"""The interview and ask pages through Streamlit's AppTest, with no LLM reachable (embedded grader).

The LLM URL points at a closed local port, so the sidebar's health check fails at once, the
interviewer speaks in template sentences and the embedded grader grades; the ask page gets the
small test knowledge store of test_ask instead of indexing the whole corpus.
"""

from __future__ import annotations

import pytest
from page_services import DOWN, ReadyKnowledge
from streamlit.testing.v1 import AppTest
from test_ask import small_knowledge

from config import PROJECT_ROOT, get_settings
from interview.prompting import phrase
from storage.attempts import AttemptStore
from ui.render import escape_markdown

ANSWER = (
    "Un agent combine un LLM qui raisonne, des outils qu'il appelle et une boucle où il observe le résultat "
    "de chaque action avant de décider de la suivante."
)


pytestmark = pytest.mark.usefixtures("no_llm")  # conftest: no model answers


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60).run()
    at.switch_page(page).run()
    assert not at.exception
    return at


def messages(at: AppTest) -> list[tuple[str, str]]:
    return [(m.name, "\n".join(e.value for e in m.markdown)) for m in at.chat_message]


def test_a_short_interview_turn_by_turn() -> None:
    at = open_page("pages/interview.py")
    at.number_input[0].set_value(1)
    at.button[0].click().run()  # the form's "start" button
    assert not at.exception
    [(role, opening)] = messages(at)
    assert role == "assistant" and opening.startswith("Bonjour et bienvenue") and "Question 1/1" in opening

    at.chat_input[0].set_value(ANSWER).run()
    assert not at.exception
    (_, _), (user, said), (interviewer, probe) = messages(at)
    assert user == "user" and said.startswith("Un agent combine") and interviewer == "assistant"
    assert "?" in probe  # a follow-up question about a point the answer missed
    assert [e.label for e in at.expander if e.label.startswith("Note :")]  # the answer's grade, collapsed
    assert any(e.label == "Contester cette note" for e in at.expander)  # every grade can be disputed
    at.text_area[0].input("Ma réponse couvrait la boucle et les outils.")
    [send] = [b for b in at.button if b.label == "Envoyer la contestation"]
    send.click().run()
    assert any("un coach va la relire" in s.value for s in at.success)
    at.button(key="interview-hint").click().run()
    assert messages(at)[-2] == ("user", escape_markdown(phrase("said_hint", "fr")))
    assert messages(at)[-1][1].startswith(("Un indice", "Une piste", "Je ne peux pas"))

    at.button(key="interview-end").click().run()
    assert not at.exception
    assert any(h.value == "Compte rendu" for h in at.header)
    assert [b.label for b in at.get("download_button")] == ["Télécharger le compte rendu (Markdown)"]
    assert any("Note par question" in m.value for m in at.markdown)
    assert "Détail de la correction, question 1" in [e.label for e in at.expander]
    question = at.session_state["interview"].runs[0].question
    assert any(question.reference_answer.fr in m.value for m in at.markdown)  # the grade view's reference answer
    saved = AttemptStore(get_settings().sqlalchemy_url).list("default")
    assert [(a.mode, a.status, a.answer) for a in saved] == [("interview", "graded", ANSWER)]
    assert saved[0].contested and saved[0].review_status == "pending"


def test_the_interview_buttons_dont_know_and_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("pages/interview.py")
    at.number_input[0].set_value(2)
    at.selectbox[2].set_value("en")
    at.button[0].click().run()
    at.button(key="interview-dont_know").click().run()
    assert messages(at)[1] == ("user", escape_markdown("I don't know.")) and "Question 2/2" in messages(at)[2][1]
    at.button(key="interview-skip").click().run()
    assert not at.exception and any(h.value == "Compte rendu" for h in at.header)
    saved = AttemptStore(get_settings().sqlalchemy_url).list("default")
    assert [(a.mode, a.score) for a in saved] == [("interview", 0.0)]  # "I don't know" counts; a skip does not


def test_ask_the_material_says_not_covered_then_cites_excerpts(page_services) -> None:  # type: ignore[no-untyped-def]
    page_services(health=DOWN, knowledge=ReadyKnowledge(*small_knowledge()))
    at = open_page("pages/ask.py")
    at.chat_input[0].set_value("How do I bake bread?").run()
    assert not at.exception
    assert messages(at)[-1][1].startswith(phrase("ask_not_covered", "en"))
    at.chat_input[0].set_value("Qu'est-ce qu'un agent ReAct ?").run()
    assert not at.exception
    reply = messages(at)[-1][1]
    assert reply.startswith(phrase("ask_no_model", "fr")) and "**[1]" in reply
    assert [e.label[:4] for e in at.expander][:2] == ["[1] ", "[2] "]
    assert len(messages(at)) == 4  # the conversation so far is kept and replayed
