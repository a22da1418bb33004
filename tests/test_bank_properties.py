"""Property-based tests: whatever a coach puts in a bank file, the loader answers, never crashes."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from bank_factory import make_question
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from question_bank import Question, load_bank
from question_bank.loader import load_topics
from question_bank.writer import dump_question

TOPICS = load_topics()
texts = st.text(min_size=1, max_size=200).filter(lambda s: s.strip() != "")
any_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=50))
nested = st.recursive(
    any_scalar,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


def load_text(text: str | bytes, name: str = "fuzz.yaml") -> tuple[list[Question], list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        bank = Path(tmp) / "bank"
        bank.mkdir()
        data = text.encode("utf-8", errors="surrogatepass") if isinstance(text, str) else text
        (bank / name).write_bytes(data)
        result = load_bank(bank, topics=TOPICS, lenient=True)
        return result.questions, [str(p) for p in result.problems]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_any_text_file_loads_or_is_reported(text: str) -> None:
    questions, problems = load_text(text)
    assert (len(questions), len(problems) > 0) in {(0, True), (1, False)}
    assert all(p.startswith("bank/fuzz.yaml") for p in problems)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=500))
def test_any_bytes_file_loads_or_is_reported(data: bytes) -> None:
    questions, problems = load_text(data)
    assert questions or problems


@settings(max_examples=100, deadline=None)
@given(nested)
def test_any_yaml_structure_is_reported_not_raised(value: object) -> None:
    questions, problems = load_text(yaml.safe_dump(value, allow_unicode=True))
    assert questions == [] and problems


@settings(max_examples=100, deadline=None)
@given(
    fr=texts,
    en=texts,
    weights=st.lists(st.floats(min_value=0.01, max_value=10, allow_nan=False), min_size=1, max_size=6),
)
def test_valid_questions_survive_a_yaml_round_trip(fr: str, en: str, weights: list[float]) -> None:
    question = make_question(
        "prop-q",
        prompt={"fr": fr, "en": en},
        rubric=[{"id": f"k{i}", "weight": w, "text": {"fr": fr, "en": en}} for i, w in enumerate(weights)],
        sources=[],
    )
    written = dump_question(Question.model_validate(question))  # the coach studio's writer
    questions, problems = load_text(written, "prop-q.yaml")
    assert problems == []
    [loaded] = questions
    assert loaded.prompt.fr.split() == fr.split() and loaded.prompt.en.split() == en.split()
    assert [r.weight for r in loaded.rubric] == weights
    assert dump_question(loaded) == written  # a second save changes nothing


@settings(max_examples=100, deadline=None)
@given(weight=st.one_of(st.floats(max_value=0), st.floats(min_value=10.0001), st.just(float("nan"))))
def test_senseless_weights_are_always_refused(weight: float) -> None:
    question = make_question("prop-w")
    question["rubric"][0]["weight"] = weight
    questions, problems = load_text(yaml.safe_dump(question), "prop-w.yaml")
    assert questions == [] and any("rubric.0.weight" in p for p in problems)
