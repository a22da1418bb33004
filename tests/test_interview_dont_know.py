"""A user's report on "I don't know" to a follow-up, and on the report that follows (no LLM anywhere).

A. the explanation teaches the point the follow-up asked about, in whole sentences that stand alone;
B. its "read in the course" link sits under it, not under the next question (session and page);
C. the report says the candidate did not know on that follow-up;
D. the report's covered / partly / not covered and its quotes come from the grade the details show.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_interview import CORPUS

from config import PROJECT_ROOT, get_settings
from core.types import CriterionGrade, Grade, Verdict
from interview.explain import explanation, paragraphs, sentences
from interview.grading import GradingRunner
from interview.intents import Intent
from interview.interviewer import Interviewer
from interview.plan import InterviewConfig
from interview.prompting import phrase
from interview.report import build_report, question_grade
from interview.session import Exchange, InterviewSession, QuestionRun
from question_bank import Question, QuestionBank
from storage.attempts import AttemptStore
from storage.scheduling import ReviewScheduler

CONNECTIVES = {"enfin", "ensuite", "puis", "donc", "mais", "et", "finally", "then", "also", "but", "and", "so"}
REASONING, API_KEYS, SYSTEM_PROMPT = "aii-08-reasoning-models", "api-keys-security", "aii-16-system-vs-user-prompt"


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return QuestionBank.load(PROJECT_ROOT / "question_bank" / "bank", CORPUS)


@pytest.fixture
def stores(tmp_path: Path) -> tuple[AttemptStore, ReviewScheduler]:
    url = f"sqlite:///{tmp_path / 'interview.db'}"
    return AttemptStore(url), ReviewScheduler(url)


def graded(question: Question, verdicts: dict[str, Verdict], quotes: dict[str, str] | None = None,
           evidence_ok: dict[str, bool] | None = None) -> Grade:  # fmt: skip
    """A grade set by hand: every item not named in `verdicts` is missing."""
    criteria = [
        CriterionGrade(id=item.id, text=item.text.fr, weight=item.weight, verdict=verdict,
                       evidence=[(quotes or {}).get(item.id, f"quote for {item.id}")][: verdict != Verdict.not_met],
                       evidence_ok=(evidence_ok or {}).get(item.id, True))
        for item in question.rubric
        for verdict in [verdicts.get(item.id, Verdict.not_met)]
    ]  # fmt: skip
    return Grade(score=5, grader="embedded", criteria=criteria)


def session_of(stores, bank: QuestionBank, ids: tuple[str, ...], lang: str, triage: Grade) -> InterviewSession:  # type: ignore[no-untyped-def]
    """A started interview whose triage grade is `triage` (the follow-up choice is then known)."""
    store, scheduler = stores
    config = InterviewConfig(level="junior", focus="rag", lang=lang, question_count=len(ids), max_follow_ups=2)
    runner = GradingRunner(store=store, scheduler=scheduler, settings=get_settings(), grader="embedded")
    runner.triage = lambda *args, **kwargs: triage  # type: ignore[method-assign]
    session = InterviewSession(config, [bank.get(i) for i in ids], profile="alice", interviewer=Interviewer(config),
                               runner=runner, corpus_dir=CORPUS)  # fmt: skip
    session.start().text()
    return session


def taught(reply: str, lang: str) -> str:
    """The explanation in an "I don't know" reply: after the interviewer's sentence, before the reading."""
    lead = {"fr": "dirait sur ce point. ", "en": "would say on this point. "}[lang]
    end = {"fr": " Pour approfondir", "en": " To go further"}[lang]
    return reply.split(lead, 1)[1].split(end, 1)[0]


def first_word(text: str) -> str:
    return re.split(r"[\s,:]+", text, maxsplit=1)[0].lower()


