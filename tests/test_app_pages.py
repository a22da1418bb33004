"""The app's pages under Streamlit's AppTest: home, a full quiz, progress, settings."""

from __future__ import annotations

import json
import re

import pytest
from fake_judge import HonestFakeJudge
from streamlit.testing.v1 import AppTest

from config import PROJECT_ROOT, get_settings
from knowledge.retrieval import Hit, References
from storage.attempts import AttemptStore

APP = str(PROJECT_ROOT / "app.py")


def start_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r} among {[b.label for b in at.button]}"
    return matches[0]


def all_markdown(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


@pytest.fixture
def healthy_fake_llm(page_services) -> None:  # type: ignore[no-untyped-def]
    """The judge is a scripted model; the health check says it is up; references are canned."""
    hit = Hit(
        text="Hybrid retrieval runs BM25 and dense search, then fuses ranks with RRF.",
        source="en/rag-pipeline.md", title="The RAG pipeline", heading_path="Retrieval > Hybrid",
        snippet="Hybrid retrieval runs BM25 and dense search…", lang="en", score=1.0, chunk_id="rag-1",
    )  # fmt: skip
    refs = References(reference_answer="The reference answer.", hits=[hit])
    page_services(chat_model=HonestFakeJudge(), references=refs)


def test_home_shows_the_bank_counts_in_both_languages() -> None:
    at = start_app()
    assert at.title[0].value == "AgentPrep"
    stats = json.loads(json.dumps(_bank_stats()))
    [bank_count] = [m for m in at.metric if m.label == "La banque de questions"]
    assert bank_count.value == f"{stats['questions']} questions"
    levels = at.dataframe[0].value
    assert list(levels.iloc[:, 1]) == [stats["by_level"][k] for k in ("basic", "intermediate", "advanced")]
    assert "Débutant" in list(levels.iloc[:, 0])
    at.sidebar.selectbox[0].set_value("en").run()
    assert "Basic" in list(at.dataframe[0].value.iloc[:, 0])
    assert "The question bank" in [h.value for h in at.header]


def _bank_stats() -> dict:
    from question_bank import QuestionBank

    settings = get_settings()
    return QuestionBank.load(settings.bank_dir, settings.corpus_dir).stats()


def answer_current(at: AppTest, text: str) -> AppTest:
    at.text_area[0].input(text)
    return button(at, "Soumettre").click().run()


def test_a_full_quiz_with_retry_and_summary(healthy_fake_llm: None) -> None:
    at = start_app()
    at.switch_page("pages/quiz.py").run()
    at.multiselect[0].set_value(["rag"])
    at.number_input[0].set_value(2)
    button(at, "Commencer").click().run()
    assert not at.exception, at.exception
    assert "Question 1 sur 2" in at.get("progress")[0].proto.text
    quiz = at.session_state["quiz"]
    first = _question(quiz.items[0].question_id)
    at = answer_current(at, "Je ne sais pas trop.")
    assert not at.exception, at.exception
    text = all_markdown(at)
    assert "/10" in text and "Grille de correction" in text
    # the LLM's grade shows the question's reference answer, once: the excerpts below do not repeat it
    assert [e.label for e in at.expander].count("Réponse de référence") == 1
    assert first.reference_answer.fr in text and "Extraits du cours" in text
    first_score = quiz.items[0].grades[0].score
    button(at, "Réessayer").click().run()
    at = answer_current(at, " ".join(item.text.fr for item in first.rubric))
    assert "Vos deux dernières tentatives" in all_markdown(at)
    assert quiz.items[0].grades[1].score > first_score
    assert quiz.items[0].grades[1].grader == "llm"
    button(at, "Question suivante").click().run()
    second = _question(quiz.items[1].question_id)
    at = answer_current(at, second.reference_answer.fr)
    button(at, "Question suivante").click().run()
    assert "Bilan du quiz" in [s.value for s in at.subheader]
    assert at.metric[0].label == "Moyenne" and re.fullmatch(r"\d+,\d/10", at.metric[0].value)  # 7,5 in French
    per_question, per_topic = (frame.value for frame in at.dataframe[:2])
    assert all(re.fullmatch(r"\d+,\d", value) for value in [*per_question["Note"], *per_topic["Moyenne"]])
    store = AttemptStore(get_settings().sqlalchemy_url)
    attempts = store.list("default")
    assert len(attempts) == 3 and {a.status for a in attempts} == {"graded"}
    assert {a.question_id for a in attempts} == {first.id, second.id}


def _question(question_id: str):  # type: ignore[no-untyped-def]
    from question_bank import QuestionBank

    settings = get_settings()
    return QuestionBank.load(settings.bank_dir, settings.corpus_dir).get(question_id)


def test_an_empty_answer_is_refused_with_a_message(healthy_fake_llm: None) -> None:
    at = start_app()
    at.switch_page("pages/quiz.py").run()
    at.number_input[0].set_value(1)
    button(at, "Commencer").click().run()
    at = answer_current(at, "   \n  ")
    assert any("Votre réponse est vide" in w.value for w in at.warning)
    assert AttemptStore(get_settings().sqlalchemy_url).count() == 0


def test_progress_page_shows_history_charts_and_exports(healthy_fake_llm: None) -> None:
    from core.types import Grade
    from storage.scheduling import ReviewScheduler

    settings = get_settings()
    store = AttemptStore(settings.sqlalchemy_url)
    for question_id, score in (("aii-20-rag", 4.0), ("aii-03-agentic-vs-traditional-ai", 8.0)):
        attempt_id = store.start(profile="default", question_id=question_id, lang="fr", answer="Une réponse")
        store.complete(attempt_id, Grade(question_id=question_id, score=score, grader="embedded"))
        ReviewScheduler(settings.sqlalchemy_url).record("default", question_id, score)
    store.start(profile="default", question_id="aii-20-rag", lang="fr", answer="Réponse jamais notée")
    at = start_app()
    at.switch_page("pages/progress.py").run()
    assert not at.exception, at.exception
    assert "Réponses non notées" in [s.value for s in at.subheader]
    history = at.dataframe[-1].value
    assert len(history) == 3 and sorted(history["score"].dropna()) == [4.0, 8.0]
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2
    downloads = at.get("download_button")
    assert len(downloads) == 2
    button(at, "Noter maintenant").click().run()
    assert not at.exception, at.exception
    assert store.unfinished("default") == []


def test_settings_with_the_server_down_say_how_to_fix_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from browser_support import free_port

    monkeypatch.setenv("AGENTPREP_OLLAMA_URL", f"http://127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    at = start_app()
    assert "🔴 modèle indisponible" in all_markdown(at)  # the sidebar's grader line
    at.switch_page("pages/settings.py").run()
    assert not at.exception, at.exception
    button(at, "Tester la connexion").click().run()
    assert any("ollama serve" in i.value for i in at.info), [e.value for e in at.error]
    assert at.error and "Ollama" in at.error[0].value


def test_settings_show_the_expected_wait_for_the_chosen_model_in_both_languages() -> None:
    at = start_app()
    at.switch_page("pages/settings.py").run()
    shown = all_markdown(at)
    assert "Attente prévue par note avec qwen3:4b" in shown and "Portable sans GPU : la note en ~" in shown
    at.text_input[0].set_value("http://127.0.0.1:9").run()  # no server there: the model name is typed
    [model] = [w for w in at.text_input if w.value == "qwen3:4b"]
    model.set_value("qwen3:8b").run()
    assert "Attente prévue par note avec qwen3:8b" in all_markdown(at)
    at.session_state["lang"] = "en"
    at.run()
    shown = all_markdown(at)
    assert "Expected wait per grade with qwen3:" in shown and "Laptop CPU: the score in ~" in shown
    assert "Portable" not in shown


def test_an_adaptive_quiz_moves_the_level_with_the_score_and_says_why(healthy_fake_llm: None) -> None:
    at = start_app()
    at.switch_page("pages/quiz.py").run()
    at.multiselect[0].set_value(["rag"])
    at.number_input[0].set_value(2)
    [adaptive] = [c for c in at.checkbox if c.label.startswith("Adaptatif")]
    adaptive.check()
    button(at, "Commencer").click().run()
    assert not at.exception, at.exception
    quiz = at.session_state["quiz"]
    assert quiz.config.adaptive and len(quiz.items) == 1 and "Question 1 sur 2" in at.get("progress")[0].proto.text
    assert any("Pas encore de réponse notée" in i.value and "intermédiaire" in i.value for i in at.info)
    first = _question(quiz.items[0].question_id)
    at = answer_current(at, first.reference_answer.fr)
    score = quiz.items[0].grades[0].score
    button(at, "Question suivante").click().run()
    assert not at.exception, at.exception
    pick = quiz.items[1].pick
    assert pick.recent_scores == (score,)
    assert pick.direction == ("up" if score >= 7.5 else "down" if score < 5 else "same")
    shown = " ".join(i.value for i in at.info)
    assert f"{score:.1f}".replace(".", ",") + "/10" in shown


def test_each_next_step_links_to_the_course_passage_that_teaches_it(page_services) -> None:  # type: ignore[no-untyped-def]
    services = page_services(chat_model=HonestFakeJudge())
    at = start_app()
    at.switch_page("pages/quiz.py").run()
    at.number_input[0].set_value(1)
    button(at, "Commencer").click().run()
    question = _question(at.session_state["quiz"].items[0].question_id)
    # a passage that teaches every rubric point, so whichever points the next steps pick (equal weights tie,
    # and the question is drawn at random) share their words with it
    every_point = " ".join(item.text.fr for item in question.rubric)
    services.canned_references = References(reference_answer="-", hits=[Hit(
        text=every_point, source="fr/rag-pipeline.md", title="Le pipeline RAG",
        heading_path="Le pipeline RAG > Découpage", snippet="…", lang="fr", score=1.0, chunk_id="c1",
    )])  # fmt: skip
    at = answer_current(at, "Je ne sais pas trop.")
    assert not at.exception, at.exception
    links = [link.proto for link in at.get("page_link")]
    step_links = [link for link in links if link.label.startswith("À lire : [1] Le pipeline RAG › Découpage")]
    assert step_links, [link.label for link in links]
    assert all("source=fr%2Frag-pipeline.md" in link.query_string for link in step_links)
