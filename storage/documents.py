"""The coach's uploaded documents, kept in the database so that every app server indexes and opens the same files.

A Chroma server shared by several app servers knows an upload as `upload/<name>`; its bytes are
read from here, never from one server's disk. Older releases kept uploads as files in the data
directory: `adopt_upload_folder` moves them in once.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from storage.db import KnowledgeDocumentRow, session_factory, utc_now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UploadedDocument:
    name: str
    content_hash: str
    size: int
    uploaded_by: str | None
    uploaded_at: datetime


class UploadedDocuments:
    """Uploaded files by name: save (replacing one of the same name), list, read, remove."""

    def __init__(self, database_url: str):
        self._sessions = session_factory(database_url)

    def save(self, name: str, data: bytes, uploaded_by: str | None = None) -> None:
        with self._sessions.begin() as session:
            row = session.get(KnowledgeDocumentRow, name) or KnowledgeDocumentRow(name=name)
            row.data, row.size, row.content_hash = data, len(data), hashlib.sha256(data).hexdigest()
            row.uploaded_by, row.uploaded_at = uploaded_by, utc_now()
            session.add(row)

    def listing(self) -> list[UploadedDocument]:
        """Every upload without its bytes, by name."""
        columns = (KnowledgeDocumentRow.name, KnowledgeDocumentRow.content_hash, KnowledgeDocumentRow.size,
                   KnowledgeDocumentRow.uploaded_by, KnowledgeDocumentRow.uploaded_at)  # fmt: skip
        with self._sessions() as session:
            rows = session.execute(select(*columns).order_by(KnowledgeDocumentRow.name)).all()
        return [UploadedDocument(*row) for row in rows]

    def read(self, name: str) -> bytes | None:
        with self._sessions() as session:
            return session.scalar(select(KnowledgeDocumentRow.data).where(KnowledgeDocumentRow.name == name))

    def remove(self, name: str) -> bool:
        with self._sessions.begin() as session:
            row = session.get(KnowledgeDocumentRow, name)
            if row is None:
                return False
            session.delete(row)
            return True


def adopt_upload_folder(folder: Path, documents: UploadedDocuments) -> list[str]:
    """Move the files an older release kept in `folder` into the database; returns their names.

    The folder is renamed `<folder>.imported` afterwards (kept as a backup, never read again), so
    the files are adopted once even when several servers start together: the loser of the rename
    finds nothing left to do.
    """
    if not folder.is_dir():
        return []
    known = {document.name for document in documents.listing()}
    adopted = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        if path.name not in known:
            documents.save(path.name, path.read_bytes())
        adopted.append(path.name)
    backup = folder.with_name(f"{folder.name}.imported")
    try:
        if backup.exists():
            shutil.rmtree(backup)
        folder.rename(backup)
    except OSError as exc:  # another server moved it first
        log.info("upload folder not renamed: %s", exc)
    return adopted
