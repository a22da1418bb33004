"""The pydantic model of a bank question.

The model checks what a single question can check on its own (both languages, weights, ids);
checks that need the whole bank (duplicate ids, known topics, existing sources) live in the loader.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.types import Lang, Verdict

LANGS: tuple[Lang, ...] = ("fr", "en")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
MAX_WEIGHT = 10.0


class Kind(StrEnum):
    technical = "technical"
    behavioral = "behavioral"


class Level(StrEnum):
    basic = "basic"
    intermediate = "intermediate"
    advanced = "advanced"


LEVEL_ORDER = {Level.basic: 0, Level.intermediate: 1, Level.advanced: 2}


class Localized(BaseModel):
    """A text that exists in French and in English: the bank is bilingual throughout."""

    model_config = ConfigDict(extra="forbid")

    fr: str
    en: str

    @field_validator("fr", "en")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value or not value.strip():
            raise ValueError("is empty")
        return value.strip()

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr


class RubricItem(BaseModel):
    """A key point (technical) or a quality (behavioral) that a good answer shows."""

    model_config = ConfigDict(extra="forbid")

    id: str
    weight: float = Field(description="Relative importance, in (0, 10].")
    text: Localized
    keywords: list[str] = Field(default_factory=list)
    hint: Localized | None = Field(
        default=None, description="Optional: a nudge toward this point for the mock interview, never its answer."
    )

    @field_validator("id")
    @classmethod
    def _id_format(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError(f"rubric id {value!r} must be lowercase letters, digits and dashes")
        return value

    @field_validator("keywords", mode="before")
    @classmethod
    def _keywords_as_text(cls, value: object) -> object:
        """A coach writing `keywords: [504, 2FA]` means the text "504", not a number."""
        if isinstance(value, list):
            return [str(k) if isinstance(k, int | float) and not isinstance(k, bool) else k for k in value]
        return value

    @field_validator("weight")
    @classmethod
    def _weight_sense(cls, value: float) -> float:
        if math.isnan(value) or math.isinf(value) or value <= 0 or value > MAX_WEIGHT:
            raise ValueError(f"weight {value} must be a number greater than 0 and at most 10")
        return value


class FollowUp(Localized):
    """A question an interviewer asks next; `covers` optionally names the rubric items it digs into."""

    covers: list[str] = Field(default_factory=list)


class CalibrationSample(BaseModel):
    """A sample answer with the grade a coach expects.

    `judge eval` measures the graders against these, and the LLM judge sees the two closest to the
    answer it grades as worked examples. `verdicts` (rubric id -> verdict) is set when the sample
    comes from a coach's review of a real attempt, item by item.
    """

    model_config = ConfigDict(extra="forbid")

    lang: Lang
    answer: str = Field(min_length=1)
    expected_score: float = Field(ge=0, le=10)
    verdicts: dict[str, Verdict] = Field(default_factory=dict)


def _localized_texts(data: dict) -> list[dict]:
    """Every {fr, en} text of raw question data: prompt, reference, hint, rubric texts and hints, follow-ups."""
    texts = [data.get(key) for key in ("prompt", "reference_answer", "hint")]
    for item in data.get("rubric") or []:
        if isinstance(item, dict):
            texts += [item.get("text"), item.get("hint")]
    texts += list(data.get("follow_ups") or [])
    return [text for text in texts if isinstance(text, dict)]


class Question(BaseModel):
    """One interview question, with everything needed to ask it and grade an answer."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: Kind
    level: Level
    topics: list[str] = Field(min_length=1)
    origin: str | None = None
    origin_rank: int | None = Field(default=None, ge=1)
    prompt: Localized
    reference_answer: Localized
    rubric: list[RubricItem]
    follow_ups: list[FollowUp] = Field(default_factory=list)
    hint: Localized | None = Field(
        default=None,
        description="Optional: a nudge written for this question (what to think about, not the answer), "
        "given first when a candidate asks the mock interviewer for a hint.",
    )
    sources: list[str] = Field(default_factory=list)
    calibration: list[CalibrationSample] = Field(default_factory=list)
    languages: list[Lang] = Field(
        default_factory=lambda: list(LANGS),
        description="The languages the question is written in. Derived: a question whose texts are all "
        "blank in one language is written in the other only (its texts serve both, marked as such).",
    )

    @model_validator(mode="before")
    @classmethod
    def _written_in(cls, data: object) -> object:
        """A question written in one language only: fill the other side of each text with it, and say so.

        Only when one language is blank in *every* text: a text missing here and there is a mistake,
        which the per-field check reports where it is.
        """
        if not isinstance(data, dict) or data.get("languages"):
            return data
        texts = _localized_texts(data)
        blank = {lang: all(not str(text.get(lang) or "").strip() for text in texts) for lang in LANGS}
        if not texts or blank["fr"] == blank["en"]:
            return data
        written, missing = ("en", "fr") if blank["fr"] else ("fr", "en")
        data = {**data, "languages": [written]}
        for key in ("prompt", "reference_answer", "hint"):
            if isinstance(data.get(key), dict):
                data[key] = {**data[key], missing: data[key].get(written)}
        data["rubric"] = [
            {**item, "text": {**item["text"], missing: item["text"].get(written)},
             **({"hint": {**item["hint"], missing: item["hint"].get(written)}} if isinstance(item.get("hint"), dict)
                else {})}
            if isinstance(item, dict) and isinstance(item.get("text"), dict) else item
            for item in data.get("rubric") or []
        ]  # fmt: skip
        data["follow_ups"] = [
            {**f, missing: f.get(written)} if isinstance(f, dict) else f for f in data.get("follow_ups") or []
        ]
        return data

    @field_validator("id")
    @classmethod
    def _id_format(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError(f"id {value!r} must be 2-80 lowercase letters, digits and dashes")
        return value

    @model_validator(mode="after")
    def _rubric_sense(self) -> Question:
        if not self.rubric:
            raise ValueError("rubric is empty: a question needs at least one key point or quality")
        ids = [item.id for item in self.rubric]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"rubric item ids repeat: {', '.join(duplicates)}")
        if self.origin_rank is not None and not self.origin:
            raise ValueError("origin_rank is set without an origin")
        for number, follow_up in enumerate(self.follow_ups, start=1):
            unknown = sorted(set(follow_up.covers) - set(ids))
            if unknown:
                raise ValueError(f"follow-up {number} covers unknown rubric ids: {', '.join(unknown)}")
        for number, sample in enumerate(self.calibration, start=1):
            unknown = sorted(set(sample.verdicts) - set(ids))
            if unknown:
                raise ValueError(
                    f"calibration sample {number} has verdicts for unknown rubric ids: {', '.join(unknown)}"
                )
        return self

    @property
    def total_weight(self) -> float:
        return sum(item.weight for item in self.rubric)

    def written_in(self, lang: str) -> bool:
        """False when the question exists in the other language only (a reader of `lang` sees it marked)."""
        return lang in self.languages

    def prompt_in(self, lang: str) -> str:
        return self.prompt.get(lang)
