"""The mock interview's logic without Streamlit: intents, follow-ups, hints, skips, the end, the report.

Grades come from the embedded grader (the real one, offline); the interviewer's persona from
LangChain's fake chat models. Attempts go to a real SQLite database in the test's folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bank_factory import bank_of, make_question
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage

from config import PROJECT_ROOT, get_settings
from core.types import CriterionGrade, Grade, Verdict
from interview.followups import choose_probe, first_clause, topic_of
from interview.grading import GradingRunner
from interview.intents import Intent, detect_intent
from interview.interviewer import Interviewer
from interview.plan import InterviewConfig, pick_questions
from interview.prompting import phrase
from interview.report import build_report, report_markdown
from interview.session import InterviewSession
from storage.attempts import AttemptStore
from storage.scheduling import ReviewScheduler

CORPUS = PROJECT_ROOT / "knowledge" / "corpus"
RAG = make_question(
    "rag-interview",
    topics=["rag"],
    prompt={"fr": "Qu'est-ce que le RAG et comment le construit-on ?", "en": "What is RAG and how do you build it?"},
    reference_answer={
        "fr": "Le RAG récupère des passages et les injecte dans le prompt. Les documents sont découpés en morceaux "
        "avant le calcul des embeddings. On évalue la recherche par le rappel et la génération par la fidélité.",
        "en": "RAG retrieves passages and injects them into the prompt. Documents are split into chunks before "
        "computing embeddings. Retrieval is evaluated by recall, and generation by faithfulness.",
    },
    rubric=[
        {"id": "definition", "weight": 1, "keywords": ["passages", "prompt"],
         "text": {"fr": "Récupère des passages pertinents et les injecte dans le prompt du LLM.",
                  "en": "Retrieves relevant passages and injects them into the LLM prompt."}},
        {"id": "chunking", "weight": 3, "keywords": ["chunking", "chunks", "embeddings", "découpe"],
         "text": {"fr": "Découpe les documents en morceaux (chunking) avant de calculer les embeddings.",
                  "en": "Splits documents into chunks (chunking) before computing embeddings."}},
        {"id": "evaluation", "weight": 2, "keywords": ["recall", "rappel", "faithfulness", "fidélité"],
         "text": {"fr": "Évalue séparément la recherche (rappel) et la génération (fidélité).",
                  "en": "Evaluates retrieval (recall) and generation (faithfulness) separately."}},
    ],
    follow_ups=[{"fr": "Avec un million de tokens de contexte, le RAG sert-il encore ?",
                 "en": "With a one-million-token context window, is RAG still useful?"},
                {"fr": "Comment mesureriez-vous la qualité de la recherche indépendamment de celle de la génération ?",
                 "en": "How would you measure retrieval quality independently of generation quality?",
                 "covers": ["evaluation"]},  # linked by the bank
                {"fr": "Quelle taille de morceau choisiriez-vous pour des contrats juridiques ?",
                 "en": "Which chunk size would you pick for legal contracts?"}],  # linked by its keyword
    sources=["fr/rag-pipeline.md", "en/rag-pipeline.md"],
)  # fmt: skip
AGENTS = make_question("agents-interview", topics=["agents"], sources=["en/agents-fundamentals.md"])
ONE_POINT = {**RAG, "id": "rag-one-point", "rubric": RAG["rubric"][1:2], "follow_ups": RAG["follow_ups"][:1]}
RUBRIC_TEXTS = [item["text"][lang] for item in RAG["rubric"] for lang in ("fr", "en")]
QUOTE_MARKS = ("«", "»", "“", "”")
BANK = bank_of(RAG, AGENTS, ONE_POINT)
DEFINITION_ANSWER = (
    "RAG retrieves relevant passages from a knowledge base and injects them into the prompt of the LLM, "
    "which then answers from those passages."
)
CHUNKING_ANSWER = (
    "We split the documents into chunks of a few hundred tokens before computing embeddings for each chunk."
)


class CountingFakeModel(GenericFakeChatModel):
    """A fake persona that counts how often it is called."""

    calls: int = 0

    def _stream(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.calls += 1
        yield from super()._stream(*args, **kwargs)


class BrokenModel(FakeListChatModel):
    """A server that fails on every call (refused, timed out...), counting the calls."""

    calls: int = 0

    def _stream(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.calls += 1
        raise ConnectionError("connection refused")


@pytest.fixture
def stores(tmp_path: Path) -> tuple[AttemptStore, ReviewScheduler]:
    url = f"sqlite:///{tmp_path / 'interview.db'}"
    return AttemptStore(url), ReviewScheduler(url)


def new_session(stores, lang="en", questions=(RAG, AGENTS), persona=None, max_follow_ups=2, **runner_options):  # type: ignore[no-untyped-def]
    """A session with the embedded grader unless `runner_options` say otherwise; `persona` voices the interviewer."""
    store, scheduler = stores
    config = InterviewConfig(level="junior", focus="rag", lang=lang, question_count=len(questions),
                             max_follow_ups=max_follow_ups)  # fmt: skip
    runner = GradingRunner(
        store=store, scheduler=scheduler, settings=get_settings(), **({"grader": "embedded"} | runner_options)
    )
    return InterviewSession(config, [BANK.get(q["id"]) for q in questions], profile="alice",
                            interviewer=Interviewer(config, persona), runner=runner)  # fmt: skip


# --- intents -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("Je ne sais pas", Intent.dont_know), ("euh… je sais pas", Intent.dont_know),
        ("Aucune idée !", Intent.dont_know), ("I don't know.", Intent.dont_know), ("no idea, sorry", Intent.dont_know),
        ("je ne sais pas du tout", Intent.dont_know), ("Un indice ?", Intent.hint), ("Can I have a hint?", Intent.hint),
        ("donnez-moi un indice svp", Intent.hint), ("Passer", Intent.skip), ("question suivante", Intent.skip),
        ("skip this one", Intent.skip), ("Next", Intent.skip), ("On arrête là ?", Intent.end),
        ("Terminer l'entretien", Intent.end), ("let's stop here", Intent.end), ("STOP", Intent.end),
    ],
)  # fmt: skip
def test_intents_are_recognised_in_french_and_english(message: str, intent: Intent) -> None:
    assert detect_intent(message) == intent


@pytest.mark.parametrize(
    "message",
    [
        "Je ne sais pas exactement, mais le RAG récupère des passages puis les injecte dans le prompt du modèle.",
        "end-to-end tests on the whole agent", "pass the context to the model", "stop sequences",
        "help desk agents use RAG", "next-token prediction", "", "Fin-tuning ? Non : fine-tuning.",
    ],
)  # fmt: skip
def test_answers_that_merely_contain_a_control_word_stay_answers(message: str) -> None:
    assert detect_intent(message) == Intent.answer


# --- follow-up choice ----------------------------------------------------------------------------
def grade_with(verdicts: dict[str, Verdict], evidence_ok: dict[str, bool] | None = None) -> Grade:
    question = BANK.get("rag-interview")
    criteria = [
        CriterionGrade(id=i.id, text=i.text.en, weight=i.weight, verdict=verdicts[i.id],
                       evidence_ok=(evidence_ok or {}).get(i.id, True))
        for i in question.rubric
    ]  # fmt: skip
    return Grade(score=0, grader="embedded", criteria=criteria)


def test_probes_are_authored_follow_ups_aimed_at_the_heaviest_missing_point() -> None:
    question = BANK.get("rag-interview")
    partly = grade_with({"definition": Verdict.not_met, "chunking": Verdict.partly_met, "evaluation": Verdict.not_met})
    probe = choose_probe(question, partly, "en")  # weight 3 beats not-met weight 2; follow-up 2 says "chunk"
    assert (probe.item_id, probe.bank_index, probe.addresses_item) == ("chunking", 2, True)
    assert probe.question == question.follow_ups[2].en
    probe = choose_probe(question, partly, "fr", probed_items={"chunking"}, used_bank={2})
    assert (probe.item_id, probe.bank_index, probe.question) == ("evaluation", 1, question.follow_ups[1].fr)  # covers
    tie = grade_with({"definition": Verdict.met, "chunking": Verdict.met, "evaluation": Verdict.partly_met})
    assert choose_probe(question, tie, "en").bank_index == 1
    rejected = grade_with({"definition": Verdict.met, "chunking": Verdict.met, "evaluation": Verdict.met},
                          evidence_ok={"chunking": False})  # fmt: skip
    assert choose_probe(question, rejected, "en").item_id == "chunking"  # credit refused = still missing
    only_definition = grade_with({"definition": Verdict.not_met, "chunking": Verdict.met, "evaluation": Verdict.met})
    probe = choose_probe(question, only_definition, "en")  # no follow-up is about it: the first unused one
    assert (probe.bank_index, probe.item_id, probe.focus_item) == (0, "definition", None)
    everything = grade_with({"definition": Verdict.met, "chunking": Verdict.met, "evaluation": Verdict.met})
    assert choose_probe(question, everything, "fr").question == question.follow_ups[0].fr
    assert choose_probe(question, everything, "fr", used_bank={0, 1, 2}) is None
    for grade in (partly, tie, rejected, only_definition, everything):
        asked = choose_probe(question, grade, "en").question
        assert asked in [f.en for f in question.follow_ups] and asked not in RUBRIC_TEXTS


def test_probe_topics_name_the_point_without_its_content() -> None:
    chunking = BANK.get("rag-interview").rubric[1]
    assert topic_of(chunking, "en") == "chunks, chunking and embeddings"
    assert topic_of(chunking, "fr") == "découpe, chunking et embeddings"
    no_keywords = chunking.model_copy(update={"keywords": []})
    assert topic_of(no_keywords, "en") == "splits documents into chunks"
    assert first_clause("RAG needs - retrieval then generation") == "RAG needs"


# --- the flow ------------------------------------------------------------------------------------
def test_follow_ups_dig_into_missing_points_at_most_twice_and_are_saved(stores) -> None:  # type: ignore[no-untyped-def]
    session = new_session(stores)
    opening = session.start().text()
    assert RAG["prompt"]["en"] in opening and "1/2" in opening
    first = session.reply(DEFINITION_ANSWER).text()
    run = session.runs[0]
    probe = run.follow_ups[0].probe
    triage = run.exchanges[0].triage
    not_met = {c.id for c in triage.criteria if c.verdict != Verdict.met}
    assert probe.item_id == "chunking" and "chunking" in not_met
    assert RAG["follow_ups"][2]["en"] in first  # the bank's own follow-up on the missing point
    assert not any(text in first for text in RUBRIC_TEXTS) and not any(mark in first for mark in QUOTE_MARKS)
    second = session.reply(CHUNKING_ANSWER).text()
    assert run.follow_ups[1].probe.item_id == "evaluation" and RAG["follow_ups"][1]["en"] in second
    third = session.reply("I'm not sure.").text()  # "I don't know" to a probe: teach it, then the next question
    assert len(run.follow_ups) == 2 and AGENTS["prompt"]["en"] in third and len(session.runs) == 2
    assert "Retrieval is evaluated by recall, and generation by faithfulness." in third  # the probed point
    assert "The RAG pipeline end to end" in third and "rag-pipeline.md" not in third
    assert session.wait_for_grades(timeout=120)

    store, scheduler = stores
    saved = sorted(store.list("alice"), key=lambda a: a.id)
    assert [a.mode for a in saved] == ["interview", "interview"]
    assert {a.session_id for a in saved} == {session.id}
    assert saved[0].answer == DEFINITION_ANSWER
    assert saved[1].answer == f"{DEFINITION_ANSWER}\n\n{CHUNKING_ANSWER}"  # graded as the same question
    assert all(a.status == "graded" for a in saved)
    assert [c.question_id for c in scheduler.all_cards("alice")] == ["rag-interview"]


def test_no_follow_ups_when_disabled_and_bank_follow_up_after_a_complete_answer(stores) -> None:  # type: ignore[no-untyped-def]
    session = new_session(stores, max_follow_ups=0)
    session.start().text()
    assert AGENTS["prompt"]["en"] in session.reply(DEFINITION_ANSWER).text()
    session = new_session(stores, questions=(ONE_POINT,), max_follow_ups=1)
    session.start().text()
    follow_up = session.reply(CHUNKING_ANSWER).text()
    triage = session.runs[0].exchanges[0].triage
    assert triage.score >= 8 and all(c.verdict == Verdict.met for c in triage.criteria)
    assert RAG["follow_ups"][0]["en"] in follow_up  # nothing missing: dig deeper with the bank's follow-up


def test_without_an_authored_hint_the_fallback_names_topics_in_plain_words(stores) -> None:  # type: ignore[no-untyped-def]
    session = new_session(stores, lang="fr")
    session.start().text()
    first = session.reply("", Intent.hint).text()
    assert "chunking" in first and not any(text in first for text in RUBRIC_TEXTS)
    assert not any(mark in first for mark in QUOTE_MARKS)  # no rubric fragment in guillemets
    second = session.reply("un indice ?").text()
    assert "rappel" in second and not any(mark in second for mark in QUOTE_MARKS)
    assert session.reply("indice").text() == phrase("no_more_hints", "fr")
    assert session.runs[0].hints and len(session.runs[0].hints) == 2
    assert next(t.text for t in session.transcript if t.role == "candidate") == phrase("said_hint", "fr")
    session.wait_for_grades(10)
    assert stores[0].count("alice") == 0  # asking for a hint is not an answer


def test_dont_know_is_saved_as_a_zero_and_skip_saves_nothing(stores) -> None:  # type: ignore[no-untyped-def]
    session = new_session(stores)
    session.start().text()
    moved_on = session.reply("I don't know").text()
    assert AGENTS["prompt"]["en"] in moved_on and not session.runs[0].follow_ups
    # It teaches the heaviest point (chunking) from the reference answer, and names the passage to read.
    assert "Documents are split into chunks before computing embeddings." in moved_on
    assert "“The RAG pipeline end to end”" in moved_on and "rag-pipeline.md" not in moved_on
    assert session.runs[0].status == "dont_know"
    closing = session.reply("", Intent.skip).text()
    assert session.finished and not session.ended_early and phrase("closing", "en") in closing
    assert session.wait_for_grades(timeout=60)
    (attempt,) = stores[0].list("alice")
    assert (attempt.question_id, attempt.mode, attempt.score) == ("rag-interview", "interview", 0.0)
    assert stores[1].all_cards("alice")[0].question_id == "rag-interview"
    with pytest.raises(RuntimeError):
        session.reply("one more answer")


def test_early_end_and_the_report(stores) -> None:  # type: ignore[no-untyped-def]
    session = new_session(stores, max_follow_ups=1)
    session.start().text()
    session.reply(DEFINITION_ANSWER + " **bold** <b>tag</b> e.g. (RAG)").text()
    closing = session.reply("Terminer l'entretien").text()  # ends during the follow-up
    assert session.finished and session.ended_early and phrase("closing_early", "en") in closing
    assert session.wait_for_grades(timeout=120)

    report = build_report(session, CORPUS)
    first, second = report.questions
    assert first.status == "answered" and first.follow_ups == 1 and first.final_score == first.first_score
    assert second.status == "not_reached" and second.final_score is None
    said = session.runs[0].cumulative_answer
    assert [e.point for e in report.strengths] == [RAG["rubric"][0]["text"]["en"]]
    assert report.strengths[0].quotes and all(quote in said for quote in report.strengths[0].quotes)
    assert next(e.point for e in report.gaps if e.kind == "not_met") == RAG["rubric"][1]["text"]["en"]
    assert [(r.title, r.source) for r in report.reading] == [("The RAG pipeline end to end", "en/rag-pipeline.md")]
    markdown = report.markdown()
    assert "# Mock interview report" in markdown and "| 1 | What is RAG and how do you build it? |" in markdown
    assert "`en/rag-pipeline.md`" in markdown and "not reached" in markdown and "## Transcript" in markdown
    assert r"\*\*bold\*\* \<b\>tag\</b\>" in markdown and "<b>" not in markdown  # candidate text is inert
    assert "e.g. (RAG)" in markdown  # ...and readable: mid-line, "." and "()" mean nothing
    assert "## Transcript" not in report_markdown(report, transcript=False)


def test_the_persona_speaks_through_the_model_but_never_rewords_questions(stores) -> None:  # type: ignore[no-untyped-def]
    replies = iter([AIMessage("Welcome, glad to meet you."), AIMessage("Tell me, where do chunks come in?")])
    model = CountingFakeModel(messages=replies)
    session = new_session(stores, persona=model)
    opening = session.start()
    chunks = list(opening.stream())
    assert len(chunks) > 3 and opening.final_text.startswith("Welcome, glad to meet you.")
    assert RAG["prompt"]["en"] in opening.final_text
    assert session.reply(DEFINITION_ANSWER).text() == "Tell me, where do chunks come in?"
    assert session.runs[0].follow_ups[0].probe.item_id == "chunking" and model.calls == 2


def test_a_failing_model_falls_back_to_templates_and_is_not_called_again(stores) -> None:  # type: ignore[no-untyped-def]
    model = BrokenModel(responses=["never said"])
    session = new_session(stores, lang="fr", persona=model)
    opening = session.start().text()
    assert opening.startswith("Bonjour et bienvenue") and RAG["prompt"]["fr"] in opening
    assert session.interviewer.model_failed and not session.interviewer.uses_model
    probe = session.reply(DEFINITION_ANSWER).text()
    follow_up = RAG["follow_ups"][2]["fr"]  # the authored follow-up on chunking, word for word
    assert probe in {phrase("bank_follow_up", "fr", variant, question=follow_up) for variant in (0, 1)}
    assert model.calls == 1


def test_an_interrupted_message_is_shown_again_and_recorded_once(stores) -> None:  # type: ignore[no-untyped-def]
    session = new_session(stores)
    utterance = session.start()
    stream = utterance.stream()
    next(stream)  # the page reran mid-message
    assert session.pending is utterance and not session.transcript
    with pytest.raises(RuntimeError):
        session.reply("an answer")
    assert session.pending.text().startswith("Hello") and len(session.transcript) == 1 and session.pending is None


def test_the_judges_grade_is_the_saved_one_while_follow_ups_use_the_triage(stores) -> None:  # type: ignore[no-untyped-def]
    verdict = {"quote": "", "reason": "absent", "verdict": "not_met"}
    reply = {"criteria": {"definition": {"quote": "injects them into the prompt of the LLM", "reason": "ok",
                                         "verdict": "met"}, "chunking": verdict, "evaluation": verdict},
             "misconceptions": ["Confuses RAG with fine-tuning"], "feedback": "Good start."}  # fmt: skip
    judge = FakeListChatModel(responses=[json.dumps(reply)])
    session = new_session(stores, max_follow_ups=0, grader="llm", chat_model=judge)
    session.start().text()
    session.reply(DEFINITION_ANSWER).text()
    assert session.wait_for_grades(timeout=60)
    saved = session.runs[0].exchanges[0].pending.grade
    assert saved.grader == "llm" and saved.score == round(10 * 1 / 6, 1)
    assert session.runs[0].exchanges[0].triage.grader == "embedded"
    report = build_report(session, CORPUS)
    assert report.questions[0].first_score == saved.score
    assert any(e.kind == "misconception" and "fine-tuning" in e.point for e in report.gaps)


def test_questions_follow_focus_and_level_unseen_first(stores) -> None:  # type: ignore[no-untyped-def]
    bank = bank_of(
        make_question("rag-basic", level="basic"), make_question("rag-adv", level="advanced"),
        make_question("agents-basic", topics=["agents"]),
        make_question("career-1", topics=["career"], kind="behavioral", sources=[]),
    )  # fmt: skip
    _store, scheduler = stores
    scheduler.record("alice", "rag-basic", 9.0)
    junior = InterviewConfig(level="junior", focus="rag", question_count=3)
    rag_junior = pick_questions(bank, scheduler, "alice", junior)
    assert [q.id for q in rag_junior] == ["career-1", "rag-basic"]  # advanced is not junior; agents not RAG
    senior = pick_questions(bank, scheduler, "bob", InterviewConfig(level="senior", focus="rag", question_count=2))
    assert [q.id for q in senior] == ["rag-adv"]
    with pytest.raises(ValueError, match="focus"):
        InterviewConfig(focus="cooking")
