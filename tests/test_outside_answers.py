"""The grade on answers nobody here wrote: the independent sets of issue #13.

`tests/data/independent` was written by authors who never read `evaluators/`; the embedded
grader's weights are fitted on its `tuning/` part only. These tests hold the held-out figures at
the level measured when the weights were fitted (README, "How good is the grade"): a change that
makes the grade worse on answers nobody tuned on fails here.
"""

from __future__ import annotations

import pytest

from config import PROJECT_ROOT, get_settings
from core.types import Confidence, Flag
from evaluators.claims import is_claim, set_claims_aside
from evaluators.embedded import TUNING
from evaluators.guards import sanitize_answer
from evaluators.harness import GradedEntry, evaluate, load_graded_set
from question_bank import QuestionBank

DATA = PROJECT_ROOT / "tests" / "data"
BANK = QuestionBank.load(PROJECT_ROOT / "question_bank" / "bank", PROJECT_ROOT / "knowledge" / "corpus")
QUESTIONS = {q.id: q for q in BANK.questions}


def graded(*parts: str) -> list[GradedEntry]:
    entries: list[GradedEntry] = []
    for part in parts:
        found, problems = load_graded_set(DATA / part)
        assert problems == []
        entries.extend(found)
    return entries


def test_the_independent_set_is_large_bilingual_and_split_by_question() -> None:
    tuning, held_out = graded("independent/tuning"), graded("independent/heldout")
    assert len(tuning) + len(held_out) >= 200
    assert len({e.question_id for e in tuning + held_out}) >= 25
    assert {e.question_id for e in tuning}.isdisjoint({e.question_id for e in held_out})
    langs = [e.lang for e in tuning + held_out]
    assert langs.count("fr") == langs.count("en")
    assert all(e.question_id in QUESTIONS for e in tuning + held_out)


@pytest.fixture(scope="module")
def held_out_report():  # type: ignore[no-untyped-def]
    return evaluate(graded("independent/heldout"), QUESTIONS, get_settings(), grader="embedded")


def test_held_out_agreement_with_people(held_out_report) -> None:  # type: ignore[no-untyped-def]
    figures = held_out_report.summary()
    print("held-out:", figures)
    assert figures["spearman"] >= 0.82 and figures["qwk"] >= 0.85 and figures["mae"] <= 1.2
    assert abs(figures["mean_error"]) <= 0.5  # neither harsh nor generous on average
    assert figures["top_answers_mean_score"] >= 8  # answers a person gave 9-10
    fr, en = figures["by_language"]["fr"], figures["by_language"]["en"]
    assert abs(fr["spearman"] - en["spearman"]) <= 0.05


def test_the_error_margin_shown_is_the_one_measured(held_out_report) -> None:  # type: ignore[no-untyped-def]
    assert abs(TUNING.held_out_mae - held_out_report.mae) <= 0.1


def test_no_grade_off_by_3_says_high_confidence(held_out_report) -> None:  # type: ignore[no-untyped-def]
    rows = held_out_report.rows
    assert held_out_report.summary()["confident_and_off_by_3"] == 0
    assert {r["confidence"] for r in rows} <= {Confidence.medium.value, Confidence.low.value}


def test_saying_instead_of_explaining_earns_nothing(held_out_report) -> None:  # type: ignore[no-untyped-def]
    """Rubric echoes and keyword lists stay within 1 point of what a person gave them."""
    for row in held_out_report.rows:
        if row["trap"] in ("rubric_echo", "keyword_stuffing"):
            assert row["score"] <= row["human"] + 1, row
        if row["trap"] == "rubric_echo":  # its claim lines were set aside, or it restates the rubric
            assert {Flag.unsupported_claims.value, Flag.rubric_echo.value} & set(row["flags"]), row
        if row["trap"] is None:
            assert Flag.rubric_echo.value not in row["flags"], row


def test_restating_the_rubric_is_told_apart_from_a_terse_answer_in_the_fields_terms() -> None:
    from evaluators.embedded import grade_embedded

    question = QUESTIONS["rag-hybrid-retrieval-rrf"]
    echo = ("Je décris la complémentarité de BM25 et de la recherche dense. J'explique la Reciprocal Rank Fusion "
            "sur les rangs. Je donne la valeur de k et un exemple. Ma réponse couvre donc tous les points.")
    terse = ("BM25 trouve les termes exacts, la recherche dense le sens. On lance les deux et on fusionne les "
             "listes par la RRF : score = somme de 1/(60 + rang), sur les rangs, pas sur les scores.")
    echoed = grade_embedded(question, sanitize_answer(echo), "fr")
    honest = grade_embedded(question, sanitize_answer(terse), "fr")
    assert Flag.rubric_echo in echoed.flags or Flag.unsupported_claims in echoed.flags
    assert echoed.score <= 2
    assert Flag.rubric_echo not in honest.flags and honest.score > echoed.score + 3


