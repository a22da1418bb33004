"""Read knowledge files (Markdown, plain text, PDF, HTML) into one Markdown-like text with metadata.

Every file a coach hands us goes through `read_document`, which refuses bad input with a message
naming the file and the problem (empty, binary, not UTF-8, too large, a PDF without text...), so the
indexer can report it and carry on with the other files instead of losing what is already indexed.
Headings come out as `#` lines whatever the format, so one chunker serves every format.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml

from knowledge.language import detect_language

SUPPORTED_SUFFIXES = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
}
SUPPORTED_LIST = ", ".join(SUPPORTED_SUFFIXES)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
_HTML_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_HTML_BLOCKS = ("p", "li", "pre", "blockquote", "tr", "dt", "dd", "div", "section", "article", "table", "ul", "ol")
_UNSAFE_NAME_CHARS = re.compile(r"[^\w.\- ]+", re.UNICODE)
UPLOAD_PREFIX = "upload/"


class UploadedFiles(Protocol):
    """The coach's uploads (storage.documents.UploadedDocuments): listed with their hashes, read by name."""

    def listing(self) -> list: ...  # objects with `.name` and `.content_hash`

    def read(self, name: str) -> bytes | None: ...


class DocumentError(ValueError):
    """A file that cannot be indexed; the message names the file and says what is wrong."""


@dataclass(frozen=True)
class Document:
    source: str  # stable id: "fr/rag-pipeline.md" in the corpus, "upload/<name>" for an upload, else the absolute path
    path: Path
    title: str
    language: str
    topics: tuple[str, ...]
    text: str  # Markdown-like: headings as `#` lines, paragraphs separated by blank lines
    content_hash: str
    kind: str


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def source_for(path: Path, corpus_dir: Path | None) -> str:
    """Corpus files are named relative to the corpus (as question `sources` are); others by absolute path."""
    resolved = path.resolve()
    if corpus_dir is not None:
        root = corpus_dir.resolve()
        if root in resolved.parents:
            return resolved.relative_to(root).as_posix()
    return resolved.as_posix()


def collect_files(paths: list[Path], corpus_dir: Path | None = None) -> tuple[list[tuple[Path, str]], list[str]]:
    """Expand files and folders into (file, source) pairs; each unusable path becomes one error message."""
    found: dict[str, Path] = {}
    errors: list[str] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            errors.append(f"{path}: no such file or folder")
        elif path.is_dir():
            files = [
                f
                for f in sorted(path.rglob("*"))
                if f.is_file()
                and f.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(path).parts)
            ]
            if not files:
                errors.append(f"{path}: this folder has no supported files ({SUPPORTED_LIST})")
            for f in files:
                found.setdefault(source_for(f, corpus_dir), f)
        elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
            errors.append(f"{path}: unsupported file type {path.suffix or '(none)'!r}; supported: {SUPPORTED_LIST}")
        else:
            found.setdefault(source_for(path, corpus_dir), path)
    return [(p, s) for s, p in found.items()], errors


def read_document(path: Path, source: str, max_bytes: int, data: bytes | None = None) -> Document:
    """Parse one file; raise DocumentError with a clear reason when it cannot be indexed."""
    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DocumentError(f"{path}: unsupported file type {path.suffix or '(none)'!r}; supported: {SUPPORTED_LIST}")
    if data is None:
        data = read_bytes_checked(path, max_bytes)
    if not data.strip():
        raise DocumentError(f"{path}: the file is empty")
    if kind == "pdf":
        title, text = _read_pdf(path, data)
        front: dict = {}
    else:
        raw_text = _decode_text(path, data)
        front, body = _split_front_matter(path, raw_text) if kind == "markdown" else ({}, raw_text)
        title, text = _read_html(path, body) if kind == "html" else (None, body.replace("\r\n", "\n"))
    text = text.strip()
    if not text:
        raise DocumentError(f"{path}: no text to index (only front matter or whitespace)")
    h1 = _H1.search(text) if kind in ("markdown", "html") else None
    title = str(front.get("title") or title or (h1.group(1) if h1 else "") or path.stem).strip()
    language = front.get("language")
    if language not in ("fr", "en"):
        language = detect_language(text)
    topics = front.get("topics") or []
    if isinstance(topics, str):
        topics = [topics]
    return Document(
        source=source,
        path=path,
        title=title,
        language=language,
        topics=tuple(str(t) for t in topics),
        text=text,
        content_hash=file_hash(data),
        kind=kind,
    )


