"""The steps of an incremental `KnowledgeStore.index()`: decide what to look at, read what changed,
embed it in batches and write each document's chunks with the metadata retrieval and citations need.

Kept apart from store.py so the Chroma plumbing and the sync logic each stay readable on their own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from config import Settings
from knowledge.chunking import Chunk, ChunkingSettings, chunk_text, count_sections
from knowledge.documents import Document, DocumentError, collect_files, file_hash, read_bytes_checked, read_document

ProgressCallback = Callable[[int, int, str], None]
READING, EMBEDDING = "Reading files", "Embedding chunks"
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


def find_targets(
    settings: Settings, paths: list[Path], include_corpus: bool, known: dict[str, DocumentInfo], report: IndexReport
) -> dict[str, Path]:
    """Source -> file for the corpus, the given paths, and every already indexed file that still exists."""
    corpus_dir = settings.corpus_dir
    targets: dict[str, Path] = {}
    if include_corpus:
        if corpus_dir.is_dir():
            found, errors = collect_files([corpus_dir], corpus_dir)
            targets.update({source: path for path, source in found})
            report.errors.extend(errors)
        else:
            report.errors.append(f"{corpus_dir}: the shipped corpus folder is missing")
    found, errors = collect_files(list(paths), corpus_dir)
    report.errors.extend(errors)
    for path, source in found:
        targets.setdefault(source, path)
    for source, info in known.items():
        # Corpus documents are looked up in today's corpus folder, so moving the project loses nothing.
        path = Path(info.path) if Path(source).is_absolute() else corpus_dir / source
        if source not in targets and path.is_file():
            targets[source] = path
    return targets


def read_changed(
    settings: Settings,
    chunking: ChunkingSettings,
    targets: dict[str, Path],
    current: dict[str, DocumentInfo],
    known: dict[str, DocumentInfo],
    report: IndexReport,
    progress: ProgressCallback | None,
) -> Pending:
    """Documents whose bytes changed, parsed and chunked; unchanged ones are skipped before parsing."""
    max_bytes = settings.max_upload_mb * 2**20
    pending: Pending = []
    for done, (source, path) in enumerate(sorted(targets.items()), 1):
        try:
            data = read_bytes_checked(path, max_bytes)
            state = current.get(source)
            if state is not None and state.complete and state.content_hash == file_hash(data):
                report.skipped.append(source)
                continue
            document = read_document(path, source, max_bytes, data=data)
        except DocumentError as exc:  # whatever was indexed for this file before is kept
            report.errors.append(str(exc))
            continue
        finally:
            if progress:
                progress(done, len(targets), READING)
        chunks = chunk_text(document.text, chunking)
        if not chunks:
            report.errors.append(f"{path}: only headings, no text to index")
            continue
        pending.append((document, chunks, source in known))
    return pending


def embed_and_write(
    collection,  # type: ignore[no-untyped-def]
    pending: Pending,
    current: dict[str, DocumentInfo],
    report: IndexReport,
    progress: ProgressCallback | None,
) -> None:
    """Embed in batches across documents; write each document as soon as all its chunks are embedded,
    so an interrupted run keeps every document it finished."""
    from knowledge.embeddings import encode

    total = sum(len(chunks) for _, chunks, _ in pending)
    batch: Pending = []
    for item in pending:
        batch.append(item)
        if sum(len(chunks) for _, chunks, _ in batch) < EMBED_BATCH and item is not pending[-1]:
            continue
        rows = [row for document, chunks, _ in batch for row in document_rows(document, chunks)]
        vectors = encode([text for _, text, _ in rows])
        start = 0
        for document, chunks, was_known in batch:
            end = start + len(chunks)
            if document.source in current:
                collection.delete(where={"source": document.source})
            ids, texts, metadatas = zip(*rows[start:end], strict=True)
            collection.add(
                ids=list(ids), embeddings=vectors[start:end], documents=list(texts), metadatas=list(metadatas)
            )
            (report.updated if was_known else report.added).append(document.source)
            start = end
        report.chunks_embedded += len(rows)
        batch = []
        if progress:
            progress(report.chunks_embedded, total, EMBEDDING)


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
