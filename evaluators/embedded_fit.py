"""Fit the embedded grader's weights on human-graded answers: `cli.py judge fit-embedded --set DIR ...`.

The grader's credit for an item is a logistic of its signals (see `evaluators.embedded.SIGNALS`);
this finds the weights that bring its scores closest to the human scores (mean absolute error, with
a small penalty on large weights), every weight kept non-negative but those of `LOWERING_SIGNALS`.
Fit on the tuning sets only, then measure on the held-out set with `cli.py judge eval`: a figure on
the answers the weights were fitted on says little.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from evaluators.embedded import LOWERING_SIGNALS, SIGNALS, TUNING, EmbeddedTuning, answer_signals, item_credits
from evaluators.guards import sanitize_answer
from evaluators.harness import GradedEntry
from question_bank.model import Question

L2_PENALTY = 0.001


@dataclass(frozen=True)
class FitSample:
    matrix: np.ndarray
    item_weights: np.ndarray
    human: float
    words: int
    stuffing: bool
    injection: bool
    rubric_copy: float = 0.0
    self_talk: bool = False


def collect_samples(entries: list[GradedEntry], questions: dict[str, Question]) -> list[FitSample]:
    """The signals of every entry whose question is in the bank, measured as the grader measures them."""
    samples = []
    for entry in entries:
        question = questions.get(entry.question_id)
        if question is None:
            continue
        sanitized = sanitize_answer(entry.answer)
        signals = answer_signals(question, sanitized.text, entry.lang, claims=bool(sanitized.claims))
        samples.append(
            FitSample(
                matrix=signals.matrix,
                item_weights=np.array([item.weight for item in question.rubric], dtype=float),
                human=entry.human_score,
                words=signals.words,
                stuffing=signals.stuffing,
                injection=sanitized.injection,
                rubric_copy=signals.rubric_copy,
                self_talk=signals.self_talk,
            )
        )
    return samples


def predicted_score(sample: FitSample, tuning: EmbeddedTuning) -> float:
    """The score the grader gives with `tuning` (the same caps as `item_credits`)."""
    from evaluators.embedded import AnswerSignals

    signals = AnswerSignals(sample.words, sample.stuffing, 0.0, sample.matrix, [], sample.rubric_copy, sample.self_talk)
    credits = item_credits(signals, sample.injection, tuning)
    return float(10 * (sample.item_weights @ credits) / sample.item_weights.sum())


def fit_tuning(samples: list[FitSample], start: EmbeddedTuning = TUNING) -> EmbeddedTuning:
    """Weights and bias minimising a smoothed mean absolute error against the human scores."""
    from scipy.optimize import minimize

    def tuning_of(params: np.ndarray) -> EmbeddedTuning:
        return replace(start, weights=tuple(float(w) for w in params[:-1]), bias=float(params[-1]))

    def loss(params: np.ndarray) -> float:
        tuning = tuning_of(params)
        errors = np.array([predicted_score(s, tuning) - s.human for s in samples])
        return float(np.mean(np.sqrt(errors * errors + 0.25)) + L2_PENALTY * np.sum(params * params))

    params = np.array([*start.weights, start.bias], dtype=float)
    # Non-negative weights: more of any signal never lowers a credit, as a fair examiner would want;
    # the lowering signals (stated absolutes) are the exception.
    bounds = [(None, None) if name in LOWERING_SIGNALS else (0.0, None) for name in SIGNALS] + [(None, None)]
    result = minimize(loss, params, method="L-BFGS-B", bounds=bounds)
    fitted = tuning_of(np.round(result.x, 4))
    return fitted
