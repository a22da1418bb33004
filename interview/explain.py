"""What the interviewer teaches after "I don't know": the missing key point in a few sentences, and where to read.

Without an LLM, the explanation is taken from the question's reference answer in the interview's
language: the sentences that speak most to the missing rubric item (its keywords and words), two or
three of them, in their order. They are shown as whole sentences after the interviewer's own, so
they must read well on their own: taken from one paragraph (a neighbour across a paragraph break
belongs to another point), with a leading connective ("Finally, ...", "Enfin, ...") removed, since
what it connects to is not shown. The reading is the question's source in that language, named by
the corpus document's first heading and the section that best matches the item, never by its file path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from interview.followups import keyword_hits, words_of
from question_bank.model import Question, RubricItem

MAX_SENTENCES = 3
MAX_EXPLANATION_CHARS = 520
MAX_SOURCE_BYTES = 2_000_000
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Ý0-9«“\"(])")
_CONNECTIVE = re.compile(
    r"^(?:(?:enfin|ensuite|puis|donc|mais|et|de plus|en outre|par ailleurs|cependant|toutefois|pourtant|finally|"
    r"then|also|but|and|however|moreover|furthermore|besides|in addition|thus|so)\b,?"
    r"|(?:alors|aussi|next|still|yet),)\s+",
    re.IGNORECASE,
)
"""A word that links a sentence to the one before it: meaningless once the sentence stands alone."""
_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
_STOP = {
    "the", "and", "for", "with", "that", "this", "its", "from", "are", "les", "des", "une", "pour", "avec", "dans",
    "qui", "que", "est", "sur", "par", "aux", "son", "ses", "leur", "plus", "not", "explain", "describe",
    "explique", "decrit", "mention", "mentionne", "cite", "name", "give", "donne",
}  # fmt: skip


@dataclass(frozen=True)
class Passage:
    """Where to read about a point: the document's title and, when one matches, a section heading."""

    title: str
    section: str | None = None


def _item_words(item: RubricItem, lang: str) -> set[str]:
    return {w for w in words_of(item.text.get(lang)) if len(w) > 2 and w not in _STOP}


def _relevance(text: str, item: RubricItem, lang: str) -> float:
    words = set(words_of(text))
    return 2.0 * keyword_hits(item, text) + len(words & _item_words(item, lang)) / 2


def sentences(text: str) -> list[str]:
    return [s for paragraph in paragraphs(text) for s in paragraph]


def paragraphs(text: str) -> list[list[str]]:
    """The text's paragraphs (its non-empty lines), each as its list of sentences."""
    split = ([s.strip() for s in _SENTENCE_END.split(line) if s.strip()] for line in text.split("\n"))
    return [paragraph for paragraph in split if paragraph]


def standalone(text: str) -> str:
    """'Finally, detect and react: ...' -> 'Detect and react: ...': a first sentence that needs nothing before it."""
    text = _CONNECTIVE.sub("", text.strip(), count=1)
    return text[:1].upper() + text[1:]


def _chosen(scores: list[float], best: int, parts: list[str]) -> list[int]:
    """The best sentence, its better neighbour, and a third one that speaks to the item too (if short enough)."""
    chosen = [best]
    neighbours = [i for i in (best + 1, best - 1) if 0 <= i < len(parts)]
    if neighbours:  # two sentences at least: the point, and what leads to it or follows from it
        chosen.append(max(neighbours, key=lambda i: (scores[i], i > best)))
    for extra in (min(chosen) - 1, max(chosen) + 1):
        if len(chosen) >= MAX_SENTENCES or not 0 <= extra < len(parts) or not scores[extra] >= scores[best] / 2 > 0:
            continue
        candidate = sorted([*chosen, extra])
        if len(" ".join(parts[i] for i in candidate)) <= MAX_EXPLANATION_CHARS:
            chosen = candidate
    return sorted(chosen)


def explanation(question: Question, item: RubricItem, lang: str) -> str:
    """Two or three whole sentences of the reference answer about `item`: the best one and its neighbours.

    Neighbours come from the best sentence's paragraph, which is about one point; a paragraph of one
    sentence borrows the next paragraph's first sentence (or the previous one's last) to make two.
    """
    parts: list[str] = []
    paragraph_of: list[int] = []
    for number, paragraph in enumerate(paragraphs(question.reference_answer.get(lang))):
        parts += paragraph
        paragraph_of += [number] * len(paragraph)
    if not parts:
        return ""
    scores = [_relevance(s, item, lang) for s in parts]
    best = max(range(len(parts)), key=lambda i: (scores[i], -i))
    same = [i for i in range(len(parts)) if paragraph_of[i] == paragraph_of[best]]
    if len(same) == 1:
        same = [i for i in (best - 1, best, best + 1) if 0 <= i < len(parts)]
    local = [scores[i] for i in same]
    chosen = [same[i] for i in _chosen(local, same.index(best), [parts[i] for i in same])]
    return " ".join([standalone(parts[chosen[0]]), *(parts[i] for i in chosen[1:])])


def _markdown_outline(text: str) -> tuple[str | None, list[tuple[str, str]]]:
    """The first heading of a Markdown text, and its (section heading, section text) pairs."""
    if text.startswith("---"):
        end = text.find("\n---", 3)
        text = text[end + 4 :] if end >= 0 else text
    title: str | None = None
    sections: list[tuple[str, str]] = []
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            if title is None:
                title = heading.group(2)
            elif len(heading.group(1)) > 1:
                sections.append((heading.group(2), ""))
        elif sections:
            sections[-1] = (sections[-1][0], sections[-1][1] + "\n" + line)
    return title, sections


def readable_name(source: str) -> str:
    """'fr/tools-and-mcp.md' -> 'Tools and mcp': the last resort when a document cannot be read."""
    stem = Path(source).stem.replace("-", " ").replace("_", " ").strip()
    return stem[:1].upper() + stem[1:] if stem else source


def source_for(question: Question, lang: str) -> str | None:
    """The question's source in `lang` (its first one otherwise)."""
    preferred = [s for s in question.sources if s.startswith(f"{lang}/")]
    return (preferred or question.sources or [None])[0]


def passage(source: str, corpus_dir: Path | None, item: RubricItem | None = None, lang: str = "en") -> Passage:
    """The readable title of a corpus document, and the section that best matches `item`."""
    text = ""
    if corpus_dir is not None:
        path = (corpus_dir / source).resolve()
        try:
            if corpus_dir.resolve() in path.parents and path.stat().st_size <= MAX_SOURCE_BYTES:
                text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
    title, sections = _markdown_outline(text)
    section = None
    if item is not None and sections:
        scores = [_relevance(f"{head}\n{head}\n{body}", item, lang) for head, body in sections]
        best = max(range(len(sections)), key=lambda i: (scores[i], -i))
        section = sections[best][0] if scores[best] > 0 else None
    return Passage(title or readable_name(source), section)
