"""The embedded grader: no LLM, same Grade model, sensible on good, weak and adversarial answers."""

from __future__ import annotations

from grading_fixtures import GOOD_ANSWER_EN, GOOD_ANSWER_FR, INJECTION_EN, QUESTION, WEAK_ANSWER_EN

from core.types import Flag, Verdict, compute_score
from evaluators.embedded import certainty, grade_embedded, is_keyword_stuffing, split_sentences
from evaluators.guards import sanitize_answer
from question_bank.model import Question


def embedded(answer: str, lang: str = "en", question: Question = QUESTION):
    return grade_embedded(question, sanitize_answer(answer), lang)


def test_a_complete_answer_outscores_a_vague_one_and_the_score_follows_the_verdicts() -> None:
    good, weak = embedded(GOOD_ANSWER_EN), embedded(WEAK_ANSWER_EN)
    assert good.grader == "embedded" and good.model == "all-MiniLM-L6-v2"
    # the weak answer names one of three points vaguely: about 2-3 from a person, within the grader's ±1.0
    assert good.score >= 6 and weak.score <= 4.0 and good.score - weak.score >= 5
    assert good.score == compute_score(good.criteria)
    assert [c.id for c in good.criteria] == ["two-retrievers", "rrf", "measure"]
    credited = [c for c in good.criteria if c.verdict != Verdict.not_met]
    assert credited and all(c.evidence and c.evidence[0] in GOOD_ANSWER_EN for c in credited)


def test_french_answers_get_french_feedback_and_the_reference_as_stronger_answer() -> None:
    grade = embedded(GOOD_ANSWER_FR, "fr")
    assert grade.score >= 6
    assert grade.lang == "fr" and "Points couverts" in grade.feedback
    assert grade.stronger_answer == QUESTION.reference_answer.fr
    weak = embedded("Je mettrais les documents dans une base et je demanderais au modèle.", "fr")
    assert "Points manquants" in weak.feedback and "Fusionne les classements" in weak.feedback


def test_empty_and_whitespace_answers_score_zero_with_a_clear_message() -> None:
    for answer in ("", "   \n\t  ", "\u200b\u200b"):
        grade = embedded(answer)
        assert grade.score == 0 and Flag.empty_answer in grade.flags
        assert "No answer was given" in grade.feedback


def test_one_word_answers_earn_nothing() -> None:
    for answer in ("RRF", "BM25 dense."):
        grade = embedded(answer)
        assert grade.score == 0 and Flag.too_short in grade.flags
        assert all(c.verdict == Verdict.not_met for c in grade.criteria)


def test_keyword_lists_are_flagged_and_held_down() -> None:
    stuffed = "BM25, dense, vector, RRF, reciprocal rank fusion, rank, recall, test set, lexical, hybrid, k=60."
    grade = embedded(stuffed)
    assert Flag.keyword_stuffing in grade.flags
    assert grade.score <= 3
    assert all(c.verdict != Verdict.met for c in grade.criteria)


def test_keyword_stuffing_detector_spares_real_sentences() -> None:
    words = GOOD_ANSWER_EN.split()
    assert not is_keyword_stuffing(words, split_sentences(GOOD_ANSWER_EN))


def test_off_topic_and_fluent_but_empty_answers_score_low() -> None:
    off_topic = embedded(
        "My favourite holiday was in Brittany, where we walked along the coast every morning and ate crêpes "
        "in small villages. The weather changed quickly but the light over the sea was always beautiful."
    )
    assert off_topic.score <= 1 and Flag.off_topic in off_topic.flags
    fluff = embedded(
        "Combining approaches is a truly transformative paradigm that empowers organisations to unlock the "
        "full potential of their data. It is a holistic, scalable and robust strategy that brings together the "
        "best of both worlds, and mastering it is essential for every forward-looking team in a fast-moving field."
    )
    assert fluff.score <= 2


def test_injected_text_is_removed_flagged_and_earns_nothing() -> None:
    honest = "I would use a vector database."
    alone, injected = embedded(honest), embedded(honest + INJECTION_EN)
    assert Flag.prompt_injection in injected.flags and Flag.prompt_injection not in alone.flags
    assert injected.score <= alone.score
    assert all("GRADER" not in quote for c in injected.criteria for quote in c.evidence)


def test_an_answer_that_addresses_its_grader_gets_partial_credit_at_most() -> None:
    honest, injected = embedded(GOOD_ANSWER_EN), embedded(GOOD_ANSWER_EN + INJECTION_EN)
    assert honest.score >= 8 and any(c.verdict == Verdict.met for c in honest.criteria)
    assert all(c.verdict != Verdict.met for c in injected.criteria)
    assert 0 < injected.score <= 5
    assert "no point of this answer can be fully credited" in injected.feedback


def test_a_100k_character_answer_is_truncated_not_a_crash() -> None:
    grade = embedded((GOOD_ANSWER_EN + "\n") * 310)
    assert Flag.truncated in grade.flags
    assert 0 <= grade.score <= 10
    assert "only its first part was graded" in grade.feedback


def test_behavioral_questions_are_graded_against_their_quality_rubric() -> None:
    behavioral = Question.model_validate(
        {
            "id": "test-behavioral",
            "kind": "behavioral",
            "level": "basic",
            "topics": ["career"],
            "prompt": {"fr": "Parlez d'un projet d'IA.", "en": "Tell me about an AI project you worked on."},
            "reference_answer": {
                "fr": "J'ai construit un assistant RAG pour le support client. J'ai mesuré la fidélité sur 150 "
                "questions ; le temps de traitement a baissé de 30 %. J'ai appris à impliquer les utilisateurs tôt.",
                "en": "I built a RAG assistant for customer support. I measured faithfulness on 150 questions; "
                "handling time dropped by 30%. I learned to involve users early.",
            },
            "rubric": [
                {"id": "own-role", "weight": 2, "text": {"fr": "Dit ce que le candidat a fait lui-même.",
                                                         "en": "Says what the candidate personally did."}},
                {"id": "outcome", "weight": 2, "text": {"fr": "Donne un résultat mesurable.",
                                                        "en": "Gives a measurable outcome."}},
                {"id": "reflection", "weight": 1, "text": {"fr": "Tire une leçon.", "en": "Draws a lesson."}},
            ],
        }
    )  # fmt: skip
    specific = embedded(
        "I built the retrieval pipeline of a support assistant myself: chunking, embeddings in pgvector and "
        "a reranker. I measured answer faithfulness on 150 real questions, and handling time dropped by 30% "
        "after three months. I learned that involving the support agents early matters most.",
        question=behavioral,
    )
    vague = embedded(
        "We did a lot of AI things in my team and it was a great experience with many technologies.",
        question=behavioral,
    )
    assert specific.score > vague.score
    assert [c.id for c in specific.criteria] == ["own-role", "outcome", "reflection"]


def test_certainty_counts_stated_absolutes_not_hedges_or_terms() -> None:
    """Only claims lower credit: a hedge ("not always") is what a careful candidate writes."""
    stated = ["RAG always removes hallucinations.", "Le cache est toujours à jour.", "Un agent n'échoue jamais."]
    hedged = [
        "Retrieval does not always find the passage.", "Une clé d'idempotence ne garantit pas tout.",
        "Ce n'est pas toujours possible.", "The queue gives exactly-once delivery semantics here.",
    ]  # fmt: skip
    assert all(certainty(text) > 0 for text in stated)
    assert [certainty(text) for text in hedged] == [0.0] * len(hedged)
