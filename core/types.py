"""The types every layer shares: the language, the verdict on a rubric item, the flags, the grade.

One grade type serves the LLM judge, the embedded grader and the coach, and the storage keeps it as
it is. The score is never a free number from a model: it is computed from the per-criterion verdicts and
the rubric weights, after evidence checks, so the same verdicts always give the same score and a
candidate can see exactly why each point was or was not credited.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

Lang = Literal["fr", "en"]
"""The two languages of the bank, the UI and the grades."""


class Verdict(StrEnum):
    met = "met"
    partly_met = "partly_met"
    not_met = "not_met"


VERDICT_CREDIT: dict[Verdict, float] = {Verdict.met: 1.0, Verdict.partly_met: 0.5, Verdict.not_met: 0.0}


class Flag(StrEnum):
    """Things a candidate (or coach) must see about how a grade was reached."""

    prompt_injection = "prompt_injection"
    empty_answer = "empty_answer"
    too_short = "too_short"
    off_topic = "off_topic"
    keyword_stuffing = "keyword_stuffing"
    unsupported_claims = "unsupported_claims"
    rubric_echo = "rubric_echo"
    truncated = "truncated"
    evidence_rejected = "evidence_rejected"
    llm_unavailable = "llm_unavailable"
    llm_invalid_output = "llm_invalid_output"
    llm_timeout = "llm_timeout"
    llm_repaired = "llm_repaired"


class Confidence(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


class CriterionGrade(BaseModel):
    """The verdict on one rubric item, with the evidence behind it."""

    id: str
    text: str = Field(description="The rubric item, in the answer's language.")
    weight: float
    evidence: list[str] = Field(default_factory=list, description="Quotes from the answer.")
    reasoning: str = ""
    verdict: Verdict
    evidence_ok: bool = Field(
        default=True, description="False when the quotes were not found in the answer or did not relate."
    )
    estimated_credit: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="The embedded grader's calibrated share of this item's weight (0-1). A continuous estimate "
        "ranks answers better than three verdict steps; the verdict shown is derived from it. None for the "
        "judge, whose credit follows its verdict.",
    )
    signals: dict[str, float] = Field(
        default_factory=dict,
        description="The embedded grader's measurements behind this item (for coaches, never the candidate's view).",
    )

    @property
    def credit(self) -> float:
        if not self.evidence_ok:
            return 0.0
        if self.estimated_credit is not None:
            return self.estimated_credit
        return VERDICT_CREDIT[self.verdict]


class Grade(BaseModel):
    """A graded answer. `score` is derived from `criteria`: `rescore` is the one place that sets it from them."""

    question_id: str | None = None
    score: float = Field(ge=0, le=10)
    grader: Literal["llm", "embedded", "coach"]
    model: str | None = Field(default=None, description="LLM model name, or the embedding model.")
    provider: str | None = Field(default=None, description="'ollama' or 'openai' (any compatible server).")
    signals: dict[str, float] = Field(
        default_factory=dict, description="Whole-answer measurements of the embedded grader (for coaches)."
    )
    prompt_version: str | None = Field(default=None, description="Hash of the judge's template files.")
    grader_version: str | None = Field(default=None, description="Hash of the grading code (evaluators.provenance).")
    rubric_version: str | None = Field(default=None, description="Hash of the question's grading material.")
    lang: Lang = "en"
    criteria: list[CriterionGrade] = Field(default_factory=list)
    misconceptions: list[str] = Field(default_factory=list)
    missing_points: list[str] = Field(default_factory=list)
    feedback: str = ""
    stronger_answer: str = ""
    flags: list[Flag] = Field(default_factory=list)
    fallback_reason: str | None = Field(
        default=None, description="Why the embedded grader answered instead of the LLM, in plain words."
    )
    reasoning: str = Field(default="", description="The judge's step-by-step reasoning, as streamed.")
    judge_reply: str = Field(
        default="", description="The judge's raw reply: for coaches, and continued by the 'How do I improve?' call."
    )
    confidence: Confidence = Confidence.high
    confidence_reasons: list[str] = Field(
        default_factory=list, description="Codes of the signals that lowered the confidence (see confidence.py)."
    )
    error_margin: float | None = Field(
        default=None,
        description="Typical error of this grader, in points, measured against people's grades on answers it was "
        "not tuned on (shown as 'about 6/10, ±1.2'). Set for the embedded grader.",
    )
    second_opinion: float | None = Field(
        default=None, description="The embedded grader's score of the same answer, beside an LLM grade."
    )
    calibration_examples: int = Field(default=0, description="Coach-graded examples shown to the judge.")
    cached: bool = Field(default=False, description="True when this grade was served from the grade cache.")
    reviewed_by: str | None = Field(default=None, description="The coach whose review set this grade.")
    latency_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    def add_flag(self, flag: Flag) -> None:
        if flag not in self.flags:
            self.flags.append(flag)

    def rescore(self) -> Grade:
        """Set `score` from the verdicts and weights (after any stage changed a verdict); returns the grade."""
        self.score = compute_score(self.criteria)
        return self


def compute_score(criteria: list[CriterionGrade]) -> float:
    """Weighted share of credited rubric items, on 0-10, rounded to one decimal."""
    total = sum(c.weight for c in criteria)
    if total <= 0:
        return 0.0
    earned = sum(c.weight * c.credit for c in criteria)
    return round(10.0 * earned / total, 1)
