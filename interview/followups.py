"""Which follow-up to ask, and how to nudge without giving the answer away.

A human interviewer digs where the answer was thin: the rubric items the grade found missing
(not met before partly met), the heaviest first, one per follow-up. When nothing important is
missing, they go deeper with the question's own `follow_ups` from the bank instead.

Without an LLM, a probe or a hint names the *topic* of a rubric item, never its content: the item's
keywords that occur in its text (so they are in the interview's language), or failing that the
item's first clause ("Describes the pipeline stages"), which says what to talk about, not what to say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.i18n import say
from evaluators.grade import Grade, Verdict
from knowledge.language import fold_accents
from question_bank.model import Question, RubricItem

MAX_TOPIC_KEYWORDS = 3
MAX_CLAUSE_CHARS = 90
_CLAUSE_END = re.compile(r"\s[-–—]\s|\s\(|:\s|;\s|\.\s")
_VERDICT_ORDER = {Verdict.not_met: 0, Verdict.partly_met: 1}


@dataclass(frozen=True)
class Probe:
    """One follow-up: the rubric item it digs into, or a bank follow-up asked word for word."""

    item_id: str | None
    point: str  # the rubric item's text (what a good answer covers), or the bank follow-up
    topic: str  # what to talk about, safe to show the candidate
    bank_index: int | None = None

    @property
    def from_bank(self) -> bool:
        return self.bank_index is not None


def first_clause(text: str) -> str:
    """'Explains why - knowledge cut-off, ...' -> 'explains why'; cut at a word below 90 characters."""
    clause = _CLAUSE_END.split(text.strip(), maxsplit=1)[0].strip().rstrip(".,;:")
    if len(clause) > MAX_CLAUSE_CHARS:
        clause = clause[:MAX_CLAUSE_CHARS].rsplit(" ", 1)[0] + "…"
    if len(clause) > 1 and not clause[1].isupper():  # keep acronyms such as "RAG ..." as written
        clause = clause[0].lower() + clause[1:]
    return clause


def join_words(words: list[str], lang: str) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {say('word_and', lang)} {words[-1]}"


def topic_of(item: RubricItem, lang: str) -> str:
    """The item's keywords found in its own text (in `lang`), in text order; else its first clause."""
    text = item.text.get(lang)
    folded_text = fold_accents(text).lower()
    found: list[tuple[int, str]] = []
    for keyword in item.keywords:
        position = folded_text.find(fold_accents(keyword).lower())
        if position >= 0 and all(keyword.lower() != k.lower() for _, k in found):
            found.append((position, keyword))
    if found:
        return join_words([k for _, k in sorted(found)[:MAX_TOPIC_KEYWORDS]], lang)
    return first_clause(text)


def missing_items(question: Question, grade: Grade | None) -> list[RubricItem]:
    """Rubric items the grade did not credit in full: heaviest first, not met before partly met."""
    if grade is None:
        return []
    # A verdict whose quotes were rejected earned nothing: it is missing, whatever the judge said.
    verdicts = {c.id: c.verdict if c.evidence_ok else Verdict.not_met for c in grade.criteria}
    order = {item.id: i for i, item in enumerate(question.rubric)}
    missing = [item for item in question.rubric if verdicts.get(item.id, Verdict.not_met) != Verdict.met]
    return sorted(
        missing,
        key=lambda item: (-item.weight, _VERDICT_ORDER[verdicts.get(item.id, Verdict.not_met)], order[item.id]),
    )


def choose_probe(
    question: Question,
    grade: Grade | None,
    lang: str,
    *,
    probed_items: set[str] | frozenset[str] = frozenset(),
    used_bank: set[int] | frozenset[int] = frozenset(),
) -> Probe | None:
    """The next follow-up: the heaviest missing item not yet probed; else an unused bank follow-up."""
    for item in missing_items(question, grade):
        if item.id not in probed_items:
            return Probe(item_id=item.id, point=item.text.get(lang), topic=topic_of(item, lang))
    for index, follow_up in enumerate(question.follow_ups):
        if index not in used_bank:
            text = follow_up.get(lang)
            return Probe(item_id=None, point=text, topic=text, bank_index=index)
    return None


def hint_item(question: Question, grade: Grade | None, hinted: set[str] | frozenset[str]) -> RubricItem | None:
    """The item a hint should point to: the heaviest one still missing (all items before any grade)."""
    candidates = (
        missing_items(question, grade) if grade is not None else sorted(question.rubric, key=lambda item: -item.weight)
    )
    for item in candidates:
        if item.id not in hinted:
            return item
    return None
