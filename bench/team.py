"""Two app servers sharing one PostgreSQL and one Chroma server: how long 40 candidates wait for a grade.

Starts the team deployment of `bench/cluster.py` (PostgreSQL 15, `chroma run`, `cli.py index`, two
`serve.py`), lets one candidate per server answer first (the embedding model loads on a server's
first grade), then has SESSIONS candidates open a quiz, answer and submit all at once, spread over
both servers, each in a tab of their own (one arriving every 0.5 s). Prints the time from the click on Submit to the
grade on screen (p50, p95, max) and the server-side grading time the attempts record. Every
browser runs on this machine too, so the figures are for 2 shared cores, not for candidates on their
own laptops. No LLM: the embedded grader grades.

Usage: .venv/bin/python bench/team.py [--sessions 40]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cluster import ARRIVAL_GAP_S, concurrent_sessions, percentile, team_cluster  # noqa: E402
from storage.attempts import AttemptStore  # noqa: E402
from storage.db import dispose_engines  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-team-") as root, team_cluster(Path(root)) as cluster:
        servers = [server.url for server in cluster.servers]
        asyncio.run(concurrent_sessions(servers, len(servers), prefix="warm-up"))
        started = time.perf_counter()
        outcomes = asyncio.run(concurrent_sessions(servers, args.sessions))
        wall = time.perf_counter() - started
        store = AttemptStore(cluster.database_url)
        candidates = [profile for profile in store.profiles() if profile.startswith("cand-")]
        rows = [attempt for profile in candidates for attempt in store.list(profile)]
        dispose_engines()
    seconds = [o.seconds for o in outcomes if o.seconds is not None]
    kept = {row.profile: row for row in rows}
    intact = sum(1 for o in outcomes if (row := kept.get(o.profile)) and row.answer == o.answer
                 and row.status == "graded")  # fmt: skip
    print(f"{args.sessions} candidates over {len(servers)} app servers (PostgreSQL + Chroma server), arriving "
          f"{ARRIVAL_GAP_S:g} s apart, their browsers on this machine too; {wall:.0f} s in all")  # fmt: skip
    if len(seconds) >= 2:
        print(f"  Submit to grade on screen: p50 {percentile(seconds, 0.5):.1f} s, "
              f"p95 {percentile(seconds, 0.95):.1f} s, max {max(seconds):.1f} s")  # fmt: skip
    grading = [row.grading_ms / 1000 for row in rows if row.grading_ms is not None]
    if len(grading) >= 2:
        print(f"  grading on the server (attempt saved to grade stored): p50 {statistics.median(grading):.1f} s, "
              f"p95 {percentile(grading, 0.95):.1f} s")  # fmt: skip
    print(f"  sessions graded: {len(seconds)}/{args.sessions}; attempts in PostgreSQL with their own answer, "
          f"graded: {intact}/{args.sessions}")  # fmt: skip
    for outcome in outcomes:
        if outcome.error:
            print(f"  {outcome.profile} on {outcome.server}: {outcome.error.splitlines()[0]}")


if __name__ == "__main__":
    main()
