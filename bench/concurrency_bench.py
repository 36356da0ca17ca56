"""Commands per second sustained by N concurrent processes (N = 1, 2, 4, 8), each running many
commands through the application service on its own pathways; the share that had to retry;
and the time to catch the read models up after the burst.

    .venv/bin/python bench/concurrency_bench.py --store postgres --commands 1000 --rounds 3

"Sustained" is measured while all N processes are running: from the common start signal to
the moment the first process finishes, counting every command completed by then (a slow
straggler at the end would otherwise be counted as the throughput of N). The rounds are
interleaved (1, 2, 4, 8, 1, 2, ...) so that the machine's own drift touches every N alike;
the median round is reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import TODAY, app_for, drop, fresh_url

from projections.readmodels import ReadModels

PROCESSES = (1, 2, 4, 8)


def worker(url: str, number: int, cases: list[str], commands: int, start: Any, out: Any) -> None:
    app = app_for(url)
    app.actor = f"coordinator-{number}"
    app.pathway(cases[0])  # connect before the clock starts
    start.wait()
    done = []
    for i in range(commands):
        case = cases[i % len(cases)]
        (app.contact if i % 2 else app.request)(case, on=TODAY)
        done.append(time.monotonic())  # system-wide clock: comparable between processes
    out.put((done, app.retried))


@dataclass
class Round:
    rate: float  # commands/s while all processes ran
    retry_share: float
    catch_up: float  # seconds to bring the read models up to date after the burst
    cpu: float  # share of the machine's cores busy during the burst (all processes, PostgreSQL too)


def cpu_times() -> tuple[int, int]:
    """Busy and total jiffies of the whole machine (Linux's /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


def run(url: str, processes: int, commands: int) -> Round:
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
    time.sleep(2 + processes * 0.5)  # let every worker import and connect
    cpu_before = cpu_times()
    began = time.monotonic()
    start.set()
    results = [out.get(timeout=600) for _ in workers]
    busy, total = (after - before for after, before in zip(cpu_times(), cpu_before, strict=True))
    for w in workers:
        w.join()
    window_end = min(done[-1] for done, _ in results)
    completed = sum(sum(1 for t in done if t <= window_end) for done, _ in results)
    retried = sum(r for _, r in results)
    catch_up_began = time.perf_counter()
    ReadModels(app).catch_up()
    catch_up = time.perf_counter() - catch_up_began
    app.close()
    return Round(completed / (window_end - began), retried / (processes * commands), catch_up, busy / max(total, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--commands", type=int, default=1000, help="commands per process")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="brobyg-conc-"))
    rounds: dict[int, list[Round]] = {n: [] for n in PROCESSES}
    for r in range(args.rounds):
        for processes in PROCESSES:
            url = fresh_url(args.store, folder, f"c{processes}")
            try:
                result = run(url, processes, args.commands)
            finally:
                drop(url)
            rounds[processes].append(result)
            print(
                f"  round {r + 1}, {processes} processes: {result.rate:5.0f} commands/s, cores busy {result.cpu:.0%}", flush=True
            )
    single = statistics.median(x.rate for x in rounds[1])
    print(f"{args.store}, {args.commands} commands per process, median of {args.rounds} rounds:")
    for processes, results in rounds.items():
        rate = statistics.median(x.rate for x in results)
        print(
            f"  {processes} processes: {rate:5.0f} commands/s ({rate / single:.2f}x one process), "
            f"{max(x.retry_share for x in results):.1%} retried, "
            f"catch-up after the burst {max(x.catch_up for x in results):.1f} s, "
            f"cores busy {statistics.median(x.cpu for x in results):.0%}"
        )


if __name__ == "__main__":
    main()
