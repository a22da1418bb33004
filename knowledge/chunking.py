"""Split a document along its structure: one section per heading, then bounded pieces with overlap.

Why structure first: a section is a unit of meaning, its heading path makes a readable citation
("RAG > Chunking"), and the French and English twins of a corpus page share their section numbers,
which lets retrieval merge the two languages. Why a size bound: all-MiniLM-L6-v2 reads at most 256
word pieces (about 1,000 characters of English, fewer of French); text past that is not embedded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
HEADING_SEPARATOR = " > "


@dataclass(frozen=True)
class ChunkingSettings:
    """The knobs that change chunk boundaries; their signature is stored with the index."""

    max_chars: int = 1000
    overlap_chars: int = 150
    version: int = 1  # bump when the algorithm changes, so existing stores rebuild

    def __post_init__(self) -> None:
        if self.max_chars < 100:
            raise ValueError(f"max_chars={self.max_chars} is too small (at least 100)")
        if not 0 <= self.overlap_chars < self.max_chars // 2:
            raise ValueError(f"overlap_chars={self.overlap_chars} must be in [0, max_chars/2)")

    def signature(self) -> str:
        return f"structure-v{self.version}:max={self.max_chars}:overlap={self.overlap_chars}:prefix=title+headings"


@dataclass(frozen=True)
class Section:
    ordinal: int  # 0 = text before the first heading; then one per heading, empty or not
    heading_path: tuple[str, ...]
    body: str


@dataclass(frozen=True)
class Chunk:
    text: str  # the passage itself, shown to the user
    heading_path: tuple[str, ...]
    section: int
    piece: int  # index of this piece within its section
    position: int  # index of this chunk within its document

    @property
    def heading(self) -> str:
        return HEADING_SEPARATOR.join(self.heading_path)

    def context_prefix(self, title: str) -> str:
        """Title and headings put before the text for embedding and BM25: a chunk alone often lacks its topic."""
        path = list(self.heading_path)
        if not path or path[0].strip().lower() != title.strip().lower():
            path.insert(0, title)
        return HEADING_SEPARATOR.join(path) + "\n\n"


def split_sections(text: str) -> list[Section]:
    """Markdown-like text to sections; `#` lines inside fenced code blocks are not headings."""
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    ordinal = 0
    lines: list[str] = []
    in_fence = False

    def close() -> None:
        body = "\n".join(lines).strip()
        sections.append(Section(ordinal, tuple(title for _, title in stack), body))

    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            lines.append(line)
            continue
        close()
        level, title = len(match.group(1)), match.group(2).strip()
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        ordinal += 1
        lines = []
    close()
    return sections


def chunk_text(text: str, settings: ChunkingSettings | None = None) -> list[Chunk]:
    """Chunks in document order; sections over `max_chars` are cut at paragraph, line, sentence, word."""
    settings = settings or ChunkingSettings()
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=settings.max_chars,
        chunk_overlap=settings.overlap_chars,
        separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
        keep_separator="end",
        strip_whitespace=True,
    )
    chunks: list[Chunk] = []
    for section in split_sections(text):
        if not section.body:
            continue
        pieces = [section.body] if len(section.body) <= settings.max_chars else splitter.split_text(section.body)
        for piece_index, piece in enumerate(p for p in pieces if p.strip()):
            chunks.append(Chunk(piece.strip(), section.heading_path, section.ordinal, piece_index, len(chunks)))
    return chunks


def count_sections(text: str) -> int:
    return len(split_sections(text))
