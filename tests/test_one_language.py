"""Issue #16: a coach may write a question in one language only; readers of the other see it marked."""

from __future__ import annotations

import pytest
from bank_factory import make_question
from pydantic import ValidationError
from streamlit.testing.v1 import AppTest

from coach.content import CoachContent
from coach.forms import empty_values, save_form, values_from_question
from config import PROJECT_ROOT, get_settings
from question_bank import QuestionBank, load_topics
from question_bank.model import Question
from question_bank.transfer import export_csv, read_import
from question_bank.writer import dump_question, load_question_text

CORPUS = PROJECT_ROOT / "knowledge" / "corpus"
FRENCH_ONLY = make_question(
    "seulement-en-francais",
    prompt={"fr": "Pourquoi versionner ses prompts ?"},
    reference_answer={"fr": "Pour comparer, revenir en arrière et relier une régression à un changement."},
    rubric=[{"id": "compare", "weight": 2, "text": {"fr": "Comparer deux versions."}},
            {"id": "rollback", "weight": 1, "text": {"fr": "Revenir en arrière."}}],
    follow_ups=[{"fr": "Comment testez-vous un changement de prompt ?"}],
    sources=[],
)  # fmt: skip


def test_a_question_blank_in_one_language_everywhere_is_written_in_the_other_only() -> None:
    question = Question.model_validate(FRENCH_ONLY)
    assert question.languages == ["fr"] and question.written_in("fr") and not question.written_in("en")
    assert question.prompt_in("en") == "Pourquoi versionner ses prompts ?"  # English readers get the French text
    with pytest.raises(ValidationError, match="is empty"):  # one text missing here and there is a mistake
        Question.model_validate(make_question("half", prompt={"fr": "Q ?", "en": ""}, sources=[]))


def test_it_round_trips_through_the_yaml_the_csv_the_database_and_the_form() -> None:
    question = Question.model_validate(FRENCH_ONLY)
    text = dump_question(question)
    assert "en:" not in text and load_question_text(text) == question  # no English copies in the file
    [(_, imported)] = read_import(export_csv([question]), "csv", existing_ids=set(), topics=load_topics(),
                                  corpus_dir=CORPUS).questions  # fmt: skip
    assert imported == question
    assert Question.model_validate_json(question.model_dump_json()) == question
    values = values_from_question(question)
    assert values["prompt_en"] == "" and values["rubric_0_en"] == ""  # the form shows what the coach typed


def test_a_french_only_coach_can_save_a_question_from_the_form() -> None:
    bank = QuestionBank([], load_topics())
    content = CoachContent(get_settings().sqlalchemy_url)
    values = {**empty_values(), "id": "pour-les-francophones", "topics": ["rag"], "rubric_count": 1,
              "prompt_fr": "Qu'est-ce qu'un reranker ?", "reference_answer_fr": "Un modèle qui reclasse.",
              "rubric_0_id": "reclasse", "rubric_0_fr": "Reclasse les passages."}  # fmt: skip
    result = save_form(values, editing_id=None, bank=bank, content=content, corpus_dir=CORPUS)
    assert result.ok, result.problems
    assert content.bank(bank).get("pour-les-francophones").languages == ["fr"]


def test_an_english_reader_sees_the_question_marked_in_the_quiz() -> None:
    CoachContent(get_settings().sqlalchemy_url).save_question(Question.model_validate(FRENCH_ONLY))
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/quiz.py").run()
    from practice.quiz import QuizConfig, QuizItem, QuizSession

    at.session_state["quiz"] = QuizSession("default", QuizConfig(count=1, lang="en"), [QuizItem(FRENCH_ONLY["id"])])
    at.run()
    assert not at.exception, at.exception
    assert any("written in French only" in c.value or "rédigée en français seulement" in c.value for c in at.caption)
