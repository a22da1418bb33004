"""Helpers for the knowledge tests: small corpora, hand-made PDFs, a Chroma server, the shared index.

Indexing the shipped corpus costs about a minute on two cores, so it happens once per test session
(`shipped_index`), whichever test module asks first; tests that change a store build their own
from `write_small_corpus`, which embeds in a second or two.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.services import chroma_server  # noqa: F401 - re-exported for the tests
from config import PROJECT_ROOT, Settings
from knowledge.retrieval import HybridRetriever
from knowledge.store import KnowledgeStore

SHIPPED_CORPUS = PROJECT_ROOT / "knowledge" / "corpus"
_SHIPPED: dict[str, object] = {}

RAG_FR = """---
title: Recherche hybride
language: fr
topics: [rag]
---

# Recherche hybride

## Fusion des classements

La Reciprocal Rank Fusion additionne 1/(k + rang) pour chaque liste ; on prend souvent k = 60.

## Évaluation

On évalue la recherche avec le rappel et le MRR sur un jeu de requêtes annotées.
"""
RAG_EN = """---
title: Hybrid retrieval
language: en
topics: [rag]
---

# Hybrid retrieval

## Rank fusion

Reciprocal Rank Fusion adds 1/(k + rank) over each list; k = 60 is the usual choice.

## Evaluation

Retrieval is evaluated with recall and MRR on a set of labelled queries.
"""
AGENTS_FR = """---
title: Les agents
language: fr
topics: [agents]
---

# Les agents

## La boucle ReAct

Un agent alterne raisonnement et action : il appelle un outil, observe le résultat, puis recommence.
"""


def isolated_settings(data_dir: Path, corpus_dir: Path | None = None, **overrides) -> Settings:
    """Settings that ignore the developer's environment and .env file."""
    values = {"data_dir": data_dir, "corpus_dir": corpus_dir or SHIPPED_CORPUS, **overrides}
    return Settings(_env_file=None, **values)


def write_small_corpus(root: Path) -> Path:
    """Three documents: a fr/en pair with the same structure and one French-only page."""
    for relative, text in (("fr/hybrid.md", RAG_FR), ("en/hybrid.md", RAG_EN), ("fr/agents.md", AGENTS_FR)):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def make_pdf(text: str | None) -> bytes:
    """A one-page PDF written by hand: with `text` in Helvetica, or with only a drawn line if None."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode() if text else b"72 720 m 300 720 l S"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def shipped_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[KnowledgeStore, HybridRetriever]:
    """The shipped corpus indexed once per session into a temporary store, with one shared retriever."""
    if "store" not in _SHIPPED:
        data_dir = tmp_path_factory.mktemp("shipped-knowledge")
        store = KnowledgeStore(isolated_settings(data_dir))
        report = store.index()
        assert not report.errors, report.errors
        _SHIPPED["store"], _SHIPPED["retriever"] = store, HybridRetriever(store)
    return _SHIPPED["store"], _SHIPPED["retriever"]  # type: ignore[return-value]
