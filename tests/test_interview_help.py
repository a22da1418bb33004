"""Issue #16, item 4: a mock interviewer that helps without an LLM.

Authored follow-ups and hints, "I don't know" that teaches the missing point and names the passage,
and a report that is right about what was covered. No LLM anywhere: the interviewer speaks in
template sentences; the report is built from grades set by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bank_factory import bank_of, make_question
from pydantic import ValidationError
from test_interview import AGENTS, CORPUS, QUOTE_MARKS, RAG, RUBRIC_TEXTS

from config import PROJECT_ROOT, get_settings
from core.types import CriterionGrade, Grade, Verdict
from interview.explain import explanation, passage, sentences, source_for
from interview.grading import GradingRunner
from interview.intents import Intent
from interview.interviewer import Interviewer
from interview.plan import InterviewConfig
from interview.prompting import phrase
from interview.report import build_report
from interview.session import Exchange, InterviewSession, QuestionRun
from question_bank import Question
from question_bank.loader import load_bank
from storage.attempts import AttemptStore
from storage.scheduling import ReviewScheduler

BANK_DIR = PROJECT_ROOT / "question_bank" / "bank"
HINTED = {
    **RAG,
    "id": "rag-hinted",
    "hint": {"fr": "Pensez au trajet d'un document, du fichier brut jusqu'au prompt.",
             "en": "Think about a document's journey, from the raw file to the prompt."},
    "rubric": [
        RAG["rubric"][0], RAG["rubric"][1],
        {**RAG["rubric"][2], "hint": {"fr": "Demandez-vous comment savoir laquelle des deux étapes a failli.",
                                      "en": "Ask yourself how you would tell which of the two stages failed."}},
    ],
}  # fmt: skip
PLAIN = make_question(
    "plain-question",
    rubric=[{"id": "retrieval", "weight": 2, "text": {"fr": "Décrit plusieurs stratégies de recherche.",
                                                      "en": "Describes several search strategies."}}],
    follow_ups=[{"fr": "Et en production ?", "en": "And in production?"}],
)  # fmt: skip
STORY = make_question(
    "career-story", kind="behavioral", topics=["career"], sources=[],
    prompt={"fr": "Parlez-moi d'un projet d'IA.", "en": "Tell me about an AI project."},
    reference_answer={"fr": "J'ai construit un assistant pour un assureur.",
                      "en": "I built an assistant for an insurer."},
    hint={"fr": "Racontez un seul projet : le problème, votre rôle, le résultat.",
          "en": "Tell one project: the problem, your role, the outcome."},
)  # fmt: skip
HELP_BANK = bank_of(HINTED, PLAIN, AGENTS, STORY)


@pytest.fixture(scope="module")
def shipped() -> list[Question]:
    return load_bank(BANK_DIR, corpus_dir=CORPUS).questions


# --- the model -------------------------------------------------------------------------------------
def test_hints_and_follow_up_links_are_optional_and_checked() -> None:
    question = Question.model_validate(HINTED)
    assert question.hint.fr.startswith("Pensez") and question.rubric[2].hint is not None
    assert question.follow_ups[1].covers == ["evaluation"] and question.follow_ups[0].covers == []
    assert Question.model_validate(make_question()).hint is None  # a coach's question without one still loads
    broken = {**RAG, "follow_ups": [{"fr": "Et ?", "en": "And?", "covers": ["no-such-item"]}]}
    with pytest.raises(ValidationError, match="no-such-item"):
        Question.model_validate(broken)
    with pytest.raises(ValidationError):
        Question.model_validate({**RAG, "hint": {"fr": "Seulement en français."}})  # both languages


# --- hints -----------------------------------------------------------------------------------------
@pytest.fixture
def stores(tmp_path: Path) -> tuple[AttemptStore, ReviewScheduler]:
    url = f"sqlite:///{tmp_path / 'interview.db'}"
    return AttemptStore(url), ReviewScheduler(url)


def new_help_session(stores, questions, lang="en", max_follow_ups=2):  # type: ignore[no-untyped-def]
    """A started interview on HELP_BANK, graded by the embedded grader, with no LLM persona."""
    store, scheduler = stores
    config = InterviewConfig(level="junior", focus="rag", lang=lang, question_count=len(questions),
                             max_follow_ups=max_follow_ups)  # fmt: skip
    runner = GradingRunner(store=store, scheduler=scheduler, settings=get_settings(), grader="embedded")
    session = InterviewSession(config, [HELP_BANK.get(q["id"]) for q in questions], profile="alice",
                               interviewer=Interviewer(config), runner=runner, corpus_dir=CORPUS)  # fmt: skip
    session.start().text()
    return session


def test_the_first_hint_is_the_one_written_for_the_question(stores) -> None:  # type: ignore[no-untyped-def]
    session = new_help_session(stores, (HINTED,), lang="fr")
    first = session.reply("", Intent.hint).text()
    assert first == phrase("hint", "fr", 0, hint="pensez au trajet d'un document, du fichier brut jusqu'au prompt.")
    second = session.reply("", Intent.hint).text()  # then the heaviest point, in plain words
    assert "chunking" in second and not any(mark in second for mark in QUOTE_MARKS)
    assert not any(text in second for text in RUBRIC_TEXTS)
    assert session.reply("", Intent.hint).text() == phrase("no_more_hints", "fr")


def test_a_hint_on_a_follow_up_uses_the_hint_written_for_its_point(stores) -> None:  # type: ignore[no-untyped-def]
    session = new_help_session(stores, (HINTED,))
    session.reply("RAG retrieves relevant passages and injects them into the prompt of the LLM. We split the "
                  "documents into chunks of a few hundred tokens before computing embeddings.").text()  # fmt: skip
    probe = session.runs[0].follow_ups[0].probe
    assert probe.focus_item == "evaluation" and probe.question == RAG["follow_ups"][1]["en"]
    hint = session.reply("", Intent.hint).text()
    assert hint == phrase("hint", "en", 0, hint="ask yourself how you would tell which of the two stages failed.")


def test_without_keywords_or_authored_hint_the_fallback_is_a_generic_nudge(stores) -> None:  # type: ignore[no-untyped-def]
    session = new_help_session(stores, (PLAIN,), lang="fr")
    hint = session.reply("", Intent.hint).text()
    assert hint == phrase("hint_generic", "fr", 0)
    assert "stratégies" not in hint and not any(mark in hint for mark in QUOTE_MARKS)


# --- "I don't know" --------------------------------------------------------------------------------
def test_dont_know_teaches_the_point_in_the_interview_language_and_names_the_passage(stores) -> None:  # type: ignore[no-untyped-def]
    session = new_help_session(stores, (HINTED, AGENTS), lang="fr")
    reply = session.reply("Je ne sais pas.").text()
    assert "Les documents sont découpés en morceaux avant le calcul des embeddings." in reply
    assert "« Le pipeline RAG de bout en bout »" in reply and "fr/rag-pipeline.md" not in reply
    assert "section « Stratégies de découpage (chunking) »" in reply
    assert AGENTS["prompt"]["fr"] in reply  # and then the interview moves on
    # The page shows a link that opens that section in the course reader, under the explanation.
    explained, asked = session.transcript[-2:]
    assert explained.reading == (
        "fr/rag-pipeline.md", "Le pipeline RAG de bout en bout > Stratégies de découpage (chunking)"
    )
    assert AGENTS["prompt"]["fr"] in asked.text and asked.reading is None


def test_dont_know_to_a_behavioral_question_says_what_to_tell_not_someone_elses_story(stores) -> None:  # type: ignore[no-untyped-def]
    session = new_help_session(stores, (STORY, AGENTS))
    reply = session.reply("", Intent.dont_know).text()
    assert STORY["hint"]["en"] in reply and "insurer" not in reply and AGENTS["prompt"]["en"] in reply


def test_explanations_are_two_or_three_sentences_of_the_reference_answer() -> None:
    question = HELP_BANK.get("rag-hinted")
    evaluation = question.rubric[2]
    text = explanation(question, evaluation, "en")
    assert "Retrieval is evaluated by recall" in text and 2 <= len(sentences(text)) <= 3
    assert all(sentence.lower() in question.reference_answer.en.lower() for sentence in sentences(text))


def test_passages_are_named_by_their_first_heading_never_by_their_path(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "fr").mkdir(parents=True)
    (corpus / "fr" / "tools-and-mcp.md").write_text(
        "---\nlanguage: fr\n---\n\n# Outils et MCP\n\n## Les transports\n\nstdio et Streamable HTTP.\n",
        encoding="utf-8",
    )
    assert passage("fr/tools-and-mcp.md", corpus).title == "Outils et MCP"
    assert passage("fr/missing-doc.md", corpus).title == "Missing doc"  # unreadable: still no raw path


# --- the report ------------------------------------------------------------------------------------
def hand_grade(verdicts: dict[str, Verdict], evidence_ok: dict[str, bool] | None = None) -> Grade:
    question = HELP_BANK.get("rag-hinted")
    criteria = [
        CriterionGrade(id=i.id, text=i.text.en, weight=i.weight, verdict=verdicts[i.id],
                       evidence=["a quote"] if verdicts[i.id] != Verdict.not_met else [],
                       evidence_ok=(evidence_ok or {}).get(i.id, True))
        for i in question.rubric
    ]  # fmt: skip
    return Grade(score=5, grader="embedded", criteria=criteria)


def test_the_report_reads_what_was_covered_from_the_final_grade_in_plain_words(stores) -> None:  # type: ignore[no-untyped-def]
    session = new_help_session(stores, (HINTED, AGENTS), lang="fr")
    first = hand_grade({"definition": Verdict.met, "chunking": Verdict.not_met, "evaluation": Verdict.not_met})
    after = hand_grade({"definition": Verdict.partly_met, "chunking": Verdict.met, "evaluation": Verdict.met},
                       evidence_ok={"evaluation": False})  # fmt: skip
    run = QuestionRun(session.runs[0].question, 1, status="answered", hints=["h1", "h2"], exchanges=[
        Exchange("main", "q", answer="a", outcome="answered", graded_text="a", triage=first),
        Exchange("follow_up", "f", answer="b", outcome="answered", graded_text="a b", triage=after),
    ])  # fmt: skip
    session.runs = [run]
    report = build_report(session, CORPUS)
    rubric = {item.id: item.text.fr for item in run.question.rubric}
    # The grade on the whole exchange is the one the details show: the report says what it says.
    assert [e.point for e in report.strengths] == [rubric["chunking"]]  # in French
    assert {e.point: e.kind for e in report.gaps} == {rubric["definition"]: "partly_met",
                                                      rubric["evaluation"]: "not_met"}  # claimed, not proven
    markdown = report.markdown()
    assert rubric["chunking"] not in markdown.split("## Lacunes")[1]
    assert "(abordé en partie) — vous avez dit" in markdown and "(non abordé)" in markdown
    assert "Rien à signaler" not in markdown.split("## Lacunes")[0]
    header = next(line for line in markdown.splitlines() if line.startswith("| # |"))
    assert all(cell.strip() for cell in header.strip("|").split("|")) and header.count("|") == 6
    assert "1 relance, 2 indices" in markdown and "(s)" not in markdown


def test_counts_read_as_people_write_them(stores) -> None:  # type: ignore[no-untyped-def]
    session = new_help_session(stores, (HINTED,), lang="en")
    assert "We will go through 1 question," in session.transcript[0].text
    assert phrase("report_follow_ups", "en", 1, n=2) == "2 follow-ups"
    two = new_help_session(stores, (HINTED, AGENTS), lang="fr")
    assert "Nous verrons 2 questions," in two.transcript[0].text and "(s)" not in two.transcript[0].text


# --- the shipped bank ------------------------------------------------------------------------------
def test_every_shipped_question_has_follow_ups_and_a_hint_of_its_own(shipped: list[Question]) -> None:
    assert len(shipped) == 90
    for question in shipped:
        assert question.follow_ups, question.id
        assert all("?" in f.fr and "?" in f.en for f in question.follow_ups), question.id  # asked as questions
        assert question.hint is not None, question.id
        for lang in ("fr", "en"):
            hint = question.hint.get(lang)
            rubric = [item.text.get(lang) for item in question.rubric]
            assert not any(text in hint for text in rubric), question.id  # a nudge, not the rubric
            assert hint not in question.reference_answer.get(lang), question.id
        assert question.hint.fr != question.hint.en, question.id
    accented = [q.id for q in shipped if re.search(r"[éèàêçùô]", q.hint.fr)]
    assert len(accented) >= 80  # French written with its accents (a few hints need none)


def test_every_shipped_question_can_teach_its_heaviest_point(shipped: list[Question]) -> None:
    for question in shipped:
        item = max(question.rubric, key=lambda i: i.weight)
        for lang in ("fr", "en"):
            text = explanation(question, item, lang)
            assert text and len(sentences(text)) <= 3, (question.id, lang)
            source = source_for(question, lang)
            if source is not None:
                title = passage(source, CORPUS, item, lang).title
                assert ".md" not in title and "/" not in source.split("/")[-1] and title, (question.id, source)
