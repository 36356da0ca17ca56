"""Rebuild every read model from the log of an existing store; compare with a raw floor:
reading and decoding the same log, page by page, with nothing written.

    .venv/bin/python bench/rebuild_bench.py --db /tmp/brobyg-bench-…/sim10000.sqlite [--rounds 5]

With several rounds (each a rebuild and then the floor), the medians of the rounds are printed.
"""

from __future__ import annotations

import argparse
import statistics

from common import app_for, peak_memory_mb, timed, timed_with_cpu

from brobyg.projections.readmodels import ReadModels


def read_and_decode(app) -> int:  # type: ignore[no-untyped-def]
    """Read the whole log page by page and decode every event, as a catch-up does (each page's
    data keys unwrapped with one query first), writing nothing."""
    count, start = 0, 1
    prepare = getattr(app.mapper, "prepare", None)
    while True:
        page = app.recorder.select_notifications(start=start, limit=500)
        if not page:
            return count
        if prepare is not None:
            prepare(page)
        for notification in page:
            app.mapper.to_domain_event(notification)
        count += len(page)
        start = page[-1].id + 1


def rebuild_and_floor(url: str) -> dict[str, float]:
    """`projections rebuild` on the store at `url`, then the floor, each by an application of its
    own (neither finds data keys the other unwrapped): the rebuild's events and wall and CPU
    seconds, the floor's events and seconds."""
    app = app_for(url)
    seconds, cpu, processed = timed_with_cpu(ReadModels(app).rebuild)
    app.close()
    app = app_for(url)
    floor_seconds, events = timed(lambda: read_and_decode(app))
    app.close()
    return {"processed": processed, "seconds": seconds, "cpu": cpu, "floor_events": events, "floor_seconds": floor_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--rounds", type=int, default=1, help="rebuild and floor this many times; print the medians")
    args = parser.parse_args()
    runs = [rebuild_and_floor(args.db) for _ in range(args.rounds)]
    events, processed = runs[0]["floor_events"], runs[0]["processed"]
    seconds, floor_seconds = (statistics.median(run[k] for run in runs) for k in ("seconds", "floor_seconds"))
    print(f"events={events} processed={processed}")
    if args.rounds > 1:
        print(f"rounds: {args.rounds}; rebuild {min(r['seconds'] for r in runs):.1f}–{max(r['seconds'] for r in runs):.1f} s")
    print(f"rebuild: {seconds:.1f} s, {processed / seconds:,.0f} events/s")
    print(f"raw floor (read and decode the log): {floor_seconds:.1f} s, {events / floor_seconds:,.0f} events/s")
    print(f"ratio: {floor_seconds / seconds:.1%} of the floor; peak memory {peak_memory_mb():.0f} MB")


if __name__ == "__main__":
    main()
