"""The coach studio page through Streamlit's AppTest: the gate, the question form, uploads, the review queue."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from coach.auth import reset_process_throttle
from coach.content import load_bank as bank_in_database
from config import get_settings
from core.types import Grade
from storage.attempts import AttemptStore
from storage.documents import UploadedDocuments
from ui.resources import forget_bank

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_BANK = PROJECT_ROOT / "question_bank" / "bank"
PASSWORD = "open sesame 42"
STUDIO_KEYS = ("coach_section", "cq_choice", "cq_f_id")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def shipped_untouched() -> Path:
    """The shipped bank, which the studio must leave byte for byte as it was: coach work goes to the database.

    Each test has its own data directory (conftest), so its own database; the app's cached bank
    and the login back-off start fresh.
    """
    get_settings.cache_clear()
    forget_bank()
    reset_process_throttle()
    before = snapshot(SHIPPED_BANK)
    yield SHIPPED_BANK
    forget_bank()
    reset_process_throttle()
    assert snapshot(SHIPPED_BANK) == before, "the studio wrote into the repository's bank"


def saved_bank():  # type: ignore[no-untyped-def]
    """The bank as candidates see it, read from the shipped YAML and the database, not from the app's cache."""
    return bank_in_database(get_settings())


def open_studio() -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/coach.py").run()
    assert not at.exception, at.exception
    return at