# --- A: what "I don't know" to a follow-up teaches -------------------------------------------------
def test_dont_know_on_a_follow_up_teaches_what_the_follow_up_asked(stores, bank: QuestionBank) -> None:  # type: ignore[no-untyped-def]
    question = bank.get(REASONING)
    answered = {i: Verdict.met for i in ("definition", "examples", "when-to-use", "cost-latency")}
    session = session_of(stores, bank, (REASONING, SYSTEM_PROMPT), "en", graded(question, answered))
    follow_up = session.reply("Reasoning models think before they answer; they cost more and are slower.").text()
    probe = session.runs[0].follow_ups[0].probe
    # The missing point is usage-differences, but the follow-up asked is the one about latency.
    assert (probe.item_id, probe.bank_index) == ("usage-differences", 0) and "latency" in follow_up
    reply = session.reply("", Intent.dont_know).text()
    point = taught(reply, "en")
    assert "thinking tokens are billed as output tokens" in point  # the latency point the follow-up asked about
    assert "They are also used differently" not in point and "reasoning is not always visible" not in point[:40]
    assert point[0].isupper() and first_word(point) not in CONNECTIVES and 2 <= len(sentences(point)) <= 3


def test_explanations_are_whole_sentences_of_one_paragraph(bank: QuestionBank) -> None:
    detect = next(i for i in bank.get(API_KEYS).rubric if i.id == "detect-and-revoke")
    text = explanation(bank.get(API_KEYS), detect, "fr")  # was "…: enfin, détecter et réagir : …"
    assert text.startswith("Détecter et réagir : des outils de détection de secrets")
    assert "rotation" not in text  # the previous paragraph is another point
    assert explanation(bank.get(API_KEYS), detect, "en").startswith("Detect and react: secret-detection tools")
    for question in bank.questions:
        for item in question.rubric:
            for lang in ("fr", "en"):
                text = explanation(question, item, lang)
                assert text[:1].isupper() or not text[:1].isalpha(), (question.id, item.id, lang, text)
                assert first_word(text) not in CONNECTIVES, (question.id, item.id, lang, text)
                assert 1 <= len(sentences(text)) <= 3, (question.id, item.id, lang)
                within = [p for p in paragraphs(question.reference_answer.get(lang)) if len(p) > 1]
                if any(sentences(text)[-1] in p and len(sentences(text)) > 1 and sentences(text)[-2] in p
                       for p in within):  # fmt: skip
                    continue
                assert len(sentences(text)) <= 2, (question.id, item.id, lang)  # only a one-sentence paragraph borrows


# --- B: the reading link sits under the explanation -------------------------------------------------
def test_the_explanation_and_its_reading_are_a_turn_before_the_next_question(stores, bank: QuestionBank) -> None:  # type: ignore[no-untyped-def]
    question = bank.get(API_KEYS)
    session = session_of(stores, bank, (API_KEYS, SYSTEM_PROMPT), "fr", graded(question, {}))
    session.reply("Je mets la clé dans une variable d'environnement.").text()
    session.reply("", Intent.dont_know).text()
    candidate, explained, asked = session.transcript[-3:]
    assert candidate.text == phrase("said_dont_know", "fr")
    assert explained.role == asked.role == "interviewer"
    assert explained.reading == ("fr/llm-apis-in-practice.md", "Les API de LLM en pratique > Protéger les clés d'API")
    assert "« Les API de LLM en pratique »" in explained.text and "Question 2/2" not in explained.text
    assert asked.text.startswith("**Question 2/2.**") and asked.reading is None


def test_the_reading_sits_under_its_explanation_on_the_page(monkeypatch: pytest.MonkeyPatch, no_llm) -> None:  # type: ignore[no-untyped-def]
    import interview.plan

    monkeypatch.setattr(interview.plan, "pick_questions",
                        lambda bank, *args, **kwargs: [bank.get(API_KEYS), bank.get(SYSTEM_PROMPT)])  # fmt: skip
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/interview.py").run()
    at.button[0].click().run()  # start, in French
    at.chat_input[0].set_value("Je ne mets jamais la clé dans le code : elle vient de l'environnement.").run()
    at.button(key="interview-dont_know").click().run()
    assert not at.exception
    message = at.chat_message[-1]
    kinds = [(node.type, getattr(node, "value", "")) for node in message.children.values()]
    [link] = [i for i, (kind, _) in enumerate(kinds) if kind == "page_link"]
    before, after = kinds[:link], kinds[link + 1 :]
    assert any("Pour approfondir" in value for _, value in before)
    assert not any("Question 2/2" in value for _, value in before)
    assert any("Question 2/2" in value for _, value in after)
    assert all(node.type != "page_link" for m in at.chat_message[:-1] for node in m.children.values())