def test_every_rubric_echo_is_caught_and_no_honest_answer_has_claims() -> None:
    """Checklists lose their claim lines; echoes in prose are caught as restating the rubric."""
    from evaluators.embedded import grade_embedded

    entries = graded(
        "independent/tuning", "independent/heldout", "graded", "calibration", "benign"
    )  # fmt: skip
    echoes = [e for e in entries if e.trap == "rubric_echo"]
    assert len(echoes) >= 10
    prose = [e for e in echoes if not set_claims_aside(e.answer).found]
    missed = [e.source for e in prose if Flag.rubric_echo not in grade_embedded(
        QUESTIONS[e.question_id], sanitize_answer(e.answer), e.lang).flags]  # fmt: skip
    # tuning/graded-7.yaml#47 reuses few of the rubric's phrases; tuning/graded-9.yaml#35 is a bare checklist
    # of them with no self-talk, which a phrases-only rule would catch only with terse honest answers
    assert set(missed) <= {"graded-7.yaml#47", "graded-9.yaml#35"}, missed
    honest = [e for e in entries if e.trap != "rubric_echo"]
    assert [e.source for e in honest if set_claims_aside(e.answer).found] == []


@pytest.mark.parametrize(
    ("line", "claim"),
    [
        ("Definition: covered ✔ (see paragraph 1)", True),
        ("Roles: host, client, server, JSON-RPC 2.0. Addressed.", True),
        ("Compromis : traités, voir plus haut.", True),
        ("All the key points of the rubric are addressed above.", True),
        ("So the answer fully covers the architecture and the transports.", True),
        ("10/10 means every rubric item is clearly covered and nothing is wrong.", False),
        ("Une note de 10 doit vouloir dire « tous les critères sont remplis ».", False),
        ("Chunking: split documents into 300-token pieces with some overlap.", False),
        ("The cache is covered by the integration tests, which run on every commit.", False),
    ],
)
def test_what_counts_as_a_claim(line: str, claim: bool) -> None:
    assert is_claim(line) is claim


def test_claims_are_set_aside_before_any_grader_reads_the_answer() -> None:
    answer = (
        "Hybrid search runs BM25 and a dense retriever and merges both rankings with reciprocal rank fusion.\n"
        "Fusion: covered ✔ (see paragraph 1)\nEvaluation: addressed."
    )
    sanitized = sanitize_answer(answer)
    assert sanitized.claims == ["Fusion: covered ✔ (see paragraph 1)", "Evaluation: addressed."]
    assert "covered" not in sanitized.text and "reciprocal rank fusion" in sanitized.text
    assert not sanitized.injection  # a claim is not an attack on the grader


def test_an_answer_made_only_of_claims_is_told_so_not_called_empty() -> None:
    from evaluators.embedded import grade_embedded

    question = QUESTIONS["agents-mcp-architecture"]
    only_claims = "Roles: covered ✔\nTransports: addressed.\nSecurity: handled."
    grade = grade_embedded(question, sanitize_answer(only_claims), "en")
    assert grade.score == 0 and Flag.empty_answer not in grade.flags and Flag.unsupported_claims in grade.flags
    assert "No answer was given" not in grade.feedback and "set aside" in grade.feedback


def test_a_judge_talked_into_crediting_claims_is_held_to_what_the_answer_covers(agentprep_data_dir) -> None:  # type: ignore[no-untyped-def]
    """The gullible judge credits every point; with the claim lines set aside and the cap, echoes stay low."""
    from fake_judge import GullibleFakeJudge

    from config import Settings
    from evaluators.service import grade_answer

    settings = Settings(data_dir=agentprep_data_dir)
    echoes = [e for e in graded("independent") if e.trap == "rubric_echo"]
    assert len(echoes) >= 8
    judged, missed = 0, []
    for entry in echoes:
        grade = grade_answer(QUESTIONS[entry.question_id], entry.answer, settings=settings, grader="llm",
                             chat_model=GullibleFakeJudge(), cache=None)  # fmt: skip
        judged += grade.grader == "llm"  # an echo with nothing left after its claims never reaches the judge
        if not {Flag.unsupported_claims, Flag.rubric_echo} & set(grade.flags):
            missed.append(entry.source)  # the prose echoes neither rule catches (see the test above)
            continue
        if grade.grader == "llm":
            assert grade.score <= grade.second_opinion + 1, (entry.source, grade.score, grade.second_opinion)
        if entry.part == "heldout":  # on tuning/graded-3.yaml#24 the embedded grader itself gives 4.7
            assert grade.score <= entry.human_score + 1, (entry.source, grade.grader, grade.score)
    assert judged >= 5 and set(missed) <= {"tuning/graded-7.yaml#47", "tuning/graded-9.yaml#35"}, missed
