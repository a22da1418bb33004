"""Issue #17: the score comes first, the advice on demand, and nothing is lost while waiting."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from grading_fixtures import GOOD_ANSWER_EN, GOOD_REPLY_EN, QUESTION, judge_reply, no_llm_settings, scripted_judge
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from config import Settings
from evaluators.cache import GradeCache
from evaluators.judge_reply import score_boundary
from evaluators.service import grade_answer, grade_stream, improve_stream
from practice.grading import GradingOptions, Submission, improve_attempt, submit_answer
from storage.attempts import AttemptStore
from storage.scheduling import ReviewScheduler

IMPROVEMENT = '{"missing_points": ["Say how you measure recall@10 before and after."], "stronger_answer": "Run BM25 and dense search, fuse with RRF, then compare recall@10 on a test set."}'  # noqa: E501
VERDICTS_END = score_boundary(GOOD_REPLY_EN)


@pytest.fixture
def settings(agentprep_data_dir: Path) -> Settings:
    return no_llm_settings(agentprep_data_dir)


class StallingJudge(GenericFakeChatModel):
    """Streams `head` word by word, then goes silent for `stall_s` before the rest: a slow laptop."""

    head: str
    tail: str = ""
    stall_s: float = 5.0

    def _stream(
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:  # type: ignore[override]
        for word in self.head.split(" "):
            yield ChatGenerationChunk(message=AIMessageChunk(content=word + " "))
        time.sleep(self.stall_s)
        yield ChatGenerationChunk(message=AIMessageChunk(content=self.tail))


def test_the_verdicts_stream_first_then_the_score_then_the_feedback(settings: Settings) -> None:
    events = list(grade_stream(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="llm",
                               chat_model=scripted_judge(GOOD_REPLY_EN)))  # fmt: skip
    kinds = [e.kind for e in events]
    assert kinds.count("score") == 1 and kinds[-1] == "grade"
    score_at = kinds.index("score")
    assert max(i for i, k in enumerate(kinds) if k == "reasoning") < score_at
    assert min(i for i, k in enumerate(kinds) if k == "feedback") > score_at
    early, final = events[score_at].grade, events[-1].grade
    assert early.score == final.score == 9.2 and early.confidence == final.confidence
    assert early.feedback == "" and final.feedback == "Good structure."
    assert "".join(e.text for e in events if e.kind == "feedback") == "Good structure."


def test_a_time_out_after_the_score_keeps_the_score_shown(settings: Settings) -> None:
    judge = StallingJudge(messages=iter(()), head=GOOD_REPLY_EN[:VERDICTS_END] + ",", tail='"feedback": "late"}')
    cache = GradeCache(settings.sqlalchemy_url)
    events = list(grade_stream(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="llm", chat_model=judge,
                               timeout_s=1.5, cache=cache))  # fmt: skip
    score = next(e.grade for e in events if e.kind == "score")
    grade = events[-1].grade
    assert grade.grader == "llm" and grade.score == score.score == 9.2 and grade.feedback == ""
    again = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="llm", chat_model=judge, cache=cache)
    assert again.cached and again.score == 9.2  # the same answer gets the same grade


def test_a_time_out_before_the_verdicts_falls_back_and_says_so(settings: Settings) -> None:
    judge = StallingJudge(messages=iter(()), head=GOOD_REPLY_EN[: VERDICTS_END // 2], tail="")
    grade = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="llm", chat_model=judge, timeout_s=1.0)
    assert grade.grader == "embedded" and "did not finish within 1 s" in grade.fallback_reason


def test_broken_json_after_the_verdicts_keeps_them_without_a_repair_call(settings: Settings) -> None:
    judge = scripted_judge(GOOD_REPLY_EN[:VERDICTS_END] + ', "feedback": "Good str')
    grade = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="llm", chat_model=judge)
    assert grade.grader == "llm" and grade.score == 9.2 and len(judge.calls) == 1


def test_how_do_i_improve_continues_the_conversation_and_keeps_the_score(settings: Settings) -> None:
    judge = scripted_judge(GOOD_REPLY_EN, IMPROVEMENT)
    cache = GradeCache(settings.sqlalchemy_url)
    grade = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="llm", chat_model=judge, cache=cache)
    assert grade.judge_reply == GOOD_REPLY_EN and grade.stronger_answer == "" and grade.missing_points == []
    events = list(improve_stream(QUESTION, GOOD_ANSWER_EN, grade, settings=settings, chat_model=judge, cache=cache))
    improved = events[-1].grade
    assert improved.score == grade.score and improved.criteria == grade.criteria
    assert improved.missing_points == ["Say how you measure recall@10 before and after."]
    assert improved.stronger_answer.startswith("Run BM25")
    (first, _), (second, _) = judge.calls
    assert second[: len(first)] == first  # the whole grade prompt is the prefix of the follow-up
    assert second[len(first)].content == GOOD_REPLY_EN and "missing_points" in second[-1].content
    cached = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="llm", chat_model=judge, cache=cache)
    assert cached.cached and cached.stronger_answer == improved.stronger_answer  # the cache keeps both parts


def test_advice_is_stored_with_the_attempt_and_changes_neither_score_nor_review(settings: Settings) -> None:
    store, scheduler = AttemptStore(settings.sqlalchemy_url), ReviewScheduler(settings.sqlalchemy_url)
    judge = scripted_judge(GOOD_REPLY_EN, IMPROVEMENT)
    submission = Submission(profile="ana", question=QUESTION, answer=GOOD_ANSWER_EN, lang="en")
    llm = GradingOptions(grader="llm", chat_model=judge)
    graded = [e.grade for e in submit_answer(submission, store=store, scheduler=scheduler, settings=settings,
                                             options=llm) if e.kind == "grade"][-1]  # fmt: skip
    attempt_id = store.list("ana")[0].id
    events = list(improve_attempt(attempt_id, QUESTION, GOOD_ANSWER_EN, graded, store=store, settings=settings,
                                  options=GradingOptions(chat_model=judge)))  # fmt: skip
    assert events[-1].kind == "grade"
    saved = store.get(attempt_id)
    assert saved.score == graded.score and saved.review_status is None
    assert "Run BM25" in saved.grade_json and scheduler.all_cards("ana")[0].reviews == 1


def test_improve_says_why_not_when_the_model_is_down_and_the_grade_stays(settings: Settings) -> None:
    grade = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="llm",
                         chat_model=scripted_judge(GOOD_REPLY_EN))  # fmt: skip
    events = list(improve_stream(QUESTION, GOOD_ANSWER_EN, grade, settings=settings))  # no server at that port
    assert [e.kind for e in events] == ["error"] and "cannot be reached" in events[0].text
    embedded = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="embedded")
    assert [e.kind for e in improve_stream(QUESTION, GOOD_ANSWER_EN, embedded, settings=settings)] == ["error"]


def test_advice_a_weak_model_garbles_is_dropped_not_shown(settings: Settings) -> None:
    from evaluators.judge import Improvement
    from evaluators.judge_reply import clean_improvement

    garbled = Improvement(
        missing_points=["1.0", "][{", "up to four points the answer lacks or gets wrong.", "Say how RRF merges ranks."],
        stronger_answer="…",
    )
    cleaned = clean_improvement(garbled, "en")
    assert cleaned.missing_points == ["Say how RRF merges ranks."] and cleaned.stronger_answer == ""
    judge = scripted_judge(GOOD_REPLY_EN, '{"missing_points": ["2.0"], "stronger_answer": "3.0"}')
    grade = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="llm", chat_model=judge)
    events = list(improve_stream(QUESTION, GOOD_ANSWER_EN, grade, settings=settings, chat_model=judge))
    assert [e.kind for e in events][-1] == "error" and "nothing usable" in events[-1].text


def test_feedback_that_is_not_words_is_left_out(settings: Settings) -> None:
    reply = GOOD_REPLY_EN.replace('"feedback": "Good structure."', '"feedback": "][{"')
    grade = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="llm", chat_model=scripted_judge(reply))
    assert grade.score == 9.2 and "][{" not in grade.feedback


def test_advice_asked_with_other_excerpts_never_lands_under_their_cache_key(settings: Settings) -> None:
    judge = scripted_judge(GOOD_REPLY_EN, IMPROVEMENT, GOOD_REPLY_EN)
    cache = GradeCache(settings.sqlalchemy_url)
    grade = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="llm", chat_model=judge, cache=cache)
    list(improve_stream(QUESTION, GOOD_ANSWER_EN, grade, settings=settings, chat_model=judge, cache=cache,
                        excerpts=["The index finished building meanwhile."]))  # fmt: skip
    later = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="llm", chat_model=judge, cache=cache,
                         excerpts=["The index finished building meanwhile."])  # fmt: skip
    assert not later.cached and len(judge.calls) == 3  # graded for these excerpts, not served another grade


def test_a_reply_that_arrived_in_time_is_kept_whole_even_if_checking_it_runs_late(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evaluators.service as service

    real = service.grade_embedded

    def slow_second_opinion(*args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        time.sleep(1.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "grade_embedded", slow_second_opinion)
    grade = grade_answer(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="llm",
                         chat_model=scripted_judge(GOOD_REPLY_EN), timeout_s=1.0)  # fmt: skip
    assert grade.grader == "llm" and grade.feedback == "Good structure."


def test_a_reply_that_gives_its_verdicts_twice_keeps_the_score_it_showed(settings: Settings) -> None:
    none_met = json.loads(judge_reply({i: ("not_met", "") for i in ("two-retrievers", "rrf", "measure")}))
    repeated = GOOD_REPLY_EN[:-1] + ', "criteria": ' + json.dumps(none_met["criteria"]) + "}"
    events = list(grade_stream(QUESTION, GOOD_ANSWER_EN, settings=settings, grader="llm",
                               chat_model=scripted_judge(repeated)))  # fmt: skip
    shown = next(e.grade for e in events if e.kind == "score")
    assert shown.score == events[-1].grade.score == 9.2


def test_a_failure_while_storing_advice_is_an_error_event_not_a_crash(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, scheduler = AttemptStore(settings.sqlalchemy_url), ReviewScheduler(settings.sqlalchemy_url)
    judge = scripted_judge(GOOD_REPLY_EN, IMPROVEMENT)
    submission = Submission(profile="ana", question=QUESTION, answer=GOOD_ANSWER_EN, lang="en")
    llm = GradingOptions(grader="llm", chat_model=judge)
    graded = [e.grade for e in submit_answer(submission, store=store, scheduler=scheduler, settings=settings,
                                             options=llm) if e.kind == "grade"][-1]  # fmt: skip

    def refuse(*args: Any) -> None:
        raise ValueError("advice must not change the grade")

    monkeypatch.setattr(store, "attach_advice", refuse)
    events = list(improve_attempt(store.list("ana")[0].id, QUESTION, GOOD_ANSWER_EN, graded, store=store,
                                  settings=settings, options=GradingOptions(chat_model=judge)))  # fmt: skip
    assert events[-1].kind == "error" and "must not change" in events[-1].text
