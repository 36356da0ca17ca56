"""Commands per second sustained by N concurrent processes (N = 1, 2, 4, 8), each running many
commands through the application service on its own pathways; the share that had to retry;
and the time to catch the read models up after the burst.

    .venv/bin/python bench/concurrency_bench.py --store postgres --commands 300
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import time

from common import TODAY, app_for, drop, fresh_url

from projections.readmodels import ReadModels


def worker(
    url: str, number: int, cases: list[str], commands: int, start: multiprocessing.Event, out: multiprocessing.Queue
) -> None:
    app = app_for(url)
    app.actor = f"coordinator-{number}"
    app.pathway(cases[0])  # connect before the clock starts
    start.wait()
    began = time.perf_counter()
    for i in range(commands):
        case = cases[i % len(cases)]
        (app.contact if i % 2 else app.request)(case, on=TODAY)
    out.put((time.perf_counter() - began, app.retried))


def run(url: str, processes: int, commands: int) -> tuple[float, float, float]:
    app = app_for(url)
    for m in range(8):
        app.add_mentor(f"m{m}", f"M{m}", "lab", capacity=1000, on=TODAY - dt.timedelta(days=1))
    own = []
    for n in range(processes):  # every process gets pathways of its own, with a mentor each
        cases = [app.refer(f"C{n}-{i}", dt.date(1999, 1, 1 + i), "education-ready", on=TODAY).case for i in range(10)]
        for i, case in enumerate(cases):
            app.assign(case, f"m{(n + i) % 8}", "planned", on=TODAY)
        own.append(cases)
    context = multiprocessing.get_context("spawn")
    start, out = context.Event(), context.Queue()
    workers = [context.Process(target=worker, args=(url, n, own[n], commands, start, out)) for n in range(processes)]
    for w in workers:
        w.start()
    time.sleep(2 + processes * 0.5)  # let every worker set up its pathways
    began = time.perf_counter()
    start.set()
    results = [out.get(timeout=600) for _ in workers]
    wall = time.perf_counter() - began
    for w in workers:
        w.join()
    retried = sum(r for _, r in results)
    catch_up_began = time.perf_counter()
    ReadModels(app).catch_up()
    catch_up = time.perf_counter() - catch_up_began
    app.close()
    return processes * commands / wall, retried / (processes * commands), catch_up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--commands", type=int, default=300)
    args = parser.parse_args()
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="brobyg-conc-"))
    single = None
    for processes in (1, 2, 4, 8):
        url = fresh_url(args.store, folder, f"c{processes}")
        rate, retry_share, catch_up = run(url, processes, args.commands)
        single = single or rate
        print(
            f"{args.store:8} {processes} processes: {rate:7.0f} commands/s ({rate / single:.2f}x one process), "
            f"{retry_share:.1%} retried, catch-up after the burst {catch_up:.1f} s"
        )
        drop(url)


if __name__ == "__main__":
    main()
