"""Index the knowledge store in a child process: `python -m knowledge.index_worker [PATH...]`.

The app starts this at low priority, after it has made the store answer without the model
(`KnowledgeStore.prepare`), to embed what the shipped vectors do not cover: a coach's documents,
corpus pages changed since the vectors were written (the PATHs it names, plus whatever the store
already indexes). Not in one of the server's own threads: loading torch and embedding would hold the
server's GIL for seconds and slow every page a candidate opens meanwhile. If another process is
writing to the store, the worker waits for it (build lock), then finds that work done.

The worker prints `@progress DONE TOTAL` lines (chunks embedded), `@waiting` while another build holds the store and,
on failure, one `@error MESSAGE` line; it stops as soon as its standard input closes, which the server
does when it is done with it or when it stops, however it stops.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

PRIORITY = 10
"""`nice` increment: the candidate's pages and browser come first."""


def _exit_when_stdin_closes() -> None:
    while os.read(0, 4096):
        pass
    os._exit(3)


def main(argv: list[str]) -> int:
    if hasattr(os, "nice"):
        os.nice(PRIORITY)
    threading.Thread(target=_exit_when_stdin_closes, name="stdin-watch", daemon=True).start()
    from config import get_settings
    from knowledge.documents import upload_name
    from knowledge.store import EMBEDDING, WAITING, KnowledgeStore

    def report(done: int, total: int, label: str) -> None:
        if label == WAITING:
            print("@waiting", flush=True)
        elif label == EMBEDDING:  # reading and comparing files is quick: the wait is the embedding
            print(f"@progress {done} {total}", flush=True)

    try:
        # Uploads (`upload/<name>`) are read from the database by every index run: only files are paths.
        paths = [Path(arg) for arg in argv if upload_name(arg) is None]
        KnowledgeStore(get_settings()).index(paths, progress=report)
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}".replace("\n", " ")
        print("@error", message, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
