"""The studio's logic without Streamlit: calibration runs, uploads, document removal."""

from __future__ import annotations

from pathlib import Path

import pytest
from bank_factory import bank_of, make_question

from coach.calibration import run_calibration
from coach.content import CoachContent
from coach.documents import is_upload, remove_document, save_uploads
from config import get_settings
from core.types import Grade
from question_bank.calibration import calibration_samples
from question_bank.model import CalibrationSample, Question
from question_bank.overlay import merge_samples
from storage.documents import UploadedDocuments

QUESTION = Question.model_validate(make_question("calib-question"))


def sample(answer: str, expected: float, lang: str = "en") -> CalibrationSample:
    return CalibrationSample(lang=lang, answer=answer, expected_score=expected)


class ScriptedGrader:
    """Returns preset scores per (grader, answer); 'llm' may fall back like the real service does."""

    def __init__(self, scores: dict[tuple[str, str], float], judge_falls_back: bool = False):
        self.scores = scores
        self.judge_falls_back = judge_falls_back
        self.calls: list[tuple[str, str]] = []

    def __call__(self, question: Question, answer: str, *, settings: object, grader: str) -> Grade:
        self.calls.append((grader, answer))
        if grader == "llm" and self.judge_falls_back:
            return Grade(score=1.0, grader="embedded", fallback_reason="model unreachable")
        return Grade(score=self.scores[(grader, answer)], grader="llm" if grader == "llm" else "embedded")


def test_calibration_agreement_per_grader() -> None:
    samples = [sample("a", 2), sample("b", 5), sample("c", 9)]
    grader = ScriptedGrader({("embedded", "a"): 3, ("embedded", "b"): 4, ("embedded", "c"): 8,
                             ("llm", "a"): 2, ("llm", "b"): 6, ("llm", "c"): 5})  # fmt: skip
    run = run_calibration(QUESTION, samples, get_settings(), grade=grader)
    assert [(o.embedded_score, o.judge_score) for o in run.outcomes] == [(3, 2), (4, 6), (8, 5)]
    embedded = run.agreement("embedded")
    assert embedded.n == 3 and embedded.mae == pytest.approx(1.0) and embedded.spearman == pytest.approx(1.0)
    judge = run.agreement("judge")
    assert judge.mae == pytest.approx((0 + 1 + 4) / 3) and judge.spearman == pytest.approx(0.5)


def test_spearman_needs_three_samples_and_a_fallback_is_not_a_judge_score() -> None:
    samples = [sample("a", 2), sample("b", 5)]
    grader = ScriptedGrader({("embedded", "a"): 2, ("embedded", "b"): 5}, judge_falls_back=True)
    run = run_calibration(QUESTION, samples, get_settings(), grade=grader)
    assert run.agreement("embedded").spearman is None and run.agreement("embedded").mae == 0
    assert all(o.judge_score is None and o.judge_note == "model unreachable" for o in run.outcomes)
    assert run.agreement("judge").n == 0 and run.agreement("judge").mae is None


def test_an_unavailable_judge_is_not_called() -> None:
    grader = ScriptedGrader({("embedded", "a"): 4})
    run = run_calibration(QUESTION, [sample("a", 4)], get_settings(), grade=grader, judge_unavailable="no server")
    assert grader.calls == [("embedded", "a")] and run.outcomes[0].judge_note == "no server"


def test_constant_expected_scores_give_no_spearman_instead_of_nan() -> None:
    grader = ScriptedGrader({("embedded", x): s for x, s in zip("abc", (1, 2, 3), strict=True)})
    run = run_calibration(QUESTION, [sample(x, 5) for x in "abc"], get_settings(), grade=grader, judge_unavailable="x")
    assert run.agreement("embedded").spearman is None  # Spearman is undefined (NaN) on constant scores


def test_samples_another_server_saved_are_kept_when_this_one_saves(tmp_path: Path) -> None:
    """Samples are rows, so a coach whose page shows a stale question adds to them, never overwrites."""
    bank = bank_of(QUESTION.model_dump())
    one_server, other_server = (CoachContent(get_settings().sqlalchemy_url) for _ in range(2))
    other_server.add_samples(QUESTION.id, [sample("saved by another coach", 5)])
    one_server.add_samples(QUESTION.id, [sample("a new one", 2)])
    assert [s.answer for s in one_server.bank(bank).get(QUESTION.id).calibration] == [
        "saved by another coach", "a new one",
    ]  # fmt: skip


