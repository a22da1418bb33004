"""The shipped corpus's embeddings, committed beside it, so a new store is ready without the model.

`knowledge/shipped_index.npz` holds one row per chunk of `knowledge/corpus`, cut the way the indexer
cuts it: the chunk id, the SHA-256 of its indexed text (title and headings + passage) and its
all-MiniLM-L6-v2 vector in float16, with the manifest it was made under (corpus hash, chunking
signature, embedding model, dimension). The indexer takes a chunk's vector from it only when the
model is the same and the chunk's indexed text has that exact hash, so a vector always belongs to the
very text it was computed from: after an edit to the corpus, the changed chunks are embedded as
usual and no stale chunk is ever served. The file is read, never written, at run time; a developer
regenerates it with `python cli.py index --write-shipped` after changing the corpus, the chunking
or the model, and tests/test_knowledge_shipped.py fails until they do.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from config import Settings
from knowledge.chunking import ChunkingSettings, chunk_text
from knowledge.documents import collect_files, file_hash, read_document
from knowledge.embeddings import EMBEDDING_MODEL_NAME

SHIPPED_INDEX = Path(__file__).resolve().parent / "shipped_index.npz"
SHIPPED_CORPUS = Path(__file__).resolve().parent / "corpus"  # what SHIPPED_INDEX is made from
FORMAT = 1
_log = logging.getLogger(__name__)


def text_key(text: str) -> str:
    """The key a vector is stored under: the hash of exactly the text that was embedded."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def corpus_fingerprint(corpus_dir: Path) -> str:
    """One hash of the corpus the indexer sees: every supported file's name and content."""
    found, _errors = collect_files([corpus_dir], corpus_dir) if corpus_dir.is_dir() else ([], [])
    digest = hashlib.sha256()
    for path, source in sorted(found, key=lambda pair: pair[1]):
        digest.update(f"{source}\0{file_hash(path.read_bytes())}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class ShippedVectors:
    """The vectors of the shipped file, looked up by the hash of the text they embed."""

    manifest: dict
    rows: dict[str, int]  # text key -> row of `vectors`
    vectors: np.ndarray  # float32, normalised again after the float16 round trip

    def vector(self, text: str) -> np.ndarray | None:
        row = self.rows.get(text_key(text))
        return None if row is None else self.vectors[row]

    def __len__(self) -> int:
        return len(self.rows)

    def outdated_reason(self, corpus_dir: Path, chunking: ChunkingSettings) -> str:
        """'' if the file was made from this corpus with these settings, else what differs."""
        wanted = expected_manifest(corpus_dir, chunking)
        for key in ("format", "embedding_model", "chunking", "corpus_hash"):
            if self.manifest.get(key) != wanted[key]:
                return f"its {key.replace('_', ' ')} is {self.manifest.get(key)!r}, not {wanted[key]!r}"
        return ""


def expected_manifest(corpus_dir: Path, chunking: ChunkingSettings) -> dict:
    return {
        "format": FORMAT,
        "embedding_model": EMBEDDING_MODEL_NAME,
        "chunking": chunking.signature(),
        "corpus_hash": corpus_fingerprint(corpus_dir),
    }


def load_shipped(path: Path = SHIPPED_INDEX) -> ShippedVectors | None:
    """The shipped vectors, or None (missing or unreadable file, other model): then everything is embedded."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            manifest = json.loads(str(data["manifest"]))
            keys = [str(key) for key in data["keys"]]
            vectors = data["vectors"].astype(np.float32)
    except (OSError, ValueError, KeyError) as exc:
        _log.warning("ignoring the shipped embeddings at %s: %s", path, exc)
        return None
    if manifest.get("format") != FORMAT or manifest.get("embedding_model") != EMBEDDING_MODEL_NAME:
        return None
    if vectors.ndim != 2 or len(vectors) != len(keys):
        _log.warning("ignoring the shipped embeddings at %s: %d keys for %s vectors", path, len(keys), vectors.shape)
        return None
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return ShippedVectors(manifest, {key: row for row, key in enumerate(keys)}, vectors)


def corpus_rows(settings: Settings, chunking: ChunkingSettings) -> list[tuple[str, str, dict]]:
    """(chunk id, indexed text, metadata) of every corpus chunk, exactly as `KnowledgeStore.index` writes them."""
    from knowledge.indexing import document_rows

    corpus_dir = settings.corpus_dir
    found, errors = collect_files([corpus_dir], corpus_dir)
    if errors:
        raise ValueError("; ".join(errors))
    rows = []
    for path, source in sorted(found, key=lambda pair: pair[1]):
        document = read_document(path, source, settings.max_upload_mb * 2**20)
        rows += document_rows(document, chunk_text(document.text, chunking))
    return rows


def write_shipped(
    settings: Settings,
    path: Path = SHIPPED_INDEX,
    chunking: ChunkingSettings | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict:
    """Embed the corpus (`settings.corpus_dir`) with the real model and write the file; returns its manifest."""
    from knowledge.embeddings import encode

    chunking = chunking or ChunkingSettings()
    rows = corpus_rows(settings, chunking)
    texts = [text for _, text, _ in rows]
    vectors = []
    for start in range(0, len(texts), 64):
        vectors.append(encode(texts[start : start + 64]))
        if progress:
            progress(min(start + 64, len(texts)), len(texts), "Embedding chunks")
    matrix = np.concatenate(vectors) if vectors else np.zeros((0, 384), dtype=np.float32)
    manifest = {
        **expected_manifest(settings.corpus_dir, chunking),
        "dimension": int(matrix.shape[1]),
        "chunks": len(rows),
        "dtype": "float16",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:  # np.savez would add ".npz" to a name without it
        np.savez_compressed(
            handle,
            manifest=np.array(json.dumps(manifest, sort_keys=True)),
            ids=np.array([chunk_id for chunk_id, _, _ in rows]),
            keys=np.array([text_key(text) for text in texts]),
            vectors=matrix.astype(np.float16),
        )
    return manifest