def widget_keys(at: AppTest) -> set[str]:
    return {w.key for kind in ("text_input", "text_area", "radio", "selectbox", "button") for w in getattr(at, kind)}


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def test_with_a_password_only_the_login_form_is_shown(shipped_untouched: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTPREP_COACH_PASSWORD", PASSWORD)
    get_settings.cache_clear()
    at = open_studio()
    assert not set(STUDIO_KEYS) & widget_keys(at)
    assert not at.title and not at.file_uploader and not at.dataframe
    assert [w.key for w in at.text_input if w.key and w.key.startswith("coach_password")] == ["coach_password_0"]

    password_box = next(w for w in at.text_input if w.key == "coach_password_0")
    password_box.input("not it")
    at.button[-1].click().run()  # the form's submit button
    assert "Wrong password" in errors(at) or "Mot de passe incorrect" in errors(at)
    assert not set(STUDIO_KEYS) & widget_keys(at)

    password_box = next(w for w in at.text_input if w.key and w.key.startswith("coach_password"))
    password_box.input(PASSWORD)
    at.button[-1].click().run()
    assert not at.exception
    assert set(STUDIO_KEYS) <= widget_keys(at)
    kept = repr(at.session_state.to_dict())
    assert PASSWORD not in kept and "not it" not in kept
    assert isinstance(at.session_state["coach_unlocked_until"], float)


def test_without_a_password_the_studio_is_open(shipped_untouched: Path) -> None:
    at = open_studio()
    assert set(STUDIO_KEYS) <= widget_keys(at)
    assert not any(w.key and w.key.startswith("coach_password") for w in at.text_input)


def fill(at: AppTest, values: dict[str, object]) -> None:
    for name, value in values.items():
        key = f"cq_f_{name}"
        kinds = ("text_input", "text_area", "number_input", "selectbox", "multiselect")
        widget = next(w for kind in kinds for w in getattr(at, kind) if w.key == key)
        widget.set_value(value)


def test_adding_a_question_through_the_form_saves_it(shipped_untouched: Path) -> None:
    at = open_studio()
    at.number_input(key="cq_f_rubric_count").set_value(2).run()
    fill(at, {
        "id": "coach-made-question", "kind": "technical", "level": "basic", "topics": ["rag"],
        "prompt_fr": "Pourquoi découper les documents ?", "prompt_en": "Why split documents into chunks?",
        "reference_answer_fr": "Pour que chaque passage tienne dans le contexte.\n\nEt pour la précision.",
        "reference_answer_en": "So each passage fits the context.\n\nAnd for precision.",
        "rubric_0_id": "fit", "rubric_0_weight": 2.0, "rubric_0_fr": "Taille du contexte.",
        "rubric_0_en": "Context size.", "rubric_0_keywords": "contexte; context",
        "rubric_1_id": "precision", "rubric_1_weight": 1.0, "rubric_1_fr": "Précision.", "rubric_1_en": "Precision.",
        "sources": ["en/rag-pipeline.md"],
    })  # fmt: skip
    at.run()
    assert "### Pourquoi découper les documents ?" in " ".join(m.value for m in at.markdown)  # the preview follows
    at.button(key="cq_save").click().run()
    assert not at.exception and not at.error, errors(at)
    saved = saved_bank().get("coach-made-question")
    assert saved is not None and saved_bank().origin("coach-made-question") == "added"
    assert saved.rubric[0].keywords == ["contexte", "context"] and saved.rubric[1].weight == 1.0
    assert "coach-made-question" in at.success[0].value
    assert at.selectbox(key="cq_choice").value == "coach-made-question"


def test_a_form_with_errors_lists_them_and_keeps_the_input(shipped_untouched: Path) -> None:
    at = open_studio()
    fill(at, {"id": "Not A Valid Id", "prompt_fr": "Une question ?", "reference_answer_fr": "Une réponse.",
              "rubric_0_id": "point", "rubric_0_fr": "Un point."})  # fmt: skip
    at.run()
    at.button(key="cq_save").click().run()
    assert not at.exception
    text = errors(at)
    assert "'Not A Valid Id' doit compter de 2 à 80 caractères" in text  # the id, in the UI's language
    assert text.count("est vide") >= 3  # the empty rubric items 2 and 3 (French-only is fine: no English needed)
    assert "Énoncé (anglais)" not in text
    assert "List should" not in text and r"au moins 1 élément\(s\) requis" in text  # pydantic's wording too
    assert "Critère 2" in text  # each problem names its field
    assert at.text_input(key="cq_f_id").value == "Not A Valid Id"
    assert at.text_area(key="cq_f_prompt_fr").value == "Une question ?"
    assert at.text_input(key="cq_f_rubric_0_fr").value == "Un point."
    assert saved_bank().origins == {q.id: "shipped" for q in saved_bank().questions}  # nothing stored


def test_editing_and_duplicating_an_existing_question(shipped_untouched: Path) -> None:
    at = open_studio()
    at.selectbox(key="cq_choice").set_value("rag-hybrid-retrieval-rrf").run()
    assert at.text_input(key="cq_f_id").disabled
    duplicate = next(b for b in at.button if b.label in ("Duplicate", "Dupliquer"))
    duplicate.click().run()
    assert at.text_input(key="cq_f_id").value == "rag-hybrid-retrieval-rrf-copy"
    at.button(key="cq_save").click().run()
    assert not at.error, errors(at)
    assert saved_bank().origin("rag-hybrid-retrieval-rrf-copy") == "added"


def test_an_edit_of_a_shipped_question_is_an_override_that_can_be_reverted(shipped_untouched: Path) -> None:
    at = open_studio()
    at.selectbox(key="cq_choice").set_value("rag-hybrid-retrieval-rrf").run()
    original = saved_bank().get("rag-hybrid-retrieval-rrf")
    at.text_area(key="cq_f_prompt_en").set_value("What is hybrid retrieval, in your words?").run()
    at.button(key="cq_save").click().run()
    assert not at.error, errors(at)
    edited = saved_bank().get("rag-hybrid-retrieval-rrf")
    assert edited.prompt.en == "What is hybrid retrieval, in your words?" and edited.prompt.fr == original.prompt.fr
    assert edited.calibration == original.calibration  # the shipped samples stay with the edited question
    assert saved_bank().origin("rag-hybrid-retrieval-rrf") == "edited"
    at.button(key="cq_revert").click().run()
    assert not at.exception
    assert saved_bank().get("rag-hybrid-retrieval-rrf") == original
    assert at.text_area(key="cq_f_prompt_en").value == original.prompt.en  # the form shows the shipped text


def test_deleting_a_shipped_question_hides_it_until_restored(shipped_untouched: Path) -> None:
    at = open_studio()
    at.selectbox(key="cq_choice").set_value("rag-hybrid-retrieval-rrf").run()
    delete = next(b for b in at.button if b.label in ("Delete", "Supprimer"))
    assert delete.disabled  # not without the confirmation
    at.checkbox(key="cq_confirm_rag-hybrid-retrieval-rrf").check().run()
    next(b for b in at.button if b.label in ("Delete", "Supprimer")).click().run()
    assert not at.exception
    assert saved_bank().get("rag-hybrid-retrieval-rrf") is None
    assert saved_bank().origin("rag-hybrid-retrieval-rrf") == "hidden"
    at.button(key="cq_restore_rag-hybrid-retrieval-rrf").click().run()
    assert saved_bank().get("rag-hybrid-retrieval-rrf") is not None


def test_uploading_a_bad_file_gets_a_clear_message(shipped_untouched: Path) -> None:
    at = open_studio()
    at.radio(key="coach_section").set_value("knowledge").run()
    assert not at.exception
    at.file_uploader(key="ck_files").set_value(("notes.pdf", b"this is not a PDF at all", "application/pdf")).run()
    at.button(key="ck_upload").click().run()
    assert not at.exception
    shown = errors(at).replace("\\", "")  # messages are escaped Markdown
    assert shown.startswith("notes.pdf: not a PDF file")
    assert UploadedDocuments(get_settings().sqlalchemy_url).listing() == []


def test_disputed_grades_are_listed_with_the_answer_escaped(shipped_untouched: Path) -> None:
    store = AttemptStore(get_settings().sqlalchemy_url)
    attempt_id = store.start(profile="alice", question_id="rag-hybrid-retrieval-rrf", lang="en",
                             answer="# Heading? <b>bold</b> [link](http://x)")  # fmt: skip
    store.complete(attempt_id, Grade(score=2.0, grader="embedded", feedback="Too short."))
    store.dispute(attempt_id, [], "I covered RRF!")
    other = store.start(profile="bob", question_id="rag-hybrid-retrieval-rrf", lang="en", answer="not contested")
    store.complete(other, Grade(score=6.0, grader="embedded"))
    at = open_studio()
    at.radio(key="coach_section").set_value("review").run()
    assert not at.exception
    assert len(at.expander) >= 1 and "alice" in at.expander[0].label
    shown = " ".join(m.value for m in at.markdown)
    assert r"\# Heading? \<b\>bold\</b\> \[link\]\(http://x\)" in shown
    assert r"I covered RRF\!" in shown and "not contested" not in shown


def test_calibration_runs_the_graders_and_keeps_the_samples_with_the_question(shipped_untouched: Path) -> None:
    at = open_studio()
    at.session_state["grader_mode"] = "embedded"  # no LLM here: the judge is reported as not grading
    at.radio(key="coach_section").set_value("calibration").run()
    at.selectbox(key="cc_question").set_value("rag-hybrid-retrieval-rrf").run()
    answers = [("I do not know.", 0.0), ("Run BM25 and a dense search side by side, then merge the two rankings "
               "with Reciprocal Rank Fusion, summing 1/(k+rank) for each document.", 8.0)]  # fmt: skip
    for answer, expected in answers:
        at.text_area[0].set_value(answer)
        at.number_input[0].set_value(expected)
        next(b for b in at.button if b.label in ("Add to the list", "Ajouter à la liste")).click().run()
    at.button(key="cc_run_btn").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 2 and table.iloc[:, 2].tolist() == [0.0, 8.0]
    assert table.iloc[:, 3].tolist() == ["—", "—"]  # the judge did not grade: a dash, never "None"
    agreement = " ".join(m.value for m in at.markdown if "Spearman" in m.value)
    assert "2 exemple(s)" in agreement or "2 sample(s)" in agreement
    shipped = len(saved_bank().get("rag-hybrid-retrieval-rrf").calibration)
    at.button(key="cc_save_btn").click().run()
    saved = saved_bank().get("rag-hybrid-retrieval-rrf")
    assert [(s.lang, s.expected_score) for s in saved.calibration[shipped:]] == [("en", 0.0), ("en", 8.0)]
    removable = [b for b in at.button if b.key and b.key.startswith("cc_remove_")]
    assert len(removable) == 2  # the coach's samples can be removed; the shipped ones are read-only
    assert all(b.disabled for b in removable)  # not without confirming
    at.checkbox(key=removable[0].key.replace("cc_remove_", "cc_confirm_")).check().run()
    at.button(key=removable[0].key).click().run()
    left = saved_bank().get("rag-hybrid-retrieval-rrf").calibration[shipped:]
    assert [(s.lang, s.expected_score) for s in left] == [("en", 8.0)]


def test_a_draft_survives_a_visit_to_another_page(shipped_untouched: Path) -> None:
    at = open_studio()
    fill(at, {"id": "half-written", "prompt_en": "A question I am still writing?"})
    at.run()
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/coach.py").run()
    assert not at.exception
    assert at.text_input(key="cq_f_id").value == "half-written"
    assert at.text_area(key="cq_f_prompt_en").value == "A question I am still writing?"
