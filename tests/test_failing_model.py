"""A model that fails in the middle: the answer is saved, a clear grade comes back, the app goes on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fake_judge import HonestFakeJudge
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk

from config import PROJECT_ROOT, get_settings
from practice.grading import GradingOptions, Submission, submit_answer
from question_bank import QuestionBank
from storage.attempts import AttemptStore
from storage.scheduling import ReviewScheduler

BANK = QuestionBank.load(PROJECT_ROOT / "question_bank" / "bank", PROJECT_ROOT / "knowledge" / "corpus")
QUESTION = BANK.get("rag-hybrid-retrieval-rrf")


class DroppedStreamJudge(HonestFakeJudge):
    """Streams the first half of a valid reply, then the connection drops."""

    def _stream(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
                ) -> Iterator[ChatGenerationChunk]:  # fmt: skip
        text = self.reply(messages)
        yield ChatGenerationChunk(message=AIMessageChunk(content=text[: len(text) // 2]))
        raise ConnectionError("server closed the connection mid-stream")


def test_a_stream_dropped_half_way_falls_back_and_keeps_the_attempt() -> None:
    settings = get_settings()
    store = AttemptStore(settings.sqlalchemy_url)
    answer = " ".join(item.text.en for item in QUESTION.rubric)
    run = submit_answer(
        Submission(profile="carol", question=QUESTION, answer=answer, lang="en"),
        store=store, scheduler=ReviewScheduler(settings.sqlalchemy_url), settings=settings,
        options=GradingOptions(grader="llm", chat_model=DroppedStreamJudge()),
    )  # fmt: skip
    events = list(run)
    kinds = [e.kind for e in events]
    assert "reasoning" in kinds  # the first half did stream to the candidate
    grade = events[-1].grade
    assert kinds[-1] == "grade" and grade.grader == "embedded"
    assert "llm_unavailable" in grade.flags and "mid-stream" in grade.fallback_reason
    saved = store.get(run.attempt_id)
    assert saved.status == "graded" and saved.answer == answer and saved.grader == "embedded"
