"""Issue #16: the studio says the bank's problems in the coach's language, with the same specifics."""

from __future__ import annotations

from pathlib import Path

from coach.content import CoachContent
from coach.forms import save_form, values_from_question
from coach.messages import localize
from config import get_settings
from question_bank import QuestionBank, load_topics
from question_bank.transfer import read_import

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT_ROOT / "knowledge" / "corpus"


def form_problems() -> list[str]:
    bank = QuestionBank.load(PROJECT_ROOT / "question_bank" / "bank", CORPUS)
    content = CoachContent(get_settings().sqlalchemy_url)
    first = bank.questions[0]
    holder = next(q for q in bank.questions if q.origin and q.origin_rank and q.id != first.id)
    cases = [
        {"id": "Bad Id!", "prompt_en": "   ", "rubric_0_weight": 0.0, "origin_rank": "first"},
        {"id": "fresh-one", "topics": ["astrology"], "sources": ["fr/nowhere.md"]},
        {"id": "fresh-two", "rubric_0_id": "Bad Item", "origin": "", "origin_rank": "3"},
        {"id": "fresh-three", "origin": holder.origin, "origin_rank": str(holder.origin_rank)},
        {"id": first.id},  # as a new question: the id is taken
    ]
    messages = []
    for change in cases:
        values = {**values_from_question(first), **change}
        result = save_form(values, editing_id=None, bank=bank, content=content, corpus_dir=CORPUS)
        messages += [m for ms in result.problems.values() for m in ms]
    values = {**values_from_question(first), "id": "renamed"}
    renamed = save_form(values, editing_id=first.id, bank=bank, content=content, corpus_dir=CORPUS)
    return messages + [m for ms in renamed.problems.values() for m in ms]


def test_every_problem_the_form_reports_is_said_in_french_with_its_values() -> None:
    messages = form_problems()
    assert len(messages) >= 10
    for message in messages:
        french = localize(message, "fr")
        assert french != message, f"no French wording for: {message}"
        assert localize(message, "en") == message
    assert localize("weight 0.0 must be a number greater than 0 and at most 10", "fr") == (
        "le poids 0.0 doit être un nombre supérieur à 0 et au plus 10"
    )
    assert localize("item 2 weight: is empty", "fr") == "élément 2 : est vide"


def test_import_problems_are_said_in_french_too() -> None:
    csv_text = "id,kind,level,topics,prompt_fr,prompt_en,reference_answer_fr,reference_answer_en,rubric\n" \
               "Bad Id,technical,basic,astrology,Q ?,Q?,R.,R.,x | 0 | a | b\n"  # fmt: skip
    plan = read_import(csv_text, "csv", existing_ids=set(), topics=load_topics(), corpus_dir=CORPUS)
    assert plan.problems
    untranslated = [p.message for p in plan.problems if localize(p.message, "fr") == p.message]
    assert untranslated == []
