"""The raw floor of saving as a store grows: a store's events inserted again, in order, by plain
`executemany` into a fresh table keyed as eventsourcing keys it (stream id, version), in WAL mode
as the store is, a transaction every --batch rows; the total time, and that of the first and the
last tenth of the rows.

    .venv/bin/python bench/insert_growth.py --db /tmp/brobyg-scale/scale-100k.sqlite [--batch 20000]
        [--limit 300000] [--cache-mb 256] [--synchronous OFF]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a simulated SQLite store, read only")
    parser.add_argument("--batch", type=int, default=20_000, help="rows per transaction")
    parser.add_argument("--limit", type=int, help="only the first this many events")
    parser.add_argument("--cache-mb", type=int, help="SQLite's page cache [default: its own, 2 MB]")
    parser.add_argument("--synchronous", choices=["OFF", "NORMAL", "FULL"], help="[default: FULL, as the store]")
    args = parser.parse_args()
    query = "SELECT originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid"
    source = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    rows = source.execute(query + (" LIMIT ?" if args.limit else ""), (args.limit,) if args.limit else ()).fetchall()
    source.close()
    with tempfile.TemporaryDirectory() as folder:
        conn = sqlite3.connect(Path(folder) / "floor.sqlite", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        if args.cache_mb:
            conn.execute(f"PRAGMA cache_size=-{args.cache_mb * 1024}")
        if args.synchronous:
            conn.execute(f"PRAGMA synchronous={args.synchronous}")
        conn.execute(
            "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
            "PRIMARY KEY (originator_id, originator_version))"
        )
        done: list[tuple[int, float]] = []  # (rows inserted, seconds since the start)
        start = time.perf_counter()
        for at in range(0, len(rows), args.batch):
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO stored_events VALUES (?, ?, ?, ?)", rows[at : at + args.batch])
            conn.execute("COMMIT")
            done.append((min(at + args.batch, len(rows)), time.perf_counter() - start))
        conn.close()
    total, tenth = done[-1][1], len(rows) // 10
    first = next(seconds for n, seconds in done if n >= tenth)
    last = total - next(seconds for n, seconds in done if n >= len(rows) - tenth)
    print(f"{len(rows):,} rows in transactions of {args.batch:,}: {total:.1f} s ({len(rows) / total:,.0f} rows/s)")
    print(f"first tenth {first:.2f} s, last tenth {last:.2f} s ({last / first:.1f}x)")


if __name__ == "__main__":
    main()
