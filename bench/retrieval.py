"""Retrieval quality and speed, on the shipped corpus and on a synthetic corpus of 10,000 chunks.

Prints:
- recall@5 and MRR@5 on the labelled set tests/data/retrieval/*.yaml (a query counts as found if one
  of its top-5 DOCUMENTS, chunks deduplicated by source, is in `relevant`), for the shipped settings
  and for variants (dense only, BM25 only, no twin pooling...) so the cross-lingual choices are measured;
- index build time and chunks per second (model already loaded), and the time of a no-change re-index;
- warm query latency p50/p95 (model loaded and BM25 cached, query embedding included) at both sizes;
- peak memory (max RSS) of the process.

Usage: .venv/bin/python bench/retrieval.py [--synthetic-chunks 10000] [--skip-synthetic] [--keep DIR]
                                          [--torch-threads N]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stats import percentile  # noqa: E402
from config import Settings  # noqa: E402
from knowledge.chunking import chunk_text  # noqa: E402
from knowledge.retrieval import HybridRetriever, RetrievalConfig, embed_query  # noqa: E402
from knowledge.store import KnowledgeStore  # noqa: E402

LABELLED_DIR = ROOT / "tests" / "data" / "retrieval"
VARIANTS = {
    "shipped (hybrid, twins pooled, lang boost)": {},
    "dense only": {"use_lexical": False},
    "BM25 only (both languages)": {"use_dense": False},
    "hybrid, BM25 in query language only": {"cross_lingual_lexical": False},
    "hybrid, twins not merged": {"twins": "off"},
    "hybrid, twins merged with summed scores": {"twins": "sum"},
    "hybrid, no language boost": {"other_language_factor": 1.0},
    "hybrid, reader's language only (strict filter)": {"strict_lang": True},
}

CROSS_LINGUAL_VARIANTS = {
    "shipped (twins merged, shown in reader's language)": {},
    "twins not merged": {"twins": "off"},
    "reader's language only (strict filter)": {"strict_lang": True},
    "strict filter, no cross-language BM25": {"strict_lang": True, "cross_lingual_lexical": False},
}


def load_labelled_set(folder: Path = LABELLED_DIR) -> list[dict]:
    """Every entry of every YAML file in `folder`; each needs a query, a lang and relevant documents."""
    entries = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        for number, entry in enumerate(data, 1):
            if not (isinstance(entry, dict) and entry.get("query") and entry.get("relevant")):
                raise ValueError(f"{path.name}: entry {number} needs `query`, `lang` and `relevant`")
            relevant = [str(source) for source in entry["relevant"]]
            entries.append({"query": str(entry["query"]), "lang": entry.get("lang"), "relevant": relevant})
    return entries


def top_documents(
    retriever: HybridRetriever, query: str, lang: str | None, n: int = 5, strict_lang: bool = False
) -> list[str]:
    """The first `n` distinct sources of the ranked chunks."""
    documents: list[str] = []
    for hit in retriever.search(query, k=4 * n, lang=lang, strict_lang=strict_lang):
        if hit.source not in documents:
            documents.append(hit.source)
    return documents[:n]


def evaluate(
    retriever: HybridRetriever, entries: list[dict], n: int = 5, strict_lang: bool = False, flip: bool = False
) -> dict:
    """recall@n and MRR@n over documents, recall per query language, the share of returned documents
    in the reader's language, and the queries that missed. `flip=True` makes the reader's language the
    other one (a French question for an English reader): the cross-lingual case."""
    found, reciprocal, misses = 0, 0.0, []
    per_lang: dict[str, list[int]] = {}
    in_reader_lang, returned = 0, 0
    for entry in entries:
        reader = {"fr": "en", "en": "fr"}.get(entry["lang"], entry["lang"]) if flip else entry["lang"]
        documents = top_documents(retriever, entry["query"], reader, n, strict_lang)
        ranks = [rank for rank, source in enumerate(documents, 1) if source in entry["relevant"]]
        per_lang.setdefault(str(entry["lang"]), []).append(1 if ranks else 0)
        in_reader_lang += sum(1 for source in documents if source.startswith(f"{reader}/"))
        returned += len(documents)
        if ranks:
            found += 1
            reciprocal += 1 / ranks[0]
        else:
            misses.append(f"[{entry['lang']}] {entry['query']} -> {documents}")
    total = max(len(entries), 1)
    return {
        "n": len(entries),
        "recall": found / total,
        "mrr": reciprocal / total,
        "recall_by_lang": {lang: sum(hits) / len(hits) for lang, hits in sorted(per_lang.items())},
        "reader_lang_share": in_reader_lang / max(returned, 1),
        "misses": misses,
    }


def query_latencies(retriever: HybridRetriever, queries: list[tuple[str, str | None]], rounds: int = 3) -> list[float]:
    """Milliseconds per search, warm, with the query embedding computed every time (cache cleared)."""
    retriever.search("warm up", k=5)
    timings = []
    for _ in range(rounds):
        for query, lang in queries:
            embed_query.cache_clear()
            started = time.perf_counter()
            retriever.search(query, k=5, lang=lang)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def synthetic_corpus(folder: Path, target_chunks: int, seed: int = 7) -> None:
    """Markdown documents of shuffled corpus sentences, 20 sections of about 700 characters each,
    written until the chunker makes `target_chunks` chunks of them."""
    rng = random.Random(seed)
    sentences: dict[str, list[str]] = {"fr": [], "en": []}
    for path in sorted((ROOT / "knowledge" / "corpus").glob("*/*.md")):
        lang = path.parent.name
        if lang in sentences:
            text = path.read_text(encoding="utf-8").split("---", 2)[-1]
            sentences[lang] += [s.strip() for s in text.replace("\n", " ").split(". ") if len(s.strip()) > 40]
    chunks, doc = 0, 0
    while chunks < target_chunks:
        lang = "fr" if doc % 2 else "en"
        parts = [f"---\ntitle: Synthetic document {doc}\nlanguage: {lang}\ntopics: [rag]\n---\n\n# Synthetic {doc}\n"]
        for section in range(20):
            body = ""
            while len(body) < 650:
                body += rng.choice(sentences[lang]) + ". "
            parts.append(f"## Section {section}\n\n{body.strip()}\n")
        text = "\n".join(parts)
        (folder / f"synthetic-{doc:04d}.md").write_text(text, encoding="utf-8")
        chunks += len(chunk_text(text.split("---\n", 2)[2]))  # the front matter is not indexed
        doc += 1


def build(settings: Settings, store_dir: Path, paths: list[Path] | None, include_corpus: bool) -> KnowledgeStore:
    store = KnowledgeStore(settings, store_dir=store_dir)
    started = time.perf_counter()
    report = store.index(paths, include_corpus=include_corpus)
    seconds = time.perf_counter() - started
    chunks = store.count()
    print(f"  build: {seconds:.1f} s for {len(report.added) + len(report.updated)} documents, "
          f"{report.chunks_embedded} chunks embedded -> {report.chunks_embedded / max(seconds, 1e-9):.1f} chunks/s")
    started = time.perf_counter()
    again = KnowledgeStore(settings, store_dir=store_dir).index(paths, include_corpus=include_corpus)
    print(f"  re-index, nothing changed: {time.perf_counter() - started:.2f} s ({len(again.skipped)} skipped)")
    print(f"  chunks in store: {chunks}")
    return store


def report_latency(label: str, retriever: HybridRetriever, queries: list[tuple[str, str | None]]) -> None:
    started = time.perf_counter()
    retriever.snapshot()
    print(f"  BM25 + chunk list load: {time.perf_counter() - started:.2f} s")
    timings = query_latencies(retriever, queries)
    print(f"  {label} warm query latency: p50 {percentile(timings, 0.5):.1f} ms, "
          f"p95 {percentile(timings, 0.95):.1f} ms ({len(timings)} searches)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic-chunks", type=int, default=10_000)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--keep", type=Path, help="Work folder to keep (and reuse) between runs.")
    parser.add_argument("--torch-threads", type=int, help="torch.set_num_threads for the whole run.")
    args = parser.parse_args()
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    work = args.keep or Path(tempfile.mkdtemp(prefix="agentprep-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=work / "data")
    entries = load_labelled_set()
    queries = [(e["query"], e["lang"]) for e in entries] or [("hybrid retrieval", "en")]

    print(f"Load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on 2 cores")
    started = time.perf_counter()
    embed_query("load the model")
    print(f"Embedding model load: {time.perf_counter() - started:.1f} s")
    print("Shipped corpus:")
    store = build(settings, work / "shipped", None, include_corpus=True)
    retriever = HybridRetriever(store)
    report_latency("shipped corpus", retriever, queries)
    print(f"Labelled set: {len(entries)} queries from {LABELLED_DIR.relative_to(ROOT)}/")
    for name, overrides in VARIANTS.items():
        config = {key: value for key, value in overrides.items() if key != "strict_lang"}
        retriever_variant = HybridRetriever(store, replace(RetrievalConfig(), **config))
        result = evaluate(retriever_variant, entries, strict_lang=bool(overrides.get("strict_lang")))
        by_lang = "  ".join(f"{lang} {value:.3f}" for lang, value in result["recall_by_lang"].items())
        print(f"  {name:42s} recall@5 {result['recall']:.3f}  MRR@5 {result['mrr']:.3f}  (recall {by_lang}; "
              f"{result['reader_lang_share']:.0%} of documents in the reader's language)")
        if not overrides:
            shipped_misses = result["misses"]
    print("  Cross-lingual (reader's language is the other one, e.g. a French question for an English reader):")
    for name, overrides in CROSS_LINGUAL_VARIANTS.items():
        config = {key: value for key, value in overrides.items() if key != "strict_lang"}
        retriever_variant = HybridRetriever(store, replace(RetrievalConfig(), **config))
        result = evaluate(retriever_variant, entries, strict_lang=bool(overrides.get("strict_lang")), flip=True)
        print(f"  {name:42s} recall@5 {result['recall']:.3f}  MRR@5 {result['mrr']:.3f}  "
              f"({result['reader_lang_share']:.0%} of documents in the reader's language)")
    print("  misses (shipped settings):")
    for miss in shipped_misses:
        print(f"    {miss}")
    print(f"Peak memory so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")

    if not args.skip_synthetic:
        folder = work / "synthetic-docs"
        folder.mkdir(exist_ok=True)
        synthetic_corpus(folder, args.synthetic_chunks)  # same seed: files already there are unchanged
        print(f"Synthetic corpus ({args.synthetic_chunks} chunks wanted):")
        synthetic = build(settings, work / "synthetic", [folder], include_corpus=False)
        report_latency(f"{synthetic.count()} chunks", HybridRetriever(synthetic), queries)
    print(f"Peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
