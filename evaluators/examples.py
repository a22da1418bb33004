"""Coach-graded examples for the judge: the calibration samples closest to the answer being graded.

A judge calibrates better on a worked example of *this* question than on a rubric alone. Up to two
samples go into the prompt, the closest to the answer by embedding, samples in the answer's
language first (the embedding model is English-centred, so cross-language similarity says little).
A sample whose text is the answer itself is left out: showing the judge the expected grade of the
very answer it grades would make `judge eval` measure a lookup, not a judgement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from evaluators.guards import sanitize_answer, truncate_to_budget
from question_bank.model import CalibrationSample, Question

MAX_EXAMPLES = 2
EXAMPLE_CHAR_BUDGET = 450
"""Characters of one example answer in the prompt; the excerpts give up the same room (judge.py)."""


@dataclass(frozen=True)
class GradedExample:
    """One example as the judge's prompt shows it: the answer (cut, sanitised), the coach's score and verdicts."""

    answer: str
    score: float
    lang: str
    verdicts: dict[str, str] = field(default_factory=dict)


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def closest_examples(question: Question, answer: str, lang: str, *, limit: int = MAX_EXAMPLES) -> list[GradedExample]:
    """The `limit` calibration samples of `question` most similar to `answer`, as prompt examples."""
    own = _normalised(answer)
    samples = [s for s in question.calibration if _normalised(s.answer) != own]
    if not samples or limit <= 0:
        return []
    chosen = samples if len(samples) <= limit else _rank_by_similarity(samples, answer, lang)[:limit]
    return [_as_example(sample) for sample in chosen]


def _rank_by_similarity(samples: list[CalibrationSample], answer: str, lang: str) -> list[CalibrationSample]:
    from knowledge.embeddings import encode

    vectors = encode([answer, *(s.answer for s in samples)])
    similarity = vectors[1:] @ vectors[0]
    order = sorted(range(len(samples)), key=lambda i: (samples[i].lang != lang, -float(similarity[i]), i))
    return [samples[i] for i in order]


def _as_example(sample: CalibrationSample) -> GradedExample:
    text, _cut = truncate_to_budget(sanitize_answer(sample.answer).text, EXAMPLE_CHAR_BUDGET)
    return GradedExample(answer=text, score=sample.expected_score, lang=sample.lang, verdicts=dict(sample.verdicts))
