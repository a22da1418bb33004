"""Through the pages (AppTest): the candidate disputes a grade, the coach reviews it, the judge learns it.

The judge is a fake chat model that grades by word overlap and keeps every prompt it is sent, so
the test can see the coach's grade arrive in the judge's next prompt as a graded example.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from fake_judge import HonestFakeJudge
from langchain_core.messages import BaseMessage
from streamlit.testing.v1 import AppTest

from coach.content import CoachContent
from config import PROJECT_ROOT, get_settings
from storage.attempts import AttemptStore
from storage.scheduling import ReviewScheduler
from ui.resources import forget_bank, load_bank


class RecordingJudge(HonestFakeJudge):
    prompts: ClassVar[list[str]] = []

    def reply(self, messages: list[BaseMessage]) -> str:
        RecordingJudge.prompts.append("\n".join(str(m.content) for m in messages))
        return super().reply(messages)


ui_confidence = {"high": "élevée", "medium": "moyenne", "low": "faible"}


@pytest.fixture
def app_with_judge(tmp_path: Path, page_services) -> Path:  # type: ignore[no-untyped-def]
    get_settings.cache_clear()
    forget_bank()
    page_services(chat_model=RecordingJudge())
    RecordingJudge.prompts.clear()
    yield PROJECT_ROOT / "question_bank" / "bank"
    forget_bank()


def click(at: AppTest, label: str) -> AppTest:
    [match] = [b for b in at.button if b.label == label]
    at = match.click().run()
    assert not at.exception, at.exception
    return at


def test_dispute_then_review_then_the_sample_reaches_the_judge(app_with_judge: Path) -> None:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/quiz.py").run()
    at.multiselect[0].set_value(["rag"])
    at.number_input[0].set_value(1)
    at = click(at, "Commencer")
    item = at.session_state["quiz"].items[0]
    question = load_bank().get(item.question_id)
    answer = question.reference_answer.fr
    at.text_area[0].input(answer)
    at = click(at, "Soumettre")
    grade = item.grades[0]
    shown = " ".join(c.value for c in [*at.caption, *at.warning])
    assert "Noté par RecordingJudge" in shown and "prompt judge-" not in shown, shown  # hashes: coaches only
    details = " ".join(c.value for c in at.get("code"))
    assert '"prompt_version": "judge-' in details and '"grader_version": "grader-' in details
    assert f"Confiance : {ui_confidence[grade.confidence.value]}" in shown, (grade.confidence, grade.confidence_reasons)
    assert "coach score" not in RecordingJudge.prompts[0]

    disputed = question.rubric[0]
    at.multiselect[0].set_value([disputed.id])
    at.text_area[0].input("J'ai bien traité ce point.")
    at = click(at, "Envoyer la contestation")
    assert any("un coach va la relire" in s.value for s in at.success)
    settings = get_settings()
    store, scheduler = AttemptStore(settings.sqlalchemy_url), ReviewScheduler(settings.sqlalchemy_url)
    attempt = store.get(item.attempt_ids[0])
    assert attempt.contested and attempt.review_status == "pending" and attempt.score == grade.score
    assert scheduler.due("default") == [] and scheduler.all_cards("default")[0].reviews == 0  # on hold

    at.switch_page("pages/coach.py").run()
    at.radio(key="coach_section").set_value("review").run()
    assert "default" in at.expander[0].label
    at.radio(key=f"review-{attempt.id}-{disputed.id}").set_value("not_met")
    for other in question.rubric[1:]:
        at.radio(key=f"review-{attempt.id}-{other.id}").set_value("met")
    at = click(at, "Enregistrer ma note")
    assert any("Note du coach enregistrée" in s.value for s in at.success)
    reviewed = store.get(attempt.id)
    coach_score = reviewed.score
    assert reviewed.review_status == "reviewed" and reviewed.machine_score == grade.score
    assert scheduler.all_cards("default")[0].last_score == coach_score
    [stored] = CoachContent(get_settings().sqlalchemy_url).stored_samples(question.id)
    sample = stored.sample
    assert stored.source == "review"
    assert sample.answer.strip() == answer.strip() and sample.expected_score == coach_score
    assert sample.verdicts[disputed.id] == "not_met"

    at.switch_page("pages/quiz.py").run()
    at = click(at, "Réessayer")
    at.text_area[0].input(answer + " J'ajoute une mesure sur un jeu de test.")
    at = click(at, "Soumettre")
    assert len(RecordingJudge.prompts) == 2
    assert f"coach score {coach_score:.1f}/10 ({disputed.id}: not_met" in RecordingJudge.prompts[1]
