"""The course reader's documents: a cited passage opened in its whole page, in the reader's language.

A citation names a source (`fr/rag-pipeline.md`, or an uploaded file) and a heading path. The
French and English twins of a corpus page share their section numbers (see `knowledge.chunking`),
so a passage cited from the French page opens at the same section of the English page for an
English reader. Only the shipped corpus and the coach's uploads can be opened: a source is a corpus
page's name or an upload's (`upload/<name>`, read from the database), never a path the browser chooses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge.chunking import HEADING_SEPARATOR, split_sections
from knowledge.documents import DocumentError, UploadedFiles, read_document, upload_name

LANGS = ("fr", "en")


@dataclass(frozen=True)
class ReaderSection:
    ordinal: int  # 0: the text before the first heading
    heading_path: tuple[str, ...]
    body: str

    @property
    def title(self) -> str:
        return self.heading_path[-1] if self.heading_path else ""

    @property
    def level(self) -> int:
        return len(self.heading_path)


@dataclass(frozen=True)
class CourseDocument:
    source: str
    lang: str
    title: str
    sections: list[ReaderSection]
    translated: bool = False  # the reader's-language twin of the cited page

    def section(self, ordinal: int | None) -> ReaderSection | None:
        return next((s for s in self.sections if s.ordinal == ordinal), None)


def _inside(folder: Path, candidate: Path) -> bool:
    try:
        return folder.resolve() in candidate.resolve().parents
    except OSError:
        return False


def _locate(source: str, corpus_dir: Path, uploads: UploadedFiles | None) -> tuple[Path, bytes | None] | None:
    """(file, its bytes if not on disk) of a corpus page or an upload; None for anything else."""
    name = upload_name(source)
    if name is not None:
        data = uploads.read(name) if uploads is not None else None
        return (Path(name), data) if data is not None else None
    candidate = Path(source)
    if candidate.is_absolute():
        return None
    path = corpus_dir / candidate
    return (path, None) if _inside(corpus_dir, path) and path.is_file() and path.suffix == ".md" else None


def twin_source(source: str, lang: str, corpus_dir: Path) -> str:
    """`fr/x.md` -> `en/x.md` for an English reader, when that twin exists; else the source itself."""
    parts = Path(source).parts
    if len(parts) != 2 or parts[0] not in LANGS or parts[0] == lang or lang not in LANGS:
        return source
    twin = f"{lang}/{parts[1]}"
    return twin if (corpus_dir / twin).is_file() else source


def read_course_document(
    source: str, corpus_dir: Path, uploads: UploadedFiles | None, max_bytes: int
) -> CourseDocument | None:
    found = _locate(source, corpus_dir, uploads)
    if found is None:
        return None
    try:
        document = read_document(found[0], source, max_bytes, data=found[1])
    except DocumentError:
        return None
    sections = [ReaderSection(s.ordinal, s.heading_path, s.body) for s in split_sections(document.text)]
    return CourseDocument(source, document.language, document.title, sections)


def cited_ordinal(document: CourseDocument, heading: str) -> int | None:
    """The section a citation's heading path ("Page > Section") points to."""
    wanted = heading.strip()
    for section in document.sections:
        if HEADING_SEPARATOR.join(section.heading_path) == wanted:
            return section.ordinal
    return None


def open_passage(
    source: str,
    lang: str,
    *,
    corpus_dir: Path,
    uploads: UploadedFiles | None,
    max_bytes: int,
    heading: str | None = None,
    ordinal: int | None = None,
) -> tuple[CourseDocument, int | None] | None:
    """(the document in the reader's language, the cited section's ordinal), or None if it cannot be opened."""
    cited = read_course_document(source, corpus_dir, uploads, max_bytes)
    if cited is None:
        return None
    if heading and ordinal is None:
        ordinal = cited_ordinal(cited, heading)
    twin = twin_source(source, lang, corpus_dir)
    if twin == source:
        return cited, ordinal if cited.section(ordinal) else None
    translated = read_course_document(twin, corpus_dir, uploads, max_bytes)
    if translated is None:
        return cited, ordinal if cited.section(ordinal) else None
    translated = CourseDocument(translated.source, translated.lang, translated.title, translated.sections, True)
    return translated, ordinal if translated.section(ordinal) else None


def corpus_pages(corpus_dir: Path, lang: str, max_bytes: int) -> list[tuple[str, str]]:
    """(source, title) of every corpus page in `lang`, by title: the reader's table of contents."""
    pages = []
    for path in sorted((corpus_dir / lang).glob("*.md")):
        source = f"{lang}/{path.name}"
        document = read_course_document(source, corpus_dir, None, max_bytes)
        if document is not None:
            pages.append((source, document.title))
    return sorted(pages, key=lambda page: page[1].lower())


def page_title(source: str, lang: str, corpus_dir: Path, uploads: UploadedFiles | None, max_bytes: int) -> str:
    """The title a reader sees for a source (its twin's, in `lang`); the file name if it cannot be read."""
    document = read_course_document(twin_source(source, lang, corpus_dir), corpus_dir, uploads, max_bytes)
    return document.title if document is not None else Path(source).name
