"""Rebuild every read model from the log of an existing store; compare with a raw floor:
reading and decoding the same log, page by page, with nothing written.

    .venv/bin/python bench/rebuild_bench.py --db /tmp/brobyg-bench-…/sim10000.sqlite
"""

from __future__ import annotations

import argparse

from common import app_for, peak_memory_mb, timed

from brobyg.projections.readmodels import ReadModels


def read_and_decode(app) -> int:  # type: ignore[no-untyped-def]
    count, start = 0, 1
    while True:
        page = app.recorder.select_notifications(start=start, limit=500)
        if not page:
            return count
        for notification in page:
            app.mapper.to_domain_event(notification)
        count += len(page)
        start = page[-1].id + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    app = app_for(args.db)
    read_models = ReadModels(app)
    floor_seconds, events = timed(lambda: read_and_decode(app))
    seconds, processed = timed(read_models.rebuild)
    print(f"events={events} processed={processed}")
    print(f"rebuild: {seconds:.1f} s, {processed / seconds:,.0f} events/s")
    print(f"raw floor (read and decode the log): {floor_seconds:.1f} s, {events / floor_seconds:,.0f} events/s")
    print(f"ratio: {floor_seconds / seconds:.1%} of the floor; peak memory {peak_memory_mb():.0f} MB")


if __name__ == "__main__":
    main()
