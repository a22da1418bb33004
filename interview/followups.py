"""Which follow-up to ask, and how to nudge without giving the answer away.

A human interviewer digs where the answer was thin: the rubric items the grade found missing
(not met before partly met), the heaviest first, one per follow-up. The question asked is always
one of the question's own authored `follow_ups`: the one that addresses the missing item when the
bank says so (`covers`) or its keywords show it, else the first one not asked yet. With an LLM, the
persona may word its own probe on the missing item; the authored follow-up is its fallback.

A hint is written for the question (`hint` on the question or on a rubric item). Without one, the
fallback names the *topic* of the missing item in plain words (its keywords that occur in its own
text, so they are in the interview's language), never a fragment of the rubric's wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.i18n import say
from core.types import Grade, Verdict
from knowledge.language import fold_accents
from question_bank.model import Question, RubricItem

MAX_TOPIC_KEYWORDS = 3
MAX_CLAUSE_CHARS = 90
_CLAUSE_END = re.compile(r"\s[-–—]\s|\s\(|:\s|;\s|\.\s")
_VERDICT_ORDER = {Verdict.not_met: 0, Verdict.partly_met: 1}
_WORD = re.compile(r"[a-z0-9+#]+")


@dataclass(frozen=True)
class Probe:
    """One follow-up: an authored bank follow-up, and the rubric item it digs into when one is known.

    `item_id` is the missing item the interviewer is after (a model persona words its probe on it);
    `addresses_item` says whether the authored question itself is about that item, so a hint or an
    "I don't know" on this follow-up can speak to it.
    """

    item_id: str | None
    question: str  # the authored follow-up, in the interview's language, asked word for word
    bank_index: int
    point: str = ""  # the missing item's rubric text: for the model persona only, never shown
    addresses_item: bool = False

    @property
    def focus_item(self) -> str | None:
        """The rubric item this follow-up is about, if the bank (or its keywords) says so."""
        return self.item_id if self.addresses_item else None


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


def keyword_topic(item: RubricItem, lang: str) -> str | None:
    """The item's keywords found in its own text (in `lang`), in text order; None when none is there."""
    text = item.text.get(lang)
    folded_text = fold_accents(text).lower()
    found: list[tuple[int, str]] = []
    for keyword in item.keywords:
        position = folded_text.find(fold_accents(keyword).lower())
        if position >= 0 and all(keyword.lower() != k.lower() for _, k in found):
            found.append((position, keyword))
    if found:
        return join_words([k for _, k in sorted(found)[:MAX_TOPIC_KEYWORDS]], lang)
    return None


def topic_of(item: RubricItem, lang: str) -> str:
    """What an item is about: its keyword topic, else its first clause (for a model's context only)."""
    return keyword_topic(item, lang) or first_clause(item.text.get(lang))


def words_of(text: str) -> list[str]:
    """Lower-case, accent-folded words with a plural 's' removed: 'Outils' and 'outil' match."""
    words = _WORD.findall(fold_accents(text).lower())
    return [w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words]


def _contains(haystack: list[str], needle: list[str]) -> bool:
    size = len(needle)
    return bool(size) and any(haystack[i : i + size] == needle for i in range(len(haystack) - size + 1))


def keyword_hits(item: RubricItem, text: str) -> int:
    """How many of the item's keywords occur in `text` as whole words."""
    words = words_of(text)
    return sum(_contains(words, words_of(keyword)) for keyword in item.keywords)


def follow_up_items(question: Question, index: int) -> set[str]:
    """The rubric items a follow-up addresses: its `covers` if written, else the item(s) its keywords match best."""
    follow_up = question.follow_ups[index]
    if follow_up.covers:
        return set(follow_up.covers)
    text = f"{follow_up.fr}\n{follow_up.en}"
    hits = {item.id: keyword_hits(item, text) for item in question.rubric}
    best = max(hits.values(), default=0)
    return {item_id for item_id, count in hits.items() if count == best} if best > 0 else set()


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
    """The next follow-up, always an unused authored one (None when all were asked).

    First choice: an authored follow-up that addresses a missing item (heaviest missing first).
    Else the first unused follow-up, still aimed (for a model persona) at the heaviest missing item.
    """
    unused = [i for i in range(len(question.follow_ups)) if i not in used_bank]
    if not unused:
        return None
    missing = [item for item in missing_items(question, grade) if item.id not in probed_items]
    for item in missing:
        for index in unused:
            if item.id in follow_up_items(question, index):
                return Probe(item.id, question.follow_ups[index].get(lang), index, item.text.get(lang), True)
    index = unused[0]
    text = question.follow_ups[index].get(lang)
    if missing:
        return Probe(missing[0].id, text, index, missing[0].text.get(lang), False)
    covered = sorted(follow_up_items(question, index))
    return Probe(covered[0] if len(covered) == 1 else None, text, index, "", len(covered) == 1)


def hint_item(question: Question, grade: Grade | None, hinted: set[str] | frozenset[str]) -> RubricItem | None:
    """The item a hint should point to: the heaviest one still missing (all items before any grade)."""
    candidates = (
        missing_items(question, grade) if grade is not None else sorted(question.rubric, key=lambda item: -item.weight)
    )
    for item in candidates:
        if item.id not in hinted:
            return item
    return None


def follow_up_point(question: Question, probe: Probe, grade: Grade | None) -> RubricItem | None:
    """The rubric item an authored follow-up asks about, for "I don't know" to teach that and not another.

    The probe's own item when the follow-up addresses it; else, when the bank links the follow-up to
    other items (`covers`, or its keywords), the one of those the grade misses most (the heaviest
    otherwise). None when nothing says what the follow-up is about.
    """
    linked = follow_up_items(question, probe.bank_index)
    if probe.item_id is not None and (probe.addresses_item or probe.item_id in linked):
        linked = {probe.item_id}
    items = [item for item in question.rubric if item.id in linked]
    if not items:
        return None
    missing = [item for item in missing_items(question, grade) if item.id in linked]
    return (missing or sorted(items, key=lambda item: -item.weight))[0]
