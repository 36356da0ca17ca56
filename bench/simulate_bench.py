"""Simulate N pathways into a fresh store; compare stored events per second with a raw floor:
plain inserts of the very same rows (same sizes, same database settings) in one transaction.

Also the library's own share: the same events, read back and decoded (not timed), encoded
again by brobyg's mapper (eventsourcing's, sealing personal fields) and inserted by
eventsourcing's own recorder into an empty table (SQLite: a fresh file; PostgreSQL: a table of
its own in the store's schema, dropped after), in transactions of the same size. It is
what the fixed stack takes per event before any command, rule or model runs, so it bounds how
near the floor a simulation can come. It holds every event in memory: `--library-share 0` leaves
it out (`scale_bench.py` does, at 100,000 pathways).

    .venv/bin/python bench/simulate_bench.py --store sqlite --pathways 10000 [--library-share 0]
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from common import TODAY, app_for, arguments, drop, fresh_url, peak_memory_mb, timed_with_cpu

from brobyg.domain.application import Brobyg
from brobyg.engine.store import parse_store_url
from brobyg.simulator.simulate import Result, Simulation


def raw_floor_sqlite(source: str, folder: Path) -> tuple[int, float]:
    import sqlite3
    import time

    reader = sqlite3.connect(source).execute("SELECT originator_id, originator_version, topic, state FROM stored_events")
    chunks = []
    while chunk := reader.fetchmany(20_000):  # the same transaction size as the simulation's batches
        chunks.append(chunk)
    target = folder / "floor.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")  # as eventsourcing's recorder sets it
    conn.execute(
        "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
        "PRIMARY KEY (originator_id, originator_version))"
    )
    start = time.perf_counter()
    for chunk in chunks:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO stored_events VALUES (?, ?, ?, ?)", chunk)
        conn.execute("COMMIT")
    return sum(len(c) for c in chunks), time.perf_counter() - start


def raw_floor_postgres(url: str) -> tuple[int, float]:
    import time

    import psycopg

    store = parse_store_url(url)
    with psycopg.connect(store.libpq_url) as conn:
        rows = conn.execute(
            f'SELECT originator_id, originator_version, topic, state FROM "{store.schema}".brobyg_events'
        ).fetchall()
        conn.execute(
            f'CREATE TABLE "{store.schema}".floor (originator_id uuid, originator_version int, topic text, state bytea, '
            "PRIMARY KEY (originator_id, originator_version))"
        )
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cur:
            for at in range(0, len(rows), 20_000):
                cur.executemany(f'INSERT INTO "{store.schema}".floor VALUES (%s, %s, %s, %s)', rows[at : at + 20_000])
                conn.commit()
        return len(rows), time.perf_counter() - start


def library_share(app: Brobyg, url: str, folder: Path) -> tuple[int, float, float]:
    """The simulated events encoded again and inserted by eventsourcing's own recorder (SQLite: a
    fresh file; PostgreSQL: a table of its own in the store's schema, dropped after): events,
    seconds encoding and seconds inserting (the reading and decoding before is not timed)."""
    import time

    events, start = [], 1
    while page := app.recorder.select_notifications(start=start, limit=20_000):
        app.mapper.prepare(page)
        events.extend(app.mapper.to_domain_event(n) for n in page)
        start = page[-1].id + 1
    encoding = inserting = 0.0
    with _library_recorder(url, folder) as recorder:
        for at in range(0, len(events), 20_000):  # the floor's transaction size
            began = time.perf_counter()
            stored = [app.mapper.to_stored_event(e) for e in events[at : at + 20_000]]
            encoded = time.perf_counter()
            recorder.insert_events(stored)
            encoding, inserting = encoding + encoded - began, inserting + time.perf_counter() - encoded
    return len(events), encoding, inserting


@contextlib.contextmanager
def _library_recorder(url: str, folder: Path) -> Iterator[Any]:
    """eventsourcing's own application recorder on an empty table (on PostgreSQL dropped after)."""
    store = parse_store_url(url)
    if store.is_sqlite:
        from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

        target = folder / "library.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        sqlite = SQLiteApplicationRecorder(SQLiteDatastore(str(target)))
        sqlite.create_table()
        yield sqlite
        return
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

    env = store.eventsourcing_env
    datastore = PostgresDatastore(
        env["POSTGRES_DBNAME"],
        env["POSTGRES_HOST"],
        env["POSTGRES_PORT"],
        env["POSTGRES_USER"],
        env["POSTGRES_PASSWORD"],
        schema=env["POSTGRES_SCHEMA"],
    )
    postgres = PostgresApplicationRecorder(datastore, events_table_name="library_share")
    postgres.create_table()
    try:
        yield postgres
    finally:
        with datastore.transaction(commit=True) as cursor:
            schema = env["POSTGRES_SCHEMA"].replace('"', '""')
            cursor.execute(f'DROP TABLE "{schema}".library_share')  # type: ignore[arg-type]
        datastore.close()


def raw_floor(store: str, url: str, folder: Path) -> tuple[int, float]:
    """The raw floor of a simulated store: its rows inserted again by plain executemany."""
    return raw_floor_sqlite(url, folder) if store == "sqlite" else raw_floor_postgres(url)


def simulate(url: str, pathways: int) -> tuple[float, float, Result, Brobyg]:
    """Simulate `pathways` pathways (seed 1, six years up to TODAY) into the store at `url`:
    wall and CPU seconds, the simulation's result and its application (still open)."""
    app = app_for(url, simulated=True)
    sim = Simulation(app, pathways, 1, TODAY.replace(year=TODAY.year - 6), TODAY)
    seconds, cpu, result = timed_with_cpu(sim.run)
    return seconds, cpu, result, app


def main() -> None:
    args = arguments(__doc__.splitlines()[0], keep="", library_share=1)
    folder = Path(tempfile.mkdtemp(prefix="brobyg-bench-"))
    url = args.keep or fresh_url(args.store, folder, f"sim{args.pathways}")
    seconds, _, result, app = simulate(url, args.pathways)
    peak = peak_memory_mb()  # the simulation's own peak, before the floor reads the log back
    ours = result.events / seconds
    rows, floor_seconds = raw_floor(args.store, url, folder)
    floor = rows / floor_seconds
    print(f"store={args.store} pathways={args.pathways} events={result.events} refused={result.refused}")
    print(f"simulate: {seconds:.1f} s, {ours:,.0f} events/s")
    print(f"raw floor (same rows, plain executemany): {floor_seconds:.2f} s, {floor:,.0f} events/s")
    print(f"ratio: {ours / floor:.1%} of the floor; peak memory of the simulation {peak:.0f} MB")
    if args.library_share:
        events, encoding, inserting = library_share(app, url, folder)
        library = events / (encoding + inserting)
        per_event = 1e6 / ours - 1e6 / library  # µs an event beyond encoding and inserting
        print(
            f"the library's share (encode {encoding:.2f} s and insert {inserting:.2f} s the same events): "
            f"{library:,.0f} events/s, {library / floor:.1%} of the floor; the rest of a simulation "
            f"{per_event:.1f} µs an event (at 25 % of the floor it could have {1e6 / (0.25 * floor) - 1e6 / library:.1f})"
        )
    print(f"database: {url}")
    if args.store == "postgres" and not args.keep:
        print("(PostgreSQL schema kept for the other benchmarks; drop it when done)")
    app.close()
    _ = drop  # schemas are dropped by the caller when done


if __name__ == "__main__":
    main()
