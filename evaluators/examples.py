"""Coach-graded examples for the judge: a fixed pair of the question's calibration samples.

A judge calibrates better on a worked example of *this* question than on a rubric alone. Up to two
samples go into the prompt: the best and the worst graded, samples in the answer's language first,
so the judge sees both ends of the scale. The choice depends on the question and the language only,
never on the answer, so every answer to a question shares the prompt prefix a server's cache reuses
(the examples sit before the answer). A sample whose text is the answer itself is left out: showing
the judge the expected grade of the very answer it grades would make `judge eval` measure a lookup,
not a judgement.
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


def question_examples(question: Question, answer: str, lang: str, *, limit: int = MAX_EXAMPLES) -> list[GradedExample]:
    """Up to `limit` calibration samples of `question`: the highest and the lowest graded, `lang` first."""
    own = _normalised(answer)
    samples = [s for s in question.calibration if _normalised(s.answer) != own]
    if not samples or limit <= 0:
        return []
    if len(samples) > limit:
        in_lang = [s for s in samples if s.lang == lang]
        pool = in_lang if len(in_lang) >= limit else samples
        by_score = sorted(pool, key=lambda s: (-s.expected_score, s.answer))
        samples = [by_score[0], by_score[-1]][:limit] if limit >= 2 else by_score[:1]
    return [_as_example(sample) for sample in samples]


def _as_example(sample: CalibrationSample) -> GradedExample:
    text, _cut = truncate_to_budget(sanitize_answer(sample.answer).text, EXAMPLE_CHAR_BUDGET)
    return GradedExample(answer=text, score=sample.expected_score, lang=sample.lang, verdicts=dict(sample.verdicts))
