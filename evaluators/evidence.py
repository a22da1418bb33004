"""Evidence checks: is a quote really in the answer, and is it really about its rubric item?

The judge must back every verdict with quotes. A quote earns credit only if it appears in the
answer the graders saw (injected spans already removed) and relates to the item it is offered for;
otherwise a model that invents or misplaces quotes, honestly or because an answer talked it into
it, cannot turn them into points.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from evaluators.embedded import item_anchors, keyword_hits  # the embedded grader's item material
from evaluators.guards import fold_for_matching
from question_bank.model import Question

EVIDENCE_MIN_SIMILARITY = 0.40
"""Cosine between a quote and its item (its text or the reference sentence that covers it) below
which the quote is not about that item. Measured with a fake honest judge on tests/data/graded:
0.40 keeps 92% of relevant quotes and drops over half of the quotes a gullible judge misplaces."""
KEYWORD_MIN_SIMILARITY = 0.30
"""With one of the item's keywords in the quote, a weaker similarity is enough."""
MIN_QUOTE_LETTERS = 3
QUOTE_MATCH_RATIO = 0.85
"""A quote may differ from the answer by a typo or a dropped article, not by a paraphrase."""


def quote_in_answer(quote: str, folded_answer: str) -> bool:
    """True when `quote` appears in the answer (given as `fold_for_matching` text), small fuzz allowed.

    Each piece of a quote elided with "..." must appear; case, accents, quotes, homoglyphs and
    whitespace do not matter; a piece with fewer than 3 letters proves nothing and fails.
    """
    pieces = [p.strip(" \"'.,;:-") for p in fold_for_matching(quote).split("...")]
    pieces = [p for p in pieces if p]
    if not pieces:
        return False
    return all(_piece_in(piece, folded_answer) for piece in pieces)


def _piece_in(piece: str, folded_answer: str) -> bool:
    if sum(ch.isalpha() for ch in piece) < MIN_QUOTE_LETTERS:
        return False
    if piece in folded_answer:
        return True
    words, piece_words = folded_answer.split(" "), piece.split(" ")
    size = len(piece_words)
    if size < 3 or size > len(words) + 1:
        return False  # short quotes must match exactly: fuzz on two words is a different phrase
    best = 0.0
    for width in (size - 1, size, size + 1):
        for start in range(0, max(1, len(words) - width + 1)):
            window = " ".join(words[start : start + width])
            matcher = SequenceMatcher(None, piece, window, autojunk=False)
            if matcher.real_quick_ratio() < QUOTE_MATCH_RATIO or matcher.quick_ratio() < QUOTE_MATCH_RATIO:
                continue
            best = max(best, matcher.ratio())
            if best >= QUOTE_MATCH_RATIO:
                return True
    return False


def evidence_supports(question: Question, lang: str, answer: str, claimed: dict[str, list[str]]) -> dict[str, bool]:
    """For each rubric item id credited by the judge: are its quotes in `answer` and about that item?

    Every quote must be found (a made-up quote discredits the verdict), and at least one must be
    close to the item's text or to the sentence of the reference answer that covers the item.
    """
    folded_answer = fold_for_matching(answer)
    found = {item_id: bool(quotes) and all(quote_in_answer(q, folded_answer) for q in quotes)
             for item_id, quotes in claimed.items()}  # fmt: skip
    to_embed = [(item_id, q) for item_id, quotes in claimed.items() if found[item_id] for q in quotes]
    if not to_embed:
        return found
    from knowledge.embeddings import encode

    anchors = item_anchors(question, lang)
    keywords = {item.id: item.keywords for item in question.rubric}
    vectors = encode([q for _, q in to_embed])
    related: dict[str, bool] = {}
    for (item_id, quote), vector in zip(to_embed, vectors, strict=True):
        similarity = float((anchors[item_id] @ vector).max())
        threshold = KEYWORD_MIN_SIMILARITY if keyword_hits(quote, keywords[item_id]) else EVIDENCE_MIN_SIMILARITY
        related[item_id] = related.get(item_id, False) or similarity >= threshold
    return {item_id: ok and related.get(item_id, False) for item_id, ok in found.items()}
