"""Knowledge documents from the coach studio: keep uploads in the database, re-index, remove one.

An upload is checked before it is kept (`knowledge.documents.check_upload`: safe name, size limit,
readable content); each refused file gets its own message and the good ones are kept. Kept in the
database, an upload is indexed and opened by every app server, named `upload/<name>` in the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from config import Settings
from knowledge.documents import DocumentError, check_upload, upload_name, upload_source
from storage.documents import UploadedDocuments


@dataclass
class UploadResult:
    saved: list[str] = field(default_factory=list)  # the sources the store will know them by
    errors: list[str] = field(default_factory=list)


def save_uploads(
    settings: Settings, files: Iterable[tuple[str, bytes]], uploaded_by: str | None = None
) -> UploadResult:
    """Keep each (name, content) in the database; a bad file is reported, never kept."""
    result = UploadResult()
    documents = UploadedDocuments(settings.sqlalchemy_url)
    for name, data in files:
        try:
            kept_name = check_upload(name, data, settings.max_upload_mb * 2**20)
        except DocumentError as exc:
            result.errors.append(str(exc))
            continue
        documents.save(kept_name, data, uploaded_by)
        result.saved.append(upload_source(kept_name))
    return result


def reindex(store, settings: Settings, progress: Callable[[int, int, str], None] | None = None):  # type: ignore[no-untyped-def]
    """Index the shipped corpus, the uploads and what is already indexed; returns the IndexReport."""
    return store.index(include_corpus=True, progress=progress)


def is_upload(source: str) -> bool:
    """True for a document a coach uploaded (the studio may delete it)."""
    return upload_name(source) is not None


def document_name(source: str) -> str:
    """How the studio names a document: `fr/x.md` for the course, the file name for an upload, never a server path."""
    name = upload_name(source)
    if name is not None:
        return name
    return source.rsplit("/", 1)[-1] if source.startswith("/") else source


def remove_document(store, settings: Settings, source: str) -> bool:  # type: ignore[no-untyped-def]
    """Drop a document from the store, and an upload from the database so no re-index brings it back.

    A shipped corpus document comes back at the next re-index of the corpus: the corpus is the
    project's, so it is changed in git, not from the studio.
    """
    name = upload_name(source)
    deleted = name is not None and UploadedDocuments(settings.sqlalchemy_url).remove(name)
    return store.remove(source) or deleted