def read_bytes_checked(path: Path, max_bytes: int) -> bytes:
    """Read a file after checking its size from the file system, so a huge file is refused at once."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DocumentError(f"{path}: no such file") from None
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read ({exc.strerror})") from None
    if size > max_bytes:
        raise DocumentError(
            f"{path}: {size / 2**20:.1f} MB is over the {max_bytes / 2**20:.0f} MB limit "
            "(AGENTPREP_MAX_UPLOAD_MB); split the file or raise the limit"
        )
    if size == 0:
        raise DocumentError(f"{path}: the file is empty")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read ({exc.strerror})") from None


def _decode_text(path: Path, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise DocumentError(f"{path}: this is a binary file, not text (a {path.suffix} file must be UTF-8 text)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DocumentError(f"{path}: not valid UTF-8 (byte {exc.start}, line {line}); re-save it as UTF-8") from None


def _split_front_matter(path: Path, text: str) -> tuple[dict, str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        front = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise DocumentError(f"{path}: the front matter (between the --- lines) is not valid YAML: {exc}") from None
    if not isinstance(front, dict):
        raise DocumentError(f"{path}: the front matter must be a mapping (title:, language:, topics:)")
    return front, text[match.end() :]


def _read_html(path: Path, html: str) -> tuple[str | None, str]:
    """HTML to Markdown-like text: headings become `#` lines, block elements become paragraphs."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for tag in soup(["script", "style", "noscript", "template", "svg", "head"]):
        tag.decompose()
    for tag in soup.find_all(_HTML_HEADINGS):
        level = int(tag.name[1])
        tag.replace_with(f"\n\n{'#' * level} {tag.get_text(' ', strip=True)}\n\n")
    for tag in soup.find_all("br"):
        tag.replace_with("\n")
    for tag in soup.find_all(_HTML_BLOCKS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    lines = [" ".join(line.split()) for line in soup.get_text().splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return title, text


def _read_pdf(path: Path, data: bytes) -> tuple[str | None, str]:
    """Text of each page under a `## Page N` heading, so citations can name the page."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.lstrip().startswith(b"%PDF"):
        raise DocumentError(f"{path}: not a PDF file (it does not start with %PDF)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{path}: the PDF is password-protected")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DocumentError(f"{path}: not a readable PDF ({exc})") from None
    if not any(pages):
        raise DocumentError(f"{path}: the PDF has no extractable text (a scan? run OCR on it first)")
    body = "\n\n".join(f"## Page {number}\n\n{text}" for number, text in enumerate(pages, 1) if text)
    return (str(title).strip() or None) if title else None, body


def safe_upload_name(name: str) -> str:
    """A file name safe to keep and show: no folders, no `..`, no hidden or odd characters."""
    base = name.replace("\\", "/").split("/")[-1]
    base = _UNSAFE_NAME_CHARS.sub("_", base).strip(" .")
    base = base.lstrip("-")[:120]
    stem, suffix = os.path.splitext(base)
    if not stem or not stem.strip("._- "):
        raise DocumentError(f"{name!r}: not a usable file name")
    if suffix.lower() not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"{name!r}: unsupported file type {suffix or '(none)'!r}; supported: {SUPPORTED_LIST}")
    return base


def upload_source(name: str) -> str:
    """How the knowledge store names an uploaded file: the same on every server, never a disk path."""
    return f"{UPLOAD_PREFIX}{name}"


def upload_name(source: str) -> str | None:
    """The file name of an upload's source, None for any other source."""
    return source.removeprefix(UPLOAD_PREFIX) if source.startswith(UPLOAD_PREFIX) else None


def check_upload(name: str, data: bytes, max_bytes: int) -> str:
    """The name an upload is kept under, once its size and content are checked; DocumentError if refused.

    Checked before anything is kept, so a refused upload never replaces a good file of the same name.
    """
    kept_name = safe_upload_name(name)
    if len(data) > max_bytes:
        raise DocumentError(
            f"{name}: {len(data) / 2**20:.1f} MB is over the {max_bytes / 2**20:.0f} MB limit (AGENTPREP_MAX_UPLOAD_MB)"
        )
    if not data.strip():
        raise DocumentError(f"{name}: the file is empty")
    read_document(Path(kept_name), upload_source(kept_name), max_bytes, data=data)
    return kept_name
