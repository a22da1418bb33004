"""How long a candidate waits for an LLM grade, from a measured token budget.

The figures below come from `bench/judge.py --budget`: replies written by hand the way a capable
model answers the judge's prompt (`bench/data/judge_replies/`, 48 replies to 24 bank questions,
half French, half English), counted with a real tokenizer (SmolLM2's, harsher on French than
Qwen's or Llama's, so the waits are on the safe side). `tests/test_grading_budget.py` recounts
them, so they cannot drift from the replies or the prompt. Measured: 216 tokens before the score
(English 200, French 240: 42 a rubric item) and 301 for the whole grade. The verdicts are short
because the prompt asks for them so: a quote of at most 8 words and none for an item not met, a
reason written as a note (6 words for a met item, 10 otherwise). Written to the previous prompt
(quotes of up to 10 words, reasons of up to 15), the same grades came to 288 before the score
(French 330), and a reply that held everything (verdicts, missing points, feedback, a stronger
answer) to about 720 before any score.

The speeds are rules of thumb for 4-bit quantised models, scaled by parameter count: token
generation is bound by memory bandwidth (a laptop CPU writes about 10 tokens/s with a 4B model, an
8 GB GPU about 60), reading the prompt by compute.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from evaluators.judge_reply import score_boundary

SCORE_TOKENS = 216
"""Median completion tokens before the score (the verdicts: a quote, a short reason and a verdict per item)."""
SCORE_TOKENS_P90 = 255
GRADE_TOKENS = 301
"""Median completion tokens of the whole default grade (the verdicts, misconceptions, feedback)."""
GRADE_TOKENS_P90 = 360
IMPROVE_TOKENS = 270
"""Median completion tokens of the "How do I improve?" reply (missing points and a stronger answer)."""
PROMPT_TOKENS = 1708
"""Median prompt tokens before the answer (instructions, rubric, reference, 4 excerpts): the reusable prefix."""
ANSWER_TOKENS = 148
"""Median tokens of a candidate's answer in the independent graded set."""
REFERENCE_SIZE_B = 4.0
"""The model size the speeds below are given for (qwen3:4b, the default model)."""


@dataclass(frozen=True)
class Hardware:
    """Speeds of a 4B model, 4-bit quantised, on one kind of machine."""

    name: str
    generate_per_s: float
    read_prompt_per_s: float
    memory_gb: float | None = None
    """GPU memory, where the model must fit; None for a CPU, whose RAM holds any model offered here."""


HARDWARE = (
    Hardware("cpu_laptop", generate_per_s=10, read_prompt_per_s=60),
    Hardware("gpu_8gb", generate_per_s=60, read_prompt_per_s=1500, memory_gb=8),
    Hardware("server", generate_per_s=120, read_prompt_per_s=5000, memory_gb=48),
)


def memory_gb(size_b: float) -> float:
    """GPU memory a 4-bit model needs, with an 8k-token context: about 0.6 GB a billion parameters, plus 1 GB."""
    return 0.6 * size_b + 1.0


@dataclass(frozen=True)
class Wait:
    """Seconds a candidate waits on one kind of machine."""

    hardware: str
    first_score_s: float
    """The score of the first answer to a question: the whole prompt is read."""
    score_s: float
    """The score of a later answer to the same question: the server's cache holds the prompt prefix."""
    grade_s: float
    """The whole default grade, feedback included (later answers)."""
    improve_s: float
    """"How do I improve?" after the grade."""
    fits: bool = True
    """False when the model does not fit in this machine's GPU memory."""


def model_size_b(model: str) -> float | None:
    """Billions of parameters read from a model name: qwen3:4b -> 4, Qwen2.5-1.5B -> 1.5, SmolLM2-135M -> 0.135."""
    match = re.search(r"(?<![\d.])(\d+(?:\.\d+)?)\s*([bm])(?![a-z])", model.lower())
    if match is None:
        return None
    value = float(match.group(1))
    return value / 1000 if match.group(2) == "m" else value


def expected_waits(model: str) -> list[Wait] | None:
    """The expected waits for `model` on each kind of machine; None when its size is not in its name."""
    size = model_size_b(model)
    if size is None or size <= 0:
        return None
    scale = REFERENCE_SIZE_B / size
    waits = []
    for hw in HARDWARE:
        generate, read = hw.generate_per_s * scale, hw.read_prompt_per_s * scale
        answer_s = ANSWER_TOKENS / read
        waits.append(
            Wait(
                hardware=hw.name,
                first_score_s=(PROMPT_TOKENS + ANSWER_TOKENS) / read + SCORE_TOKENS / generate,
                score_s=answer_s + SCORE_TOKENS / generate,
                grade_s=answer_s + GRADE_TOKENS / generate,
                improve_s=IMPROVE_TOKENS / generate,
                fits=hw.memory_gb is None or memory_gb(size) <= hw.memory_gb,
            )
        )
    return waits


def reply_tokens(grade_reply: str, improve_reply: str, count: Callable[[str], int]) -> tuple[int, int, int]:
    """(tokens before the score, tokens of the whole grade reply, tokens of the improve reply)."""
    text = grade_reply.strip()
    end = score_boundary(text)
    if end is None:
        raise ValueError("the grade reply has no complete 'criteria' object")
    return count(text[:end]), count(text), count(improve_reply.strip())
