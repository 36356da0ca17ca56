"""Start-up of reading commands on a small store: each as a whole process (median of 5) beside a
floor, and where the imports' time goes (`python -X importtime`).

The store is the demo's (400 pathways, seed 1), built once in --folder and reused. Target
(issue 16): `--help` and every `--json` read under 0.25 s. The floor is a bare Python process,
in the same run, that imports sqlite3 and runs the same kind of SELECT the command needs (the
read models' positions and the log's head, then the rows: the people and their transitions for
the lists, one stream's events for show and history, the settled parts for the report; none for
`--help`). Rounds are interleaved (every command, then its floor, five times). Beside the floor,
the floor plus what importing SQLAlchemy adds to a process (`python -c "import sqlalchemy"`
against `python -c pass`, in the same rounds): the least a reading command that uses SQLAlchemy,
the read models' library, can take.

With --pg URL (a PostgreSQL URL with ?schema=NAME, the demo made there on first use) the same
commands on PostgreSQL, beside a floor that imports psycopg, connects and runs the same SELECTs.

    .venv/bin/python bench/startup.py [--db PATH] [--folder DIR] [--pg URL] [--repeat 5] [--top 8]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from brobyg.engine.aggregate import STREAM_NAMESPACE

BROBYG = str(Path(sys.executable).with_name("brobyg"))
TARGET = 0.25
HEAD = "c.execute('SELECT view, position FROM view_tracking').fetchall(); c.execute('SELECT max(rowid) FROM stored_events').fetchall()"
LISTS = (
    "c.execute(\"SELECT * FROM rm_people WHERE state NOT IN ('apprenticeship', 'employed', 'dropped_out', 'withdrawn')\").fetchall(); "
    "c.execute('SELECT * FROM rm_transitions').fetchall(); c.execute('SELECT * FROM rm_contacts').fetchall()"
)
STREAM = "c.execute('SELECT * FROM stored_events WHERE originator_id = ?', ({stream!r},)).fetchall()"
REPORT = "c.execute('SELECT * FROM rm_settled').fetchall(); c.execute('SELECT * FROM rm_transitions').fetchall()"
# The same on PostgreSQL ({s}: the store's schema; the events table is `cli.app.EVENTS_TABLE`).
PG_HEAD = "c.execute('SELECT view, position FROM {s}.view_tracking').fetchall(); c.execute('SELECT {s}.brobyg_settled_head()').fetchall()"
PG_LISTS = (
    "c.execute(\"SELECT * FROM {s}.rm_people WHERE state NOT IN ('apprenticeship', 'employed', 'dropped_out', 'withdrawn')\").fetchall(); "
    "c.execute('SELECT * FROM {s}.rm_transitions').fetchall(); c.execute('SELECT * FROM {s}.rm_contacts').fetchall()"
)
PG_STREAM = "c.execute('SELECT * FROM {s}.brobyg_events WHERE originator_id = %s', ({stream!r},)).fetchall()"
PG_REPORT = "c.execute('SELECT * FROM {s}.rm_settled').fetchall(); c.execute('SELECT * FROM {s}.rm_transitions').fetchall()"
# Whether these were imported at all, beside the biggest packages.
WATCHED = ("sqlalchemy", "eventsourcing.application", "rich", "babel", "psycopg", "cryptography")


# As an installed brobyg runs: with its compiled bytecode (an editable install under
# PYTHONDONTWRITEBYTECODE would compile brobyg's own source on every run).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=ENV)
    return time.perf_counter() - start


def floor(db: str, query: str | None) -> list[str]:
    code = f"import sqlite3; c = sqlite3.connect({db!r})" + (f"; {HEAD}; {query}" if query else "")
    return [sys.executable, "-c", code]


def pg_floor(libpq: str, schema: str, query: str | None) -> list[str]:
    if query is None:
        return [sys.executable, "-c", "pass"]
    code = f"import psycopg; c = psycopg.connect({libpq!r}); {PG_HEAD.format(s=schema)}; {query}"
    return [sys.executable, "-c", code]


def imports(argv: list[str]) -> tuple[float, dict[str, float], set[str]]:
    """The seconds `-X importtime` counts, per top-level package, and the watched modules imported."""
    code = f"import sys; sys.argv = {['brobyg', *argv[1:]]!r}; from brobyg.cli.main import main; main()"
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, env=ENV)
    per: dict[str, float] = defaultdict(float)
    seen: set[str] = set()
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)$", line)
        if not m:
            continue
        name = m[2]
        per[name.split(".")[0] if not name.startswith("brobyg.") else ".".join(name.split(".")[:2])] += int(m[1]) / 1e6
        seen.update(w for w in WATCHED if name == w or name.startswith(w + "."))
    return sum(per.values()), per, seen


def commands(base: list[str], case: str, stream: str, pg: str | None = None) -> dict[str, tuple[list[str], str | None]]:
    """Each command timed, and the query its floor runs (None: no store)."""
    lists, one, report = (LISTS, STREAM.format(stream=stream), REPORT)
    if pg is not None:
        lists, one, report = (PG_LISTS.format(s=pg), PG_STREAM.format(s=pg, stream=stream), PG_REPORT.format(s=pg))
    return {
        "brobyg --help": ([BROBYG, "--help"], None),
        "caseload --json": ([*base, "caseload", "--json"], lists),
        "risk --json": ([*base, "risk", "--json"], lists),
        "agenda --json": ([*base, "agenda", "--json"], lists),
        "find --json": ([*base, "find", "--json"], lists),
        "show CASE --json": ([*base, "show", case, "--json"], one),
        "history CASE --json": ([*base, "history", case, "--json"], one),
        "report outcomes --json": ([*base, "report", "outcomes", "--json"], report),
    }


def timed(title: str, timing: dict[str, tuple[list[str], str | None]], floor_of: Any, repeat: int, top: int) -> None:
    times: dict[str, list[float]] = defaultdict(list)
    floors: dict[str, list[float]] = defaultdict(list)
    bare, with_sqlalchemy = [], []  # what importing SQLAlchemy (the read models' library) adds to a process
    for _ in range(repeat):
        for name, (argv, query) in timing.items():
            times[name].append(run(argv))
            floors[name].append(run(floor_of(query)))
        bare.append(run([sys.executable, "-c", "pass"]))
        with_sqlalchemy.append(run([sys.executable, "-c", "import sqlalchemy"]))
    sqlalchemy = statistics.median(with_sqlalchemy) - statistics.median(bare)
    imported = {name: imports(argv) for name, (argv, _query) in timing.items()}
    print(f"{title}; python {sys.version.split()[0]}, {os.cpu_count()} cores; median of {repeat}; load {os.getloadavg()[0]:.1f}")
    print(f"{'command':24} {'time':>7} {'floor':>7} {'ratio':>6} {'floor+SA':>8}  target < {TARGET} s")
    for name in timing:
        t, f = statistics.median(times[name]), statistics.median(floors[name])
        bound = f"{f + sqlalchemy:7.3f}s" if "sqlalchemy" in imported[name][2] else f"{'':8}"
        print(f"{name:24} {t:6.3f}s {f:6.3f}s {t / f:5.1f}x {bound}  {'met' if t < TARGET else 'missed'}")
    print(f"floor+SA: the floor and importing SQLAlchemy ({sqlalchemy:.3f} s more than a bare Python process, median),")
    print("for the commands that import it")
    print("\nimports (-X importtime, seconds by package; importtime's own overhead included):")
    for name in timing:
        total, per, seen = imported[name]
        ranked = sorted(per.items(), key=lambda kv: -kv[1])[:top]
        print(f"{name:24} {total:5.3f}s: " + ", ".join(f"{k} {v:.3f}" for k, v in ranked))
        print(f"{'':24} imported: {', '.join(w for w in WATCHED if w in seen) or 'none of ' + ', '.join(WATCHED)}")


def first_case(base: list[str]) -> tuple[str, str]:
    """The highest-risk case and its stream id, as brobyg derives it (`engine.aggregate`)."""
    risk = json.loads(subprocess.run([*base, "risk", "--json"], check=True, capture_output=True, text=True, env=ENV).stdout)
    case = risk[0]["case"]
    return case, uuid.uuid5(STREAM_NAMESPACE, f"case:{case}").hex


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="an existing SQLite store [default: the demo's, in --folder]")
    parser.add_argument("--folder", default="/tmp/brobyg-bench-startup")
    parser.add_argument(
        "--pg", metavar="URL", help="also a PostgreSQL store (with ?schema=NAME; the demo made there on first use)"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top", type=int, default=8, help="packages listed per command by import time")
    args = parser.parse_args()
    db = args.db
    folder = Path(args.folder)
    if db is None:
        folder.mkdir(mode=0o700, exist_ok=True)
        db = str(folder / "demo.sqlite")
        if not Path(db).exists():
            subprocess.run([BROBYG, "--db", db, "demo"], check=True, capture_output=True, cwd=folder, env=ENV)
    base = [BROBYG, "--db", db, "--as", "bench"]
    case, stream = first_case(base)
    timed(f"store: {db} (case {case})", commands(base, case, stream), lambda q: floor(db, q), args.repeat, args.top)
    if args.pg:
        from brobyg.engine.store import parse_store_url

        store = parse_store_url(args.pg)
        base = [BROBYG, "--db", args.pg]  # the login acts (--as is for admins)
        if not subprocess.run([*base, "caseload", "--json"], capture_output=True, env=ENV).stdout.strip():
            folder.mkdir(mode=0o700, exist_ok=True)
            subprocess.run([*base, "demo"], check=True, capture_output=True, cwd=folder, env=ENV)
        case, stream = first_case(base)
        schema = store.schema or "public"
        print()
        timed(
            f"store: {store.display} (case {case})",
            commands(base, case, str(uuid.UUID(stream)), pg=schema),
            lambda q: pg_floor(store.libpq_url, schema, q),
            args.repeat,
            args.top,
        )


if __name__ == "__main__":
    main()
