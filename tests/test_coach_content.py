"""Issue #15: a coach's questions, edits and samples live in the database, laid over the read-only shipped bank."""

from __future__ import annotations

from pathlib import Path

import pytest
from bank_factory import make_question

from coach.content import CoachContent
from coach.forms import save_form, values_from_question
from config import get_settings
from question_bank import QuestionBank, load_topics
from question_bank.model import CalibrationSample, Question
from storage.db import dispose_engines

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_BANK = PROJECT_ROOT / "question_bank" / "bank"
CORPUS = PROJECT_ROOT / "knowledge" / "corpus"


@pytest.fixture(scope="module")
def shipped() -> QuestionBank:
    return QuestionBank.load(SHIPPED_BANK, CORPUS)


@pytest.fixture
def content() -> CoachContent:
    return CoachContent(get_settings().sqlalchemy_url)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def sample(answer: str, score: float, lang: str = "en") -> CalibrationSample:
    return CalibrationSample(lang=lang, answer=answer, expected_score=score)


def test_a_form_with_problems_reports_each_by_field_and_stores_nothing(
    shipped: QuestionBank, content: CoachContent
) -> None:
    values = values_from_question(shipped.questions[0])
    values.update({"id": "Bad Id!", "prompt_en": "   ", "rubric_0_weight": 0.0, "topics": ["rag", "astrology"],
                   "sources": ["fr/nowhere.md"], "origin_rank": "first"})  # fmt: skip
    result = save_form(values, editing_id=None, bank=shipped, content=content, corpus_dir=CORPUS)
    assert not result.ok and result.question is None
    assert set(result.problems) >= {"id", "prompt_en", "rubric_0_weight", "origin_rank"}
    assert "is empty" in result.problems["prompt_en"][0]
    # With the model-level errors fixed, the references are checked too, still storing nothing.
    values.update({"id": "fresh-question", "prompt_en": "Fine?", "rubric_0_weight": 2.0, "origin_rank": ""})
    result = save_form(values, editing_id=None, bank=shipped, content=content, corpus_dir=CORPUS)
    assert set(result.problems) == {"topics", "sources"}
    assert "astrology" in result.problems["topics"][0] and "fr/nowhere.md" in result.problems["sources"][0]
    assert content.store.edits().questions == {}


def test_a_form_refuses_a_taken_id_a_changed_id_and_a_taken_origin_rank(
    shipped: QuestionBank, content: CoachContent
) -> None:
    question = shipped.questions[0]
    values = values_from_question(question)
    as_new = save_form(values, editing_id=None, bank=shipped, content=content, corpus_dir=CORPUS)
    assert "already exists" in as_new.problems["id"][0]
    values["id"] = "renamed-question"
    renamed = save_form(values, editing_id=question.id, bank=shipped, content=content, corpus_dir=CORPUS)
    assert "cannot change" in renamed.problems["id"][0]
    holder = next(q for q in shipped.questions if q.origin and q.origin_rank and q.id != question.id)
    values.update({"id": "brand-new", "origin": holder.origin, "origin_rank": str(holder.origin_rank)})
    clash = save_form(values, editing_id=None, bank=shipped, content=content, corpus_dir=CORPUS)
    assert holder.id in clash.problems["origin_rank"][0]
    assert content.store.edits().questions == {}


def test_adding_editing_hiding_and_reverting_leave_the_shipped_files_alone(
    shipped: QuestionBank, content: CoachContent
) -> None:
    before = snapshot(SHIPPED_BANK)
    target = shipped.get("rag-hybrid-retrieval-rrf")
    assert target is not None
    new = Question.model_validate(make_question("coach-own", sources=[]))
    content.save_question(new, by="cleo")
    content.save_question(target.model_copy(update={"prompt": target.prompt.model_copy(update={"en": "Edited?"})}))
    bank = content.bank(shipped)
    assert bank.get("coach-own") == new and bank.origin("coach-own") == "added"
    assert bank.get(target.id).prompt.en == "Edited?" and bank.origin(target.id) == "edited"
    assert bank.get(target.id).calibration == target.calibration  # the shipped samples are kept
    assert len(bank) == len(shipped) + 1

    content.delete_question(bank, target.id)
    content.delete_question(bank, "coach-own")
    bank = content.bank(shipped)
    assert bank.get(target.id) is None and bank.origin(target.id) == "hidden"
    assert bank.get("coach-own") is None and "coach-own" not in bank.origins  # a coach's own is simply gone
    assert content.revert_question(bank, target.id)
    assert content.bank(shipped).get(target.id) == target
    assert snapshot(SHIPPED_BANK) == before


def test_samples_are_rows_that_merge_with_the_shipped_ones_and_can_be_removed(content: CoachContent) -> None:
    target = Question.model_validate(make_question("with-sample", sources=[], calibration=[
        {"lang": "fr", "answer": "Une réponse livrée.", "expected_score": 6}]))  # fmt: skip
    shipped = QuestionBank([target], load_topics())
    shipped_sample = target.calibration[0]
    replacing = shipped_sample.model_copy(update={"expected_score": 1.0, "verdicts": {}})
    first, second = content.add_samples(target.id, [sample("A fresh answer.", 6.0), replacing])
    calibration = content.bank(shipped).get(target.id).calibration
    assert len(calibration) == len(target.calibration) + 1  # same language and answer: replaced, not added
    assert [s.expected_score for s in calibration if s.answer == shipped_sample.answer] == [1.0]
    # Saving the same answer again replaces the stored row instead of adding a second one.
    [third] = content.add_samples(target.id, [sample("A fresh answer.", 7.0)])
    assert [row.id for row in content.stored_samples(target.id)] == [second, third]
    assert content.remove_sample(third) and not content.remove_sample(first)
    assert [row.sample.answer for row in content.stored_samples(target.id)] == [shipped_sample.answer]


def test_an_edit_that_drops_a_rubric_item_keeps_the_samples_without_its_verdicts(content: CoachContent) -> None:
    question = Question.model_validate(make_question("two-items", sources=[]))
    kept, dropped = question.rubric[0].id, question.rubric[1].id
    graded = CalibrationSample(lang="en", answer="An answer.", expected_score=5, verdicts={kept: "met", dropped: "met"})
    shipped = QuestionBank([question.model_copy(update={"calibration": [graded]})], load_topics())
    content.save_question(question.model_copy(update={"rubric": question.rubric[:1]}))
    [fitted] = content.bank(shipped).get("two-items").calibration
    assert fitted.verdicts == {kept: "met"} and fitted.expected_score == 5


def test_a_second_server_sees_a_change_through_the_version(content: CoachContent, shipped: QuestionBank) -> None:
    """Each server caches the bank under `version()`: any coach change, on any server, changes it."""
    other_server = CoachContent(get_settings().sqlalchemy_url)
    seen = other_server.version()
    content.save_question(Question.model_validate(make_question("from-server-a", sources=[])))
    assert other_server.version() != seen
    seen = other_server.version()
    [sample_id] = content.add_samples("from-server-a", [sample("An answer.", 4.0)])
    assert other_server.version() != seen
    seen = other_server.version()
    content.remove_sample(sample_id)
    assert other_server.version() != seen
    dispose_engines()
