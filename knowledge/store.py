"""The Chroma knowledge store: an incremental indexer and the reads the retriever needs.

The collection itself holds the manifest (embedding model, chunking signature, a generation counter
bumped on every change) and every chunk carries its document's content hash, so an embedded store
and a Chroma server behave the same and there is no side file to fall out of step. `index()` is a
sync: unchanged files are skipped without loading the model, changed ones replaced, files that
disappeared removed; a file that fails to read keeps its previous chunks.

Writers hold the store's build lock (knowledge/build_lock.py), so of several processes or servers
starting on one new store, one loads it and the others wait, then find it done. Shipped-corpus
chunks take their vectors from the shipped file (knowledge/shipped.py) instead of the model.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from config import Settings
from knowledge.build_lock import BuildBusy, build_lock
from knowledge.chunking import ChunkingSettings
from knowledge.documents import UploadedFiles
from knowledge.embeddings import EMBEDDING_MODEL_NAME
from knowledge.indexing import (
    EMBEDDING,
    READING,
    WAITING,
    DocumentInfo,
    IndexReport,
    ProgressCallback,
    documents_from_metadatas,
    embed_and_write,
    find_targets,
    read_changed,
)
from knowledge.shipped import SHIPPED_INDEX, ShippedVectors, load_shipped

__all__ = ["EMBEDDING", "READING", "WAITING", "BuildBusy", "ChunkRows", "DocumentInfo", "IndexReport",
           "KnowledgeStore", "KnowledgeStoreError"]  # fmt: skip
MANIFEST_SCHEMA = 1
_PAGE = 5000
_NO_SUCH_ID = "agentprep-refresh-probe"


class KnowledgeStoreError(RuntimeError):
    """The store cannot be opened or reached; the message says where and why."""


@dataclass(frozen=True)
class ChunkRows:
    ids: list[str]
    texts: list[str]  # as indexed: context prefix + passage (metadata "prefix_len" splits them)
    metadatas: list[dict]


class KnowledgeStore:
    """One Chroma collection of chunks; writes are serialised, reads may come from any thread."""

    def __init__(
        self,
        settings: Settings,
        store_dir: Path | None = None,
        chunking: ChunkingSettings | None = None,
        shipped: Path | None = SHIPPED_INDEX,
    ):
        """`shipped`: the shipped-corpus vectors file to take known chunks' vectors from (None: embed all)."""
        self.settings = settings
        self.chunking = chunking or ChunkingSettings()
        self.collection_name = settings.collection
        self.use_server = store_dir is None and settings.uses_chroma_server
        self.store_dir = None if self.use_server else Path(store_dir or settings.chroma_dir).expanduser()
        self._client_instance = None
        self._collection = None
        self._write_lock = threading.RLock()
        self._open_lock = threading.Lock()
        self.shipped_path = shipped
        self._shipped: ShippedVectors | None = None
        self._uploads: UploadedFiles | None = None

    @property
    def location(self) -> str:
        if self.use_server:
            return self.settings.chroma_url or f"http://{self.settings.chroma_host}:{self.settings.chroma_port}"
        return str(self.store_dir)

    def _client(self):  # type: ignore[no-untyped-def]
        with self._open_lock:
            if self._client_instance is None:
                self._client_instance = self._connect()
            return self._client_instance

    def _connect(self):  # type: ignore[no-untyped-def]
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        try:
            if not self.use_server:
                assert self.store_dir is not None
                self.store_dir.mkdir(parents=True, exist_ok=True)
                return chromadb.PersistentClient(path=str(self.store_dir), settings=chroma_settings)
            url = urlparse(self.settings.chroma_url or "")
            host = url.hostname or self.settings.chroma_host or "localhost"
            port = url.port or (443 if url.scheme == "https" else self.settings.chroma_port)
            client = chromadb.HttpClient(host=host, port=port, ssl=url.scheme == "https", settings=chroma_settings)
            client.heartbeat()
            return client
        except Exception as exc:  # chromadb raises many types (OSError, httpx errors, ValueError...)
            raise KnowledgeStoreError(f"cannot open the knowledge store at {self.location}: {exc}") from exc

    def _manifest(self, generation: int) -> dict:
        return {
            "schema": MANIFEST_SCHEMA,
            "embedding_model": EMBEDDING_MODEL_NAME,
            "chunking": self.chunking.signature(),
            "generation": generation,
        }

    def _get_collection(self, create: bool):  # type: ignore[no-untyped-def]
        from chromadb.errors import NotFoundError

        if self._collection is not None:
            return self._collection
        client = self._client()
        try:
            self._collection = client.get_collection(self.collection_name)
        except NotFoundError:
            if not create:
                return None
            self._collection = client.create_collection(
                self.collection_name,
                embedding_function=None,  # we always pass vectors; Chroma's default would download a model
                configuration={"hnsw": {"space": "cosine"}},
                metadata=self._manifest(0),
            )
        return self._collection

    def generation(self) -> int:
        """Bumped on every change; read fresh from Chroma so other processes' writes are seen too."""
        from chromadb.errors import NotFoundError

        try:
            fresh = self._client().get_collection(self.collection_name)
        except NotFoundError:
            self._collection = None
            return -1
        if self._collection is None or self._collection.id != fresh.id:  # rebuilt elsewhere: follow it
            self._collection = fresh
        return int((fresh.metadata or {}).get("generation", 0))

    def count(self) -> int:
        collection = self._get_collection(create=False)
        return collection.count() if collection is not None else 0

    def _rebuild_reason(self, metadata: dict) -> str:
        wanted = self._manifest(0)
        labels = {"schema": "store format", "embedding_model": "embedding model", "chunking": "chunking"}
        for key, label in labels.items():
            if metadata.get(key) != wanted[key]:
                return f"the {label} changed ({metadata.get(key)!r} -> {wanted[key]!r})"
        return ""

    def _bump_generation(self, collection) -> None:  # type: ignore[no-untyped-def]
        fresh = self._client().get_collection(self.collection_name).metadata or {}
        collection.modify(metadata=self._manifest(int(fresh.get("generation", 0)) + 1))

    def _states(self, collection) -> dict[str, DocumentInfo]:  # type: ignore[no-untyped-def]
        return documents_from_metadatas(self._metadatas(collection))

    def _metadatas(self, collection) -> Iterable[dict]:  # type: ignore[no-untyped-def]
        for offset in range(0, collection.count(), _PAGE):
            yield from collection.get(include=["metadatas"], limit=_PAGE, offset=offset)["metadatas"]

    def documents(self) -> list[DocumentInfo]:
        collection = self._get_collection(create=False)
        return [] if collection is None else sorted(self._states(collection).values(), key=lambda d: d.source)

    def remove(self, source: str) -> bool:
        """Drop a document's chunks; corpus documents come back at the next `index` of the corpus."""
        with self._write_lock, self.build_lock():
            collection = self._get_collection(create=False)
            if collection is None or not collection.get(where={"source": source}, limit=1)["ids"]:
                return False
            collection.delete(where={"source": source})
            self._bump_generation(collection)
            return True

    def build_lock(self, wait: bool = True, on_wait=None):  # type: ignore[no-untyped-def]
        """The cross-process writer lock of this store (see knowledge/build_lock.py)."""
        return build_lock(self.settings, self.store_dir, self.collection_name, wait=wait, on_wait=on_wait)

    def shipped_vectors(self) -> ShippedVectors | None:
        if self._shipped is None and self.shipped_path is not None:
            self._shipped = load_shipped(self.shipped_path)
        return self._shipped

    def uploads(self) -> UploadedFiles:
        """The coach's uploads, in the database every server shares (files an older release left in
        the data directory are moved in first)."""
        if self._uploads is None:
            from storage.documents import UploadedDocuments, adopt_upload_folder

            documents = UploadedDocuments(self.settings.sqlalchemy_url)
            adopt_upload_folder(self.settings.uploads_dir, documents)
            self._uploads = documents
        return self._uploads

    def index(
        self,
        paths: list[Path] | None = None,
        include_corpus: bool = True,
        rebuild: bool = False,
        progress: ProgressCallback | None = None,
        embed: bool = True,
        wait: bool = True,
    ) -> IndexReport:
        """Bring the store in line with the corpus, the uploads, the given paths and the files already indexed.

        `embed=False` never loads the model: documents the shipped vectors do not cover are left as
        they were and listed in `report.deferred`. If another process is writing to the store, wait
        for it (saying so through `progress` with the WAITING label), or raise BuildBusy if not `wait`.
        """
        started = time.perf_counter()
        report = IndexReport()

        def waiting() -> None:
            if progress:
                progress(0, 0, WAITING)

        with self._write_lock, self.build_lock(wait=wait, on_wait=waiting):
            self._collection = None  # fresh metadata: another process may have written since
            collection = self._get_collection(create=True)
            known = self._states(collection)
            reason = "a rebuild was asked for" if rebuild else self._rebuild_reason(collection.metadata or {})
            current = known
            if reason:
                collection = self._reset(collection)
                report.rebuilt, report.rebuild_reason, current = True, reason, {}
            targets = find_targets(self.settings, paths or [], include_corpus, known, report, self.uploads())
            for source in sorted(set(known) - set(targets)):  # their files are gone
                report.removed.append(source)
                if source in current:
                    collection.delete(where={"source": source})
            pending = read_changed(self.settings, self.chunking, targets, current, known, report, progress)
            embed_and_write(collection, pending, current, report, progress, self.shipped_vectors(), embed)
            if report.changed:
                self._bump_generation(collection)
        report.seconds = time.perf_counter() - started
        return report

    def servable(self) -> bool:
        """True if the store holds chunks made with today's model and chunking (it can answer now)."""
        from chromadb.errors import NotFoundError

        try:  # fresh metadata: another process may have rebuilt it since
            fresh = self._client().get_collection(self.collection_name)
        except NotFoundError:
            return False
        return not self._rebuild_reason(fresh.metadata or {}) and fresh.count() > 0

    def prepare(self, progress: ProgressCallback | None = None) -> IndexReport | None:
        """Make the store answer without loading the model, for a server that starts.

        Loads what the shipped vectors cover and removes what is gone (`index(embed=False)`). If
        another process is writing and the store can already answer, returns None at once (that
        process finishes the work); if it cannot yet, waits for that process, then does what is
        left. The report's `deferred` files need the model: index them afterwards, off the request path.
        """
        try:
            return self.index(progress=progress, embed=False, wait=False)
        except BuildBusy:
            if self.servable():
                return None
        return self.index(progress=progress, embed=False)

    def refresh(self) -> bool:
        """Make this process's dense search see what other processes wrote to an embedded store.

        An embedded Chroma keeps each collection's vector index in memory and catches up with its
        write log only when this process itself writes; a delete of an id that does not exist is that
        write. Done under the build lock, never while another process writes: returns False then
        (try again later). A Chroma server needs nothing (one process holds the index).
        """
        if self.use_server:
            return True
        if not self._write_lock.acquire(blocking=False):  # this process is writing: it will be fresh
            return False
        try:
            with self.build_lock(wait=False):
                collection = self._get_collection(create=False)
                if collection is not None:
                    collection.delete(ids=[_NO_SUCH_ID])
            return True
        except BuildBusy:
            return False
        finally:
            self._write_lock.release()

    def _reset(self, collection):  # type: ignore[no-untyped-def]
        generation = int((collection.metadata or {}).get("generation", 0)) + 1
        self._client().delete_collection(self.collection_name)
        self._collection = None
        fresh = self._get_collection(create=True)
        fresh.modify(metadata=self._manifest(generation))
        return fresh

    def chunk_rows(self) -> ChunkRows:
        """Every chunk with its text and metadata, for the retriever's lexical index."""
        collection = self._get_collection(create=False)
        ids, texts, metas = [], [], []
        if collection is not None:
            for offset in range(0, collection.count(), _PAGE):
                page = collection.get(include=["documents", "metadatas"], limit=_PAGE, offset=offset)
                ids += page["ids"]
                texts += page["documents"]
                metas += page["metadatas"]
        return ChunkRows(ids, texts, metas)

    def dense_search(self, vector, n: int, where: dict | None = None) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
        """(chunk id, cosine distance) of the `n` nearest chunks; retries once if the collection was rebuilt."""
        from chromadb.errors import NotFoundError

        for attempt in (1, 2):
            collection = self._get_collection(create=False)
            if collection is None:
                return []
            try:
                result = collection.query(query_embeddings=[vector], n_results=n, where=where, include=["distances"])
                return list(zip(result["ids"][0], result["distances"][0], strict=True))
            except NotFoundError:
                self._collection = None
                if attempt == 2:
                    raise
        return []

    def as_vectorstore(self):  # type: ignore[no-untyped-def]
        """The same collection as a LangChain `Chroma` vector store, for chains and agents that want one."""
        from langchain_chroma import Chroma

        from knowledge.embeddings import get_embeddings

        return Chroma(client=self._client(), collection_name=self.collection_name,
                      embedding_function=get_embeddings(), create_collection_if_not_exists=False)
