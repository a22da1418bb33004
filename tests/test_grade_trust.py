"""Same answer, same grade; a grade that says how far to trust it; coach-graded examples in the prompt.

Scripted LangChain fake models stand in for the judge: they count calls and keep the messages sent.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from grading_fixtures import (
    GOOD_ANSWER_EN,
    GOOD_ANSWER_FR,
    GOOD_REPLY_EN,
    INJECTION_EN,
    QUESTION,
    WEAK_ANSWER_EN,
    judge_reply,
    no_llm_settings,
    scripted_judge,
)

from config import Settings
from core.types import Confidence
from evaluators import provenance
from evaluators.cache import GradeCache
from evaluators.examples import EXAMPLE_CHAR_BUDGET, question_examples
from evaluators.judge import build_messages
from evaluators.service import grade_answer
from question_bank.model import CalibrationSample

ALL_MET_INVENTED = judge_reply({i.id: ("met", "a sentence that is nowhere in the answer") for i in QUESTION.rubric})
ALL_MET_NO_QUOTES = judge_reply({i.id: ("met", "") for i in QUESTION.rubric})
NOTHING_MET = judge_reply({i.id: ("not_met", "") for i in QUESTION.rubric})


@pytest.fixture
def settings(agentprep_data_dir: Path) -> Settings:
    return no_llm_settings(agentprep_data_dir)


def grade_with(judge, answer: str, settings: Settings, cache: GradeCache | None = None, **kwargs):  # type: ignore[no-untyped-def]
    return grade_answer(QUESTION, answer, settings=settings, grader="llm", chat_model=judge, cache=cache, **kwargs)


# --- the cache ---------------------------------------------------------------------------------
def test_an_identical_resubmission_gets_the_stored_grade_without_a_model_call(settings: Settings) -> None:
    cache = GradeCache(settings.sqlalchemy_url)
    judge = scripted_judge(GOOD_REPLY_EN, NOTHING_MET)
    first = grade_with(judge, GOOD_ANSWER_EN, settings, cache)
    again = grade_with(judge, GOOD_ANSWER_EN, settings, cache)
    assert len(judge.calls) == 1 and again.cached and not first.cached
    assert again.model_dump(exclude={"cached"}) == first.model_dump(exclude={"cached"})
    other = grade_with(judge, GOOD_ANSWER_EN + " Also BM25.", settings, cache)
    assert len(judge.calls) == 2 and other.score == 0 and not other.cached


def test_the_same_answer_to_the_question_asked_in_another_language_is_not_served_from_the_cache(
    settings: Settings,
) -> None:
    """The language the question was asked in shapes the grade's confidence: it is part of the key."""
    cache = GradeCache(settings.sqlalchemy_url)
    asked_in_french = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="embedded", cache=cache,
                                   expected_lang="fr")  # fmt: skip
    asked_in_english = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="embedded", cache=cache,
                                    expected_lang="en")  # fmt: skip
    assert "language" in asked_in_french.confidence_reasons and not asked_in_english.cached
    assert "language" not in asked_in_english.confidence_reasons


def test_a_fresh_grade_asked_for_explicitly_calls_the_model_and_replaces_the_stored_one(settings: Settings) -> None:
    cache = GradeCache(settings.sqlalchemy_url)
    judge = scripted_judge(GOOD_REPLY_EN, NOTHING_MET)
    grade_with(judge, GOOD_ANSWER_EN, settings, cache)
    fresh = grade_with(judge, GOOD_ANSWER_EN, settings, cache, fresh=True)
    assert len(judge.calls) == 2 and fresh.score == 0 and not fresh.cached
    assert grade_with(judge, GOOD_ANSWER_EN, settings, cache).score == 0  # the fresh grade is now the stored one