# --- C: the report says "I don't know" on a follow-up -----------------------------------------------
@pytest.mark.parametrize(("lang", "said"), [
    ("fr", "répondu, 1 relance, « je ne sais pas » à 1 relance"),
    ("en", "answered, 1 follow-up, “I don't know” to 1 follow-up"),
])  # fmt: skip
def test_the_report_says_i_dont_know_on_a_follow_up(stores, bank: QuestionBank, lang: str, said: str) -> None:  # type: ignore[no-untyped-def]
    session = session_of(stores, bank, (API_KEYS,), lang, graded(bank.get(API_KEYS), {}))
    session.reply("Je mets la clé dans une variable d'environnement.").text()
    session.reply("", Intent.dont_know).text()
    assert session.finished and session.wait_for_grades(timeout=120)
    markdown = build_report(session, CORPUS).markdown()
    row = next(line for line in markdown.splitlines() if line.startswith("| 1 |"))
    assert row.endswith(f"| {said} |")
    decimal = "," if lang == "fr" else "."  # scores written the reader's way: 6,5/10 in French
    assert re.search(rf"\| \d+\{decimal}\d/10 \| \d+\{decimal}\d/10 \|", row), row
    assert re.search(rf"(Note moyenne|Average score) ?: \d+\{decimal}\d/10", markdown)


# --- D: the report agrees with the grading details --------------------------------------------------
def test_the_report_reads_points_and_quotes_from_the_grade_the_details_show(stores, bank: QuestionBank) -> None:  # type: ignore[no-untyped-def]
    question = bank.get(API_KEYS)
    session = session_of(stores, bank, (API_KEYS,), "fr", graded(question, {}))
    first = graded(question, {"never-in-code-or-client": Verdict.met, "detect-and-revoke": Verdict.partly_met},
                   quotes={"never-in-code-or-client": "J'ajoute aussi un scanner de secrets en CI."})  # fmt: skip
    final = graded(question, {"never-in-code-or-client": Verdict.met, "runtime-injection": Verdict.met,
                              "least-privilege": Verdict.met},
                   quotes={"never-in-code-or-client": "Jamais dans le code ni dans Git."},
                   evidence_ok={"least-privilege": False})  # fmt: skip
    session.runs = [QuestionRun(question, 1, status="answered", exchanges=[
        Exchange("main", "q", answer="a", outcome="answered", graded_text="a", triage=first),
        Exchange("follow_up", "f", answer="b", outcome="answered", graded_text="a\n\nb", triage=final),
    ])]  # fmt: skip
    assert question_grade(session.runs[0]) is final  # what "Détail de la correction" renders
    report = build_report(session, CORPUS)
    rubric = {item.id: item.text.fr for item in question.rubric}
    strengths = {e.point: e.quotes for e in report.strengths}
    assert strengths == {rubric["never-in-code-or-client"]: ("Jamais dans le code ni dans Git.",),
                         rubric["runtime-injection"]: ("quote for runtime-injection",)}  # fmt: skip
    gaps = {e.point: (e.kind, e.quotes) for e in report.gaps}
    assert gaps == {rubric["detect-and-revoke"]: ("not_met", ()),  # partly in the first grade only
                    rubric["least-privilege"]: ("not_met", ())}  # "met" with rejected quotes: the view says missing
    markdown = report.markdown()
    assert "abordé en partie" not in markdown and "scanner de secrets" not in markdown