def test_samples_are_kept_with_the_question_and_feed_judge_eval() -> None:
    content = CoachContent(get_settings().sqlalchemy_url)
    content.add_samples(QUESTION.id, [sample("a short answer", 3), sample("une réponse", 6, "fr")])
    content.add_samples(QUESTION.id, [sample("a short answer", 4)])  # same answer: replaced
    updated = content.bank(bank_of(QUESTION.model_dump())).get(QUESTION.id)
    assert sorted((s.answer, s.expected_score) for s in updated.calibration) == [
        ("a short answer", 4), ("une réponse", 6),
    ]  # fmt: skip
    entries = calibration_samples(bank_of(updated.model_dump()))
    assert sorted((e.question_id, e.lang, e.human_score) for e in entries) == [
        ("calib-question", "en", 4), ("calib-question", "fr", 6),
    ]  # fmt: skip
    assert entries[0].source == "calibration:calib-question#1"
    assert merge_samples([], [sample("x", 1), sample("x", 2)]) == [sample("x", 2)]


def test_uploads_are_sanitised_size_checked_kept_in_the_database_and_reported_one_by_one() -> None:
    settings = get_settings()
    big = b"# Big\n\n" + b"x" * (settings.max_upload_mb * 2**20)
    result = save_uploads(settings, [
        ("../../etc/evil notes.md", b"# Notes\n\nSome text about agents."),
        ("/abs/path/page.html", b"<h1>Title</h1><p>Body text.</p>"),
        ("huge.md", big), ("empty.txt", b"   "), ("binary.txt", b"\x00\x01\x02 text"), ("run.exe", b"MZ"),
    ], uploaded_by="coach-ana")  # fmt: skip
    assert result.saved == ["upload/evil notes.md", "upload/page.html"]
    assert len(result.errors) == 4
    assert [e.split(":")[0] for e in result.errors] == ["huge.md", "empty.txt", "binary.txt", "'run.exe'"]
    kept = UploadedDocuments(settings.sqlalchemy_url)
    listed = [(d.name, d.uploaded_by) for d in kept.listing()]
    assert listed == [("evil notes.md", "coach-ana"), ("page.html", "coach-ana")]
    assert kept.read("page.html") == b"<h1>Title</h1><p>Body text.</p>"
    assert not settings.uploads_dir.exists()  # nothing on this server's disk: every server reads the database


class FakeStore:
    def __init__(self) -> None:
        self.removed: list[str] = []

    def remove(self, source: str) -> bool:
        self.removed.append(source)
        return True


def test_removing_an_uploaded_document_deletes_it_from_the_database_but_never_a_corpus_file() -> None:
    settings = get_settings()
    (saved,) = save_uploads(settings, [("notes.md", b"# Notes\n\nText.")]).saved
    store = FakeStore()
    assert is_upload(saved) and not is_upload("fr/rag-pipeline.md")
    assert remove_document(store, settings, saved)
    assert UploadedDocuments(settings.sqlalchemy_url).read("notes.md") is None
    remove_document(store, settings, "fr/rag-pipeline.md")
    assert (settings.corpus_dir / "fr" / "rag-pipeline.md").is_file()
    assert store.removed == [saved, "fr/rag-pipeline.md"]


def test_judge_eval_harness_takes_calibration_samples_as_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    import evaluators.service
    from evaluators.harness import evaluate

    question = QUESTION.model_copy(update={"calibration": [sample("weak", 2), sample("fair", 5), sample("good", 9)]})
    scores = {"weak": 3.0, "fair": 4.0, "good": 8.0}
    monkeypatch.setattr(
        evaluators.service, "grade_answer",
        lambda q, answer, **_: Grade(score=scores[answer], grader="embedded"),
    )  # fmt: skip
    report = evaluate(calibration_samples([question]), {question.id: question}, get_settings())
    assert report.n == 3 and report.spearman == pytest.approx(1.0) and report.mae == pytest.approx(1.0)
    assert [row["source"] for row in report.rows] == [f"calibration:calib-question#{i}" for i in (1, 2, 3)]


def test_the_studio_names_documents_without_server_paths() -> None:
    from coach.documents import document_name

    assert document_name("upload/team notes.md") == "team notes.md"
    assert document_name("/home/coach/notes/team notes.md") == "team notes.md"  # indexed with cli.py index PATH
    assert document_name("fr/rag-pipeline.md") == "fr/rag-pipeline.md"
