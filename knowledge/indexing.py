"""The steps of an incremental `KnowledgeStore.index()`: decide what to look at, read what changed,
embed it in batches and write each document's chunks with the metadata retrieval and citations need.

Kept apart from store.py so the Chroma plumbing and the sync logic each stay readable on their own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from config import Settings
from knowledge.chunking import Chunk, ChunkingSettings, chunk_text, count_sections
from knowledge.documents import (
    Document,
    DocumentError,
    UploadedFiles,
    collect_files,
    file_hash,
    read_bytes_checked,
    read_document,
    upload_name,
    upload_source,
)
from knowledge.shipped import ShippedVectors

ProgressCallback = Callable[[int, int, str], None]
READING, EMBEDDING = "Reading files", "Embedding chunks"
WAITING = "Waiting for another build of this store"
EMBED_BATCH = 128
Pending = list[tuple[Document, list[Chunk], bool]]  # document, its chunks, was it indexed before


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rebuilt: bool = False
    rebuild_reason: str = ""
    chunks_embedded: int = 0
    chunks_shipped: int = 0  # written with their vector from the shipped file, without the model
    deferred: list[str] = field(default_factory=list)  # files (or upload sources) that need the model, for later
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.rebuilt)


@dataclass(frozen=True)
class DocumentInfo:
    source: str
    title: str
    language: str
    chunks: int
    topics: tuple[str, ...] = ()
    path: str = ""
    content_hash: str = ""
    complete: bool = True  # False if an interrupted write left fewer chunks than the document has


def documents_from_metadatas(metadatas: Iterable[dict]) -> dict[str, DocumentInfo]:
    """What is indexed, per document, rebuilt from the chunks' own metadata."""
    grouped: dict[str, list[dict]] = {}
    for meta in metadatas:
        grouped.setdefault(str(meta.get("source")), []).append(meta)
    states = {}
    for source, metas in grouped.items():
        first = metas[0]
        hashes = {m.get("doc_hash") for m in metas}
        states[source] = DocumentInfo(
            source=source,
            title=str(first.get("title", "")),
            language=str(first.get("lang", "")),
            chunks=len(metas),
            topics=tuple(t for t in str(first.get("topics", "")).split(",") if t),
            path=str(first.get("path", "")),
            content_hash=str(first.get("doc_hash", "")) if len(hashes) == 1 else "",
            complete=len(hashes) == 1 and len(metas) == int(first.get("n_chunks", -1)),
        )
    return states


@dataclass(frozen=True)
class Target:
    """A document to index: a file on this machine, or an upload whose bytes the database holds."""

    path: Path  # the file; for an upload its name (for its type and messages)
    read: Callable[[], bytes | None]
    content_hash: str | None = None  # known without reading (uploads), to skip an unchanged one at once


def _file_target(path: Path, max_bytes: int) -> Target:
    return Target(path, lambda: read_bytes_checked(path, max_bytes))


def find_targets(
    settings: Settings,
    paths: list[Path],
    include_corpus: bool,
    known: dict[str, DocumentInfo],
    report: IndexReport,
    uploads: UploadedFiles | None = None,
) -> dict[str, Target]:
    """Source -> target for the corpus, the uploads, the given paths and every indexed file that still exists."""
    corpus_dir = settings.corpus_dir
    max_bytes = settings.max_upload_mb * 2**20
    targets: dict[str, Target] = {}
    if include_corpus:
        if corpus_dir.is_dir():
            found, errors = collect_files([corpus_dir], corpus_dir)
            targets.update({source: _file_target(path, max_bytes) for path, source in found})
            report.errors.extend(errors)
        else:
            report.errors.append(f"{corpus_dir}: the shipped corpus folder is missing")
    for upload in uploads.listing() if uploads is not None else []:
        targets[upload_source(upload.name)] = Target(
            Path(upload.name), lambda name=upload.name: uploads.read(name), upload.content_hash
        )
    found, errors = collect_files(list(paths), corpus_dir)
    report.errors.extend(errors)
    for path, source in found:
        targets.setdefault(source, _file_target(path, max_bytes))
    for source, info in known.items():
        if upload_name(source) is not None:  # an upload is indexed while the database has it
            continue
        # Corpus documents are looked up in today's corpus folder, so moving the project loses nothing.
        path = Path(info.path) if Path(source).is_absolute() else corpus_dir / source
        if source not in targets and path.is_file():
            targets[source] = _file_target(path, max_bytes)
    return targets


def read_changed(
    settings: Settings,
    chunking: ChunkingSettings,
    targets: dict[str, Target],
    current: dict[str, DocumentInfo],
    known: dict[str, DocumentInfo],
    report: IndexReport,
    progress: ProgressCallback | None,
) -> Pending:
    """Documents whose bytes changed, parsed and chunked; unchanged ones are skipped before parsing."""
    max_bytes = settings.max_upload_mb * 2**20
    pending: Pending = []
    for done, (source, target) in enumerate(sorted(targets.items()), 1):
        try:
            state = current.get(source)
            unchanged = state is not None and state.complete
            if unchanged and target.content_hash is not None and state.content_hash == target.content_hash:
                report.skipped.append(source)
                continue
            data = target.read()
            if data is None:  # an upload removed since it was listed
                continue
            if unchanged and state.content_hash == file_hash(data):
                report.skipped.append(source)
                continue
            document = read_document(target.path, source, max_bytes, data=data)
        except DocumentError as exc:  # whatever was indexed for this file before is kept
            report.errors.append(str(exc))
            continue
        finally:
            if progress:
                progress(done, len(targets), READING)
        chunks = chunk_text(document.text, chunking)
        if not chunks:
            report.errors.append(f"{target.path}: only headings, no text to index")
            continue
        pending.append((document, chunks, source in known))
    return pending