def test_a_changed_rubric_invalidates_the_stored_grade(settings: Settings) -> None:
    cache = GradeCache(settings.sqlalchemy_url)
    judge = scripted_judge(GOOD_REPLY_EN, GOOD_REPLY_EN)
    grade_with(judge, GOOD_ANSWER_EN, settings, cache)
    rubric = [item.model_copy(update={"weight": 5}) if item.id == "measure" else item for item in QUESTION.rubric]
    changed = QUESTION.model_copy(update={"rubric": rubric})
    regraded = grade_answer(changed, GOOD_ANSWER_EN, settings=settings, grader="llm", chat_model=judge, cache=cache)
    assert len(judge.calls) == 2 and not regraded.cached
    assert regraded.rubric_version != provenance.rubric_version(QUESTION)


def test_a_changed_prompt_file_invalidates_the_stored_grade(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(provenance.PROMPTS_DIR, prompts)
    monkeypatch.setattr(provenance, "PROMPTS_DIR", prompts)
    cache = GradeCache(settings.sqlalchemy_url)
    judge = scripted_judge(GOOD_REPLY_EN, GOOD_REPLY_EN)
    first = grade_with(judge, GOOD_ANSWER_EN, settings, cache)
    assert grade_with(judge, GOOD_ANSWER_EN, settings, cache).cached
    system = prompts / "judge_system.j2"
    system.write_text(system.read_text(encoding="utf-8") + "\nBe strict.", encoding="utf-8")
    second = grade_with(judge, GOOD_ANSWER_EN, settings, cache)
    assert len(judge.calls) == 2 and not second.cached
    assert second.prompt_version != first.prompt_version and first.prompt_version.startswith("judge-")


def test_a_change_to_the_grading_code_changes_the_grader_version(tmp_path: Path) -> None:
    """Thresholds, guard patterns and fitted weights live in code: the version hashes the code itself."""
    code = tmp_path / "evaluators"
    shutil.copytree(provenance.GRADER_SOURCES[0], code, ignore=shutil.ignore_patterns("__pycache__"))
    before = provenance.code_version([code])
    assert provenance.code_version([code]) == before  # stable
    embedded = code / "embedded.py"
    source = embedded.read_text(encoding="utf-8")
    assert "met_credit: float = 0.7" in source
    embedded.write_text(source.replace("met_credit: float = 0.7", "met_credit: float = 0.8"), encoding="utf-8")
    after_threshold = provenance.code_version([code])
    (code / "guards_extra.py").write_text("PATTERN = 'x'\n", encoding="utf-8")
    assert len({before, after_threshold, provenance.code_version([code])}) == 3
    assert provenance.grader_version().startswith("grader-")


@pytest.mark.parametrize("grader", ["llm", "embedded"])
def test_a_new_grader_version_stops_the_cache_serving_old_grades(
    grader: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evaluators import cache as cache_module

    cache = GradeCache(settings.sqlalchemy_url)
    judge = scripted_judge(GOOD_REPLY_EN, GOOD_REPLY_EN)
    kwargs = {"chat_model": judge} if grader == "llm" else {}
    first = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader=grader, cache=cache, **kwargs)
    assert grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader=grader, cache=cache, **kwargs).cached
    monkeypatch.setattr(cache_module, "grader_version", lambda: "grader-changed")
    again = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader=grader, cache=cache, **kwargs)
    assert not again.cached and first.grader_version == provenance.grader_version()


def test_fallback_grades_are_not_cached(settings: Settings) -> None:
    cache = GradeCache(settings.sqlalchemy_url)
    assert grade_with(scripted_judge("nope", "nope"), GOOD_ANSWER_EN, settings, cache).grader == "embedded"
    recovered = grade_with(scripted_judge(GOOD_REPLY_EN), GOOD_ANSWER_EN, settings, cache)
    assert recovered.grader == "llm" and not recovered.cached


def test_embedded_grades_are_stored_too_and_say_what_produced_them(settings: Settings) -> None:
    first = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="embedded")
    again = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="embedded")
    assert again.cached and again.score == first.score and first.grader == "embedded"
    assert first.rubric_version == provenance.rubric_version(QUESTION) and first.model == "all-MiniLM-L6-v2"
    assert first.prompt_version is None  # the embedded grader has no prompt


