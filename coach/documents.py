"""Knowledge documents from the coach studio: save uploads safely, re-index, remove one.

Uploads go through `knowledge.documents.save_upload` (sanitised name, size limit, content checked
before anything is written). Each refused file gets its own message; the good files are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from config import Settings
from knowledge.documents import DocumentError, save_upload


@dataclass
class UploadResult:
    saved: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def save_uploads(settings: Settings, files: Iterable[tuple[str, bytes]]) -> UploadResult:
    """Save each (name, content) under settings.uploads_dir; a bad file is reported, never saved."""
    result = UploadResult()
    max_bytes = settings.max_upload_mb * 2**20
    server_folder = f"{settings.uploads_dir.resolve().as_posix()}/"
    for name, data in files:
        try:
            result.saved.append(save_upload(settings.uploads_dir, name, data, max_bytes))
        except DocumentError as exc:  # name the file as the coach knows it, not by its path on the server
            result.errors.append(str(exc).replace(server_folder, ""))
    return result


def reindex(store, settings: Settings, progress: Callable[[int, int, str], None] | None = None):  # type: ignore[no-untyped-def]
    """Index the shipped corpus, the uploads folder and what is already indexed; returns the IndexReport."""
    paths = [settings.uploads_dir] if settings.uploads_dir.is_dir() and any(settings.uploads_dir.iterdir()) else []
    return store.index(paths=paths, include_corpus=True, progress=progress)


def is_upload(settings: Settings, source: str) -> bool:
    """True for a document whose file lives in the uploads folder (the studio may delete that file)."""
    path = Path(source)
    if not path.is_absolute():
        return False
    return settings.uploads_dir.resolve() in path.resolve().parents


def document_name(source: str) -> str:
    """How the studio names a document: `fr/x.md` for the course, the file name for an upload, never a server path."""
    return Path(source).name if Path(source).is_absolute() else source


def remove_document(store, settings: Settings, source: str) -> bool:  # type: ignore[no-untyped-def]
    """Drop a document from the store, and its uploaded file so the next re-index does not bring it back.

    A shipped corpus document comes back at the next re-index of the corpus: the corpus is the
    project's, so it is changed in git, not from the studio.
    """
    removed = store.remove(source)
    if is_upload(settings, source):
        Path(source).unlink(missing_ok=True)
    return removed
