"""The Progress page reads well in both languages: headers, full topic names, folded long answers,
one time format, and a CSV that says which question, topic, level and grader each row is about."""

from __future__ import annotations

import csv
import io
import json

import pytest
from test_app_pages import healthy_fake_llm, start_app  # noqa: F401 - fixture

from config import get_settings
from core.i18n import say
from core.types import Grade
from practice.progress import export_csv, fold_answer, table_time_format
from question_bank import QuestionBank
from storage.attempts import AttemptStore

LONG_ANSWER = " ".join(f"mot{i}" for i in range(3000))  # about 20,000 characters
RAG_FR = "RAG (génération augmentée par la recherche)"
RAG_EN = "RAG (retrieval-augmented generation)"


def bank() -> QuestionBank:
    settings = get_settings()
    return QuestionBank.load(settings.bank_dir, settings.corpus_dir)


def seed(store: AttemptStore) -> None:
    graded = store.start(profile="default", question_id="aii-20-rag", lang="fr", answer="=SUM(A1) une réponse")
    store.complete(graded, Grade(question_id="aii-20-rag", score=6.0, grader="embedded"))
    llm = store.start(profile="default", question_id="aii-20-rag", lang="fr", answer=LONG_ANSWER)
    store.complete(
        llm,
        Grade(question_id="aii-20-rag", score=8.0, grader="llm", model="/models/SmolLM2-135M-Instruct.Q4_K_M.gguf"),
    )
    store.start(profile="default", question_id="aii-20-rag", lang="fr", answer=LONG_ANSWER)  # never graded


def test_a_long_answer_is_cut_at_a_word_and_nothing_is_lost() -> None:
    assert len(LONG_ANSWER) > 19_000
    shown, rest = fold_answer(LONG_ANSWER)
    assert 300 <= len(shown) <= 600 and not shown.endswith(" ") and LONG_ANSWER.startswith(shown)
    assert f"{shown} {rest}" == LONG_ANSWER
    assert fold_answer("A short answer.") == ("A short answer.", "")


def test_the_table_shows_dates_in_the_charts_format() -> None:
    assert table_time_format(say("chart_time_format", "fr")) == "DD/MM HH:mm"
    assert table_time_format(say("chart_time_format", "en")) == "MMM DD, HH:mm"


@pytest.mark.parametrize(("lang", "topic"), [("fr", RAG_FR), ("en", RAG_EN)])
def test_the_csv_names_the_question_topic_level_and_grader_in_the_ui_language(lang: str, topic: str) -> None:
    store = AttemptStore(get_settings().sqlalchemy_url)
    seed(store)
    the_bank = bank()
    rows = list(csv.DictReader(io.StringIO(export_csv(store.list("default"), the_bank, lang))))
    assert len(rows) == 3
    question = the_bank.get("aii-20-rag")
    assert {"question", "topics", "level", "grader", "model", "answer", "score"} <= set(rows[0])
    assert {row["question"] for row in rows} == {question.prompt_in(lang)}
    assert {row["topics"] for row in rows} == {topic}
    level = {"fr": {"advanced": "Avancé"}, "en": {"advanced": "Advanced"}}[lang][question.level.value]
    assert {row["level"] for row in rows} == {level}
    assert sorted(row["grader"] for row in rows) == ["", "embedded", "llm"]
    assert "'=SUM(A1) une réponse" in [row["answer"] for row in rows]  # still safe to open in a spreadsheet


def _headers(at) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {name: spec["label"] for name, spec in json.loads(at.dataframe[-1].proto.columns).items() if "label" in spec}


def test_the_page_reads_well_in_both_languages(healthy_fake_llm: None) -> None:  # noqa: F811
    seed(AttemptStore(get_settings().sqlalchemy_url))
    at = start_app()
    at.switch_page("pages/progress.py").run()
    assert not at.exception, at.exception

    # The ungraded 20,000-character answer: an excerpt, the rest folded away.
    [fold] = [e for e in at.expander if e.label.startswith("Lire la suite de la réponse")]
    assert "caractères de plus" in fold.label
    excerpts = [m.value for m in at.markdown if m.value.startswith("mot0 mot1")]
    assert len(excerpts) == 1 and len(excerpts[0]) < 1000 and excerpts[0].endswith(" …")
    assert len(fold.markdown[0].value) > 15_000

    # The history: headers in French, values in words, topics by their full names.
    headers = _headers(at)
    assert headers == {name: say(f"history_col_{name}", "fr") for name in headers}
    assert {"Date", "Question", "Thèmes", "État", "Note", "Correcteur"} <= set(headers.values())
    table = at.dataframe[-1].value
    assert set(table["topics"]) == {RAG_FR}
    assert sorted(table["status"]) == ["en attente", "notée", "notée"]
    assert set(table["grader"]) == {"", "correcteur intégré (sans LLM)", "SmolLM2-135M-Instruct.Q4_K_M"}
    assert "question_id" not in table.columns and json.loads(at.dataframe[-1].proto.columns)["when"][
        "type_config"]["format"] == "DD/MM HH:mm"  # fmt: skip

    # The charts: one time format on both layers and in the tooltip; topic names never cut.
    over_time, mastery = (json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart"))
    formats = {layer["encoding"]["x"]["axis"]["format"] for layer in over_time["layer"]}
    [when_tip] = [tip for tip in over_time["layer"][0]["encoding"]["tooltip"] if tip["field"] == "when"]
    assert formats == {when_tip["format"]} == {say("chart_time_format", "fr")}
    assert mastery["encoding"]["y"]["axis"]["labelLimit"] == 0
    assert {tip["title"] for tip in mastery["encoding"]["tooltip"]} == {"Thème", "Moyenne", "Réponses", "Questions"}

    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception, at.exception
    headers = _headers(at)
    assert headers == {name: say(f"history_col_{name}", "en") for name in headers}
    assert {"When", "Question", "Topics", "Status", "Score", "Grader", "Confidence"} <= set(headers.values())
    table = at.dataframe[-1].value
    assert set(table["topics"]) == {RAG_EN} and sorted(table["status"]) == ["graded", "graded", "pending"]
    assert any(e.label.startswith("Read the rest of the answer (") for e in at.expander)
    over_time = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert {layer["encoding"]["x"]["axis"]["format"] for layer in over_time["layer"]} == {"%b %d, %H:%M"}


def test_the_retry_comparison_folds_a_very_long_answer() -> None:
    """A 20,000-character answer shows an excerpt beside the other attempt; the rest waits in an expander."""
    from streamlit.testing.v1 import AppTest

    def page() -> None:
        from core.types import Grade
        from ui.render import render_attempts_side_by_side

        grades = [Grade(score=3.0, grader="embedded"), Grade(score=6.0, grader="embedded")]
        render_attempts_side_by_side(["court", "mot " * 5000], grades, "fr")

    at = AppTest.from_function(page).run()
    assert not at.exception, at.exception
    assert len(at.expander) == 1 and "caractères de plus" in at.expander[0].label
    [folded] = [m.value for m in at.expander[0].markdown]
    outside = [m.value for m in at.markdown if m.value != folded]
    assert max(len(text) for text in outside) < 2_000 and any(text.endswith(" …") for text in outside)