# --- confidence --------------------------------------------------------------------------------
def test_a_judge_agreeing_with_the_second_opinion_on_a_good_answer_is_high_confidence(settings: Settings) -> None:
    grade = grade_with(scripted_judge(GOOD_REPLY_EN), GOOD_ANSWER_EN, settings, expected_lang="en")
    assert grade.confidence == Confidence.high and grade.confidence_reasons == []
    assert grade.second_opinion is not None and abs(grade.score - grade.second_opinion) <= 3


def test_a_judge_far_from_the_second_opinion_is_low_confidence(settings: Settings) -> None:
    grade = grade_with(scripted_judge(NOTHING_MET), GOOD_ANSWER_EN, settings)
    assert grade.score == 0 and grade.second_opinion > 3
    assert grade.confidence == Confidence.low and "disagreement" in grade.confidence_reasons


def test_evidence_that_fails_verification_lowers_confidence(settings: Settings) -> None:
    grade = grade_with(scripted_judge(ALL_MET_INVENTED), WEAK_ANSWER_EN, settings)
    assert grade.confidence == Confidence.low and "evidence_mostly_rejected" in grade.confidence_reasons


def test_a_repaired_reply_is_medium_confidence(settings: Settings) -> None:
    judge = scripted_judge('{"criteria": {}}', GOOD_REPLY_EN)
    grade = grade_with(judge, GOOD_ANSWER_EN, settings)
    assert grade.grader == "llm" and grade.confidence == Confidence.medium
    assert grade.confidence_reasons == ["repaired"]


def test_a_fallback_grade_says_so_in_its_confidence(settings: Settings) -> None:
    grade = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="auto")  # nothing listens on the port
    assert grade.grader == "embedded" and grade.fallback_reason
    # medium, not low: "estimate" (the built-in grader cannot check correctness) caps, it does not pile up
    assert grade.confidence == Confidence.medium and grade.confidence_reasons == ["fallback", "estimate"]


def test_an_answer_in_another_language_than_the_question_lowers_confidence(settings: Settings) -> None:
    grade = grade_with(scripted_judge(GOOD_REPLY_EN), GOOD_ANSWER_EN, settings, expected_lang="fr")
    assert "language" in grade.confidence_reasons and grade.confidence == Confidence.medium
    same = grade_answer(QUESTION, GOOD_ANSWER_FR, settings=settings, grader="embedded", expected_lang="fr")
    assert "language" not in same.confidence_reasons


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_one_word_answer_is_read_in_the_language_of_the_question(settings: Settings, lang: str) -> None:
    """"RAG" has no French or English function word: it is neither called off-language nor graded in
    the app's default language (the English quiz once showed French rubric lines for it)."""
    other_default = settings.model_copy(update={"language": "fr" if lang == "en" else "en"})
    grade = grade_answer(QUESTION, "RAG", settings=other_default, grader="embedded", expected_lang=lang)
    assert grade.lang == lang and "language" not in grade.confidence_reasons
    rubric = zip(grade.criteria, QUESTION.rubric, strict=True)
    assert all(criterion.text == item.text.get(lang) for criterion, item in rubric)


def test_very_short_and_injected_answers_are_not_high_confidence(settings: Settings) -> None:
    short = grade_answer(QUESTION, "BM25 plus vectors, fused.", settings=settings, grader="auto")
    assert short.confidence == Confidence.medium and short.confidence_reasons == ["short"]
    injected = grade_with(scripted_judge(GOOD_REPLY_EN), GOOD_ANSWER_EN + INJECTION_EN, settings)
    assert injected.confidence == Confidence.low and "prompt_injection" in injected.confidence_reasons


