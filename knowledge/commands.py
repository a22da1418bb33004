"""`python cli.py index` and `python cli.py search`: build and query the knowledge store.

Only click is imported here; chromadb, torch and bm25s load inside the commands, so `--help` stays
instant. Problems are printed to stderr and turn into exit code 1, for scripts and CI.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

_STORE_HELP = "Embedded Chroma store folder (default: AGENTPREP_DATA_DIR/chroma, or the Chroma server if configured)."


def _open_store(store_dir: Path | None):  # type: ignore[no-untyped-def]
    from config import get_settings
    from knowledge.store import KnowledgeStore

    return KnowledgeStore(get_settings(), store_dir=store_dir)


class _ProgressBars:
    """Turns `progress(done, total, label)` calls into one tqdm bar per stage, on stderr."""

    def __init__(self) -> None:
        self.bar = None
        self.label = ""

    def __call__(self, done: int, total: int, label: str) -> None:
        from tqdm import tqdm

        if self.bar is None or label != self.label:
            self.close()
            self.bar, self.label = tqdm(total=total, desc=label, unit="", file=sys.stderr, leave=False), label
        self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _echo_list(title: str, items: list[str], limit: int | None = None) -> None:
    if not items:
        return
    click.echo(f"{title} ({len(items)}):")
    shown = items if limit is None else items[:limit]
    for item in shown:
        click.echo(f"  {item}")
    if len(shown) < len(items):
        click.echo(f"  ... and {len(items) - len(shown)} more")


@click.command("index")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--store", "store_dir", type=click.Path(file_okay=False, path_type=Path), help=_STORE_HELP)
@click.option("--rebuild", is_flag=True, help="Rebuild the store from scratch (the corpus from its shipped vectors).")
@click.option("--no-corpus", is_flag=True, help="Index only the given PATHs, not the shipped corpus.")
@click.option("--write-shipped", is_flag=True,
              help="Developers: embed the corpus and write knowledge/shipped_index.npz (commit it), then stop.")
def index_command(paths: tuple[Path, ...], store_dir: Path | None, rebuild: bool, no_corpus: bool,
                  write_shipped: bool) -> None:  # fmt: skip
    """Index the shipped corpus and the given files or folders (Markdown, text, PDF, HTML).

    Unchanged documents are skipped, changed ones re-embedded, deleted ones removed. The shipped
    corpus's chunks take their vectors from knowledge/shipped_index.npz when it has them, so only
    your own documents (and corpus pages changed since that file was written) are embedded. If
    another process is indexing the same store, this waits for it.
    """
    from knowledge.store import KnowledgeStoreError

    if write_shipped:
        _write_shipped()
        return
    store = _open_store(store_dir)
    bars = _ProgressBars()
    try:
        report = store.index(list(paths), include_corpus=not no_corpus, rebuild=rebuild, progress=bars)
    except KnowledgeStoreError as exc:
        bars.close()
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    bars.close()
    if report.rebuilt:
        click.echo(f"Rebuilt the index: {report.rebuild_reason}.")
    _echo_list("Added", report.added)
    _echo_list("Updated", report.updated)
    _echo_list("Removed", report.removed)
    _echo_list("Skipped (unchanged)", report.skipped, limit=10)
    click.echo(
        f"{store.location}: {len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed, "
        f"{len(report.skipped)} skipped, {len(report.errors)} error(s); "
        f"{report.chunks_embedded} chunks embedded, {report.chunks_shipped} from the shipped vectors, "
        f"in {report.seconds:.1f} s."
    )
    if report.errors:
        click.echo(f"{len(report.errors)} file(s) could not be indexed (what was indexed before is kept):", err=True)
        for error in report.errors:
            click.echo(f"  - {error}", err=True)
        sys.exit(1)


def _write_shipped() -> None:
    from config import get_settings
    from knowledge.shipped import SHIPPED_CORPUS, SHIPPED_INDEX, write_shipped

    bars = _ProgressBars()
    settings = get_settings().model_copy(update={"corpus_dir": SHIPPED_CORPUS})  # never another corpus
    manifest = write_shipped(settings, SHIPPED_INDEX, progress=bars)
    bars.close()
    size_kb = SHIPPED_INDEX.stat().st_size / 1024
    click.echo(f"Wrote {SHIPPED_INDEX} ({manifest['chunks']} chunks, {size_kb:.0f} KB, "
               f"corpus {manifest['corpus_hash'][:12]}): commit it with the corpus.")  # fmt: skip


@click.command("search")
@click.argument("query")
@click.option("--store", "store_dir", type=click.Path(file_okay=False, path_type=Path), help=_STORE_HELP)
@click.option("-k", "k", type=click.IntRange(1, 100), default=5, show_default=True, help="Number of passages.")
@click.option("--lang", type=click.Choice(["fr", "en"]), help="Reader's language (default: the query's).")
@click.option("--json", "as_json", is_flag=True, help='Print a JSON list of {"text", "source", "title", "score"}.')
def search_command(query: str, store_dir: Path | None, k: int, lang: str | None, as_json: bool) -> None:
    """Hybrid (dense + BM25) search of the knowledge store, best first.

    A new store is first loaded with the shipped corpus (from its shipped vectors, in seconds)."""
    from knowledge.retrieval import HybridRetriever
    from knowledge.store import KnowledgeStoreError

    store = _open_store(store_dir)
    try:
        if not store.servable():  # a new store: load the shipped corpus, without the embedding model
            report = store.prepare()
            if report is not None and report.deferred:
                click.echo(f"{len(report.deferred)} file(s) need the embedding model and are not searched yet: "
                           "run `python cli.py index`.", err=True)  # fmt: skip
        if store.count() == 0:
            click.echo(f"The knowledge store at {store.location} is empty: run `python cli.py index` first.", err=True)
            sys.exit(1)
        hits = HybridRetriever(store).search(query, k=k, lang=lang)
    except KnowledgeStoreError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    if as_json:
        rows = [{"text": h.text, "source": h.source, "title": h.title, "score": h.score} for h in hits]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not hits:
        click.echo("No passage matches.")
    for rank, hit in enumerate(hits, 1):
        click.echo(f"{rank}. {hit.heading_path or hit.title}  [{hit.source}, score {hit.score:.4f}]")
        click.echo(f"   {hit.snippet}")
