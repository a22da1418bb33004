"""Index the knowledge store in a child process: `python -m knowledge.index_worker`.

The app starts this at low priority when it starts, instead of indexing in one of its own threads:
loading torch and chunking the corpus would hold the server's GIL for seconds and slow every page
a candidate opens meanwhile. The worker prints `@progress DONE TOTAL` lines and, on failure, one
`@error MESSAGE` line; it stops as soon as its standard input closes, which the server does when it
is done with it or when it stops, however it stops.
"""

from __future__ import annotations

import os
import sys
import threading

PRIORITY = 10
"""`nice` increment: the candidate's pages and browser come first."""


def _exit_when_stdin_closes() -> None:
    while os.read(0, 4096):
        pass
    os._exit(3)


def main() -> int:
    if hasattr(os, "nice"):
        os.nice(PRIORITY)
    threading.Thread(target=_exit_when_stdin_closes, name="stdin-watch", daemon=True).start()
    from config import get_settings
    from knowledge.store import KnowledgeStore

    def report(done: int, total: int, _label: str) -> None:
        print("@progress", done, total, flush=True)

    try:
        KnowledgeStore(get_settings()).index(progress=report)
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}".replace("\n", " ")
        print("@error", message, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