# --- coach-graded examples in the judge's prompt -------------------------------------------------
SAMPLES = [
    CalibrationSample(lang="en", answer="I would fine-tune the model on our documents every night.", expected_score=1),
    CalibrationSample(
        lang="en",
        answer="BM25 and a dense vector search run in parallel, then Reciprocal Rank Fusion merges the ranks.",
        expected_score=7,
        verdicts={"two-retrievers": "met", "rrf": "met", "measure": "not_met"},
    ),
    CalibrationSample(lang="en", answer="Kubernetes autoscaling keeps the cluster fast under load.", expected_score=0),
    CalibrationSample(lang="en", answer=GOOD_ANSWER_EN, expected_score=9.5),
]


def test_the_best_and_worst_coach_samples_go_into_the_prompt_but_never_the_answer_itself(settings: Settings) -> None:
    question = QUESTION.model_copy(update={"calibration": SAMPLES})
    judge = scripted_judge(GOOD_REPLY_EN, GOOD_REPLY_EN, GOOD_REPLY_EN)
    grade = grade_answer(question, GOOD_ANSWER_EN, settings=settings, grader="llm", chat_model=judge)
    prompt = judge.calls[0][0][1].content
    assert grade.calibration_examples == 2
    assert "Reciprocal Rank Fusion merges the ranks" in prompt and "coach score 7.0/10" in prompt
    assert "two-retrievers: met, rrf: met, measure: not_met" in prompt
    assert "Kubernetes" in prompt and "coach score 0.0/10" in prompt  # the lowest graded
    assert "fine-tune the model" not in prompt and "9.5/10" not in prompt  # in between / the answer itself
    # The choice does not follow the answer: two other answers get the same examples, so the same prefix.
    grade_answer(question, WEAK_ANSWER_EN, settings=settings, grader="llm", chat_model=judge)
    grade_answer(question, "I search with BM25 only, then sort the hits by date.", settings=settings, grader="llm",
                 chat_model=judge)  # fmt: skip
    first, second = (judge.calls[n][0][1].content.split("Candidate answer")[0] for n in (1, 2))
    assert first == second and "coach score 9.5/10" in first


def test_examples_can_be_left_out_and_change_the_cache_key(settings: Settings) -> None:
    question = QUESTION.model_copy(update={"calibration": SAMPLES})
    cache = GradeCache(settings.sqlalchemy_url)
    judge = scripted_judge(GOOD_REPLY_EN, GOOD_REPLY_EN)
    plain = grade_answer(question, GOOD_ANSWER_EN, settings=settings, grader="llm", chat_model=judge,
                         cache=cache, use_examples=False)  # fmt: skip
    assert plain.calibration_examples == 0 and "coach score" not in judge.calls[0][0][1].content
    with_examples = grade_answer(question, GOOD_ANSWER_EN, settings=settings, grader="llm", chat_model=judge,
                                 cache=cache)  # fmt: skip
    assert not with_examples.cached and len(judge.calls) == 2


def test_examples_take_their_room_from_the_excerpts_so_the_prompt_budget_holds() -> None:
    excerpts = [("Hybrid search notes. " * 40).strip()] * 4
    long_samples = [
        CalibrationSample(lang="en", answer="BM25 and dense search, fused by rank. " * 30, expected_score=6,
                          verdicts={"two-retrievers": "met", "rrf": "partly_met", "measure": "not_met"}),
        CalibrationSample(lang="en", answer="Dense search alone, on every query. " * 30, expected_score=2),
    ]  # fmt: skip
    question = QUESTION.model_copy(update={"calibration": long_samples})
    examples = question_examples(question, GOOD_ANSWER_EN, "en")
    assert len(examples) == 2 and all(len(e.answer) <= EXAMPLE_CHAR_BUDGET for e in examples)
    without = sum(len(m.content) for m in build_messages(question, "x", "en", excerpts, "fence"))
    with_examples = sum(len(m.content) for m in build_messages(question, "x", "en", excerpts, "fence", examples))
    assert "Dense search alone" in build_messages(question, "x", "en", excerpts, "fence", examples)[1].content
    assert with_examples <= without