@dataclass
class _Rows:
    """One pending document's rows and their vectors, None where the model must compute one."""

    document: Document
    was_known: bool
    rows: list[tuple[str, str, dict]]
    vectors: list
    from_file: int = 0

    def __post_init__(self) -> None:
        self.from_file = len(self.rows) - self.missing

    @property
    def missing(self) -> int:
        return sum(vector is None for vector in self.vectors)


def embed_and_write(
    collection,  # type: ignore[no-untyped-def]
    pending: Pending,
    current: dict[str, DocumentInfo],
    report: IndexReport,
    progress: ProgressCallback | None,
    shipped: ShippedVectors | None = None,
    embed: bool = True,
) -> None:
    """Write each pending document's chunks with their vectors: from the shipped file when it has
    the chunk's exact text, else embedded in batches across documents. A document is written as soon
    as all its vectors are known, so an interrupted run keeps every document it finished. With
    `embed=False` the model is never loaded: documents that need it keep what was indexed before and
    are listed in `report.deferred`."""
    to_embed: list[_Rows] = []
    ready: list[_Rows] = []
    for document, chunks, was_known in pending:
        rows = document_rows(document, chunks)
        vectors = [None if shipped is None else shipped.vector(text) for _, text, _ in rows]
        item = _Rows(document, was_known, rows, vectors)
        if not item.missing:  # wholly shipped: written before the model even loads
            ready.append(item)
        elif embed:
            to_embed.append(item)
        else:
            report.deferred.append(document.source if upload_name(document.source) else str(document.path))
    _write(collection, current, report, *ready)  # one write: each add() costs Chroma a flush
    total = sum(item.missing for item in to_embed)
    batch: list[_Rows] = []
    for item in to_embed:
        batch.append(item)
        if sum(entry.missing for entry in batch) < EMBED_BATCH and item is not to_embed[-1]:
            continue
        report.chunks_embedded += _embed_missing(batch)
        for entry in batch:  # one document at a time: an interrupted run keeps each one it finished
            _write(collection, current, report, entry)
        batch = []
        if progress:
            progress(report.chunks_embedded, total, EMBEDDING)


def _embed_missing(batch: list[_Rows]) -> int:
    """Compute, in place, the vectors the shipped file did not have; returns how many."""
    from knowledge.embeddings import encode

    holes = [(entry, i) for entry in batch for i, vector in enumerate(entry.vectors) if vector is None]
    for (entry, i), vector in zip(holes, encode([entry.rows[i][1] for entry, i in holes]), strict=True):
        entry.vectors[i] = vector
    return len(holes)


def _write(collection, current: dict[str, DocumentInfo], report: IndexReport, *items: _Rows) -> None:  # type: ignore[no-untyped-def]
    """Replace these documents' chunks, in as few `add()` calls as Chroma's batch limit allows."""
    if not items:
        return
    stale = [item.document.source for item in items if item.document.source in current]
    if stale:
        collection.delete(where={"source": stale[0]} if len(stale) == 1 else {"source": {"$in": stale}})
    rows = [row for item in items for row in item.rows]
    vectors = np.asarray([vector for item in items for vector in item.vectors], dtype=np.float32)
    step = _max_batch(collection)
    for start in range(0, len(rows), step):
        ids, texts, metadatas = zip(*rows[start : start + step], strict=True)
        collection.add(ids=list(ids), embeddings=vectors[start : start + step], documents=list(texts),
                       metadatas=list(metadatas))  # fmt: skip
    for item in items:
        (report.updated if item.was_known else report.added).append(item.document.source)
        report.chunks_shipped += item.from_file


def _max_batch(collection) -> int:  # type: ignore[no-untyped-def]
    try:
        return max(1, int(collection._client.get_max_batch_size()))
    except Exception:  # not every client says; Chroma's own default limit is higher than this
        return 1000


def document_rows(document: Document, chunks: list[Chunk]) -> list[tuple[str, str, dict]]:
    """(id, indexed text, metadata) per chunk. The indexed text starts with the title and headings
    (`prefix_len` characters) because a passage alone often does not name its topic."""
    source_key = hashlib.sha1(document.source.encode()).hexdigest()[:16]  # noqa: S324 - an id, not security
    shared: dict = {
        "source": document.source,
        "path": str(document.path.resolve()),
        "title": document.title,
        "lang": document.language,
        "kind": document.kind,
        "slug": document.path.stem,
        "topics": ",".join(document.topics),
        "n_chunks": len(chunks),
        "n_sections": count_sections(document.text),
        "doc_hash": document.content_hash,
        **{f"topic_{topic}": True for topic in document.topics},
    }
    rows = []
    for chunk in chunks:
        prefix = chunk.context_prefix(document.title)
        metadata = {
            **shared,
            "heading_path": chunk.heading,
            "section": chunk.section,
            "piece": chunk.piece,
            "position": chunk.position,
            "prefix_len": len(prefix),
            "chunk_hash": hashlib.sha256(chunk.text.encode()).hexdigest()[:16],
        }
        chunk_id = f"{source_key}-{document.content_hash[:12]}-{chunk.position:05d}"
        rows.append((chunk_id, prefix + chunk.text, metadata))
    return rows
