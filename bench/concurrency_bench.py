"""Commands per second sustained by N concurrent processes (N = 1, 2, 4, 8), each running many
commands through the application service on its own pathways; the share that had to retry;
the time to catch the read models up after the burst; and, on PostgreSQL, a raw floor.

    .venv/bin/python bench/concurrency_bench.py --store postgres --commands 1000 --rounds 5

PostgreSQL is the one at BROBYG_TEST_PG (default: over TCP to 127.0.0.1). Processes on the
server's own machine can reach it through its Unix socket instead, which is cheaper for every
round trip:

    BROBYG_TEST_PG='postgresql://postgres@/test?host=/var/run/postgresql' \
        .venv/bin/python bench/concurrency_bench.py --store postgres --commands 1000 --rounds 5

With `--shared`, every process works on the same twenty pathways instead of ten of its own:
commands then race for the same streams. A command first decides on what its process
remembers; the share whose memory was out of date (and so decided again on fresh state), the
share that then lost a race and ran again, and the share that gave up after ten tries (as
"changed by someone else") are what to read.

"Sustained" is measured while all N processes are running: from the common start signal to
the moment the first process finishes, counting every command completed by then (a slow
straggler at the end would otherwise be counted as the throughput of N). The rounds are
interleaved (1, 2, 4, 8, 1, 2, ...) so that the machine's own drift touches every N alike;
the median round is reported.

The floor does what a command does to the database, with plain psycopg and nothing else:
insert one event row (autocommit, so one commit each), in N processes timed the same way. (A
command on an aggregate its process remembers reads nothing first; `--floor-read` adds the
read of the stream that a command on a forgotten aggregate makes.) `--floor-python MS` adds that much pure-Python work (JSON round trips) to
each floor command, to see how the machine itself scales CPU-bound Python processes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import multiprocessing
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import PG, TODAY, app_for, drop, fresh_url

from brobyg.engine.errors import Conflict
from brobyg.engine.store import parse_store_url
from brobyg.projections.readmodels import ReadModels

PAYLOAD = {"items": [{"n": i, "text": str(i) * 3, "list": [1, 2, 3]} for i in range(40)]}


@dataclass
class Round:
    rate: float  # commands/s while all processes ran
    retry_share: float = 0.0  # commands that lost a race and ran again
    refreshed_share: float = 0.0  # commands whose first attempt, on what the process remembered, was out of date
    gave_up_share: float = 0.0  # commands refused as "changed by someone else" after ten tries
    catch_up: float = 0.0  # seconds to bring the read models up to date after the burst
    cpu: float = 0.0  # share of the machine's cores busy during the burst (all processes, PostgreSQL too)
    worker_cpu: float = 0.0  # ms of CPU per command in a worker process (its own, not PostgreSQL's)
    worker_kernel: float = 0.0  # of which in the kernel (network, scheduling)
    preempted: float = 0.0  # involuntary context switches per command in a worker


def cpu_times() -> tuple[int, int]:
    """Busy and total jiffies of the whole machine (Linux's /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


def burst(target: Callable[..., None], args: list[tuple[Any, ...]]) -> tuple[float, list[Any], float]:
    """Start one process per args, let them set up, start them together; returns the rate while
    all ran, what each sent back besides its completion times, and how busy the cores were."""
    context = multiprocessing.get_context("spawn")
    start, out = context.Event(), context.Queue()
    workers = [context.Process(target=target, args=(*a, start, out)) for a in args]
    for w in workers:
        w.start()
    time.sleep(2 + len(workers) * 0.5)  # let every worker import and connect
    cpu_before = cpu_times()
    began = time.monotonic()
    start.set()
    results = [out.get(timeout=600) for _ in workers]
    busy, total = (after - before for after, before in zip(cpu_times(), cpu_before, strict=True))
    for w in workers:
        w.join()
    window_end = min(done[-1] for done, _ in results)
    completed = sum(sum(1 for t in done if t <= window_end) for done, _ in results)
    return completed / (window_end - began), [extra for _, extra in results], busy / max(total, 1)


def worker(url: str, number: int, cases: list[str], commands: int, start: Any, out: Any) -> None:
    app = app_for(url)
    app.actor = f"coordinator-{number}"
    app.pathway(cases[0])  # connect before the clock starts
    start.wait()
    before = resource.getrusage(resource.RUSAGE_SELF)
    done = []
    retried = gave_up = 0  # commands that ran again after losing a race; that lost ten times
    for i in range(commands):
        case = cases[i % len(cases)]
        retries_before = app.retried
        try:
            (app.contact if i % 2 else app.request)(case, on=TODAY)
        except Conflict:
            gave_up += 1
        retried += app.retried > retries_before
        done.append(time.monotonic())  # system-wide clock: comparable between processes
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_ms = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000 / commands
    kernel_ms = (after.ru_stime - before.ru_stime) * 1000 / commands
    out.put((done, (retried, gave_up, app.refreshed, cpu_ms, kernel_ms, (after.ru_nivcsw - before.ru_nivcsw) / commands)))


def run(url: str, processes: int, commands: int, follow: bool = False, shared: bool = False) -> Round:
    app = app_for(url)
    for m in range(8):
        app.add_mentor(f"m{m}", f"M{m}", "lab", capacity=1000, on=TODAY - dt.timedelta(days=1))
    own = []
    for n in range(1 if shared else processes):  # ten pathways per process (or twenty for all), a mentor each
        cases = [
            app.refer(f"C{n}-{i}", dt.date(1999, 1, 1 + i), "education-ready", on=TODAY).case for i in range(20 if shared else 10)
        ]
        for i, case in enumerate(cases):
            app.assign(case, f"m{(n + i) % 8}", "planned", on=TODAY)
        own.append(cases)
    if shared:  # the same twenty pathways for every process, each starting at a different one
        own = [own[0][n:] + own[0][:n] for n in range(processes)]
    follower = None
    if follow:  # `brobyg projections follow` keeps the read models live during the burst
        brobyg = str(Path(sys.executable).with_name("brobyg"))
        follower = subprocess.Popen([brobyg, "--db", url, "projections", "follow"], stdout=subprocess.DEVNULL)
    rate, extras, cpu = burst(worker, [(url, n, own[n], commands) for n in range(processes)])
    catch_up_began = time.perf_counter()
    read_models = ReadModels(app)
    if follower is None:
        read_models.catch_up()
    else:  # how long after the burst until the follower has everything
        while any(s.position < s.head for s in read_models.status()):
            time.sleep(0.01)
        follower.send_signal(signal.SIGINT)
        follower.wait(30)
    catch_up = time.perf_counter() - catch_up_began
    app.close()
    retried, gave_up, refreshed, worker_cpu, worker_kernel, preempted = zip(*extras, strict=True)
    total = processes * commands
    return Round(
        rate,
        sum(retried) / total,
        sum(refreshed) / total,
        sum(gave_up) / total,
        catch_up,
        cpu,
        statistics.median(worker_cpu),
        statistics.median(worker_kernel),
        statistics.median(preempted),
    )


def floor_worker(table: str, commands: int, python_ms: float, read: bool, start: Any, out: Any) -> None:
    import psycopg

    conn = psycopg.connect(PG, autocommit=True)
    streams = [uuid.uuid4() for _ in range(10)]
    versions = dict.fromkeys(streams, 0)
    state = json.dumps(PAYLOAD).encode()[:300]
    loops = round(python_ms / 0.08)  # one JSON round trip of PAYLOAD takes about 0.08 ms here
    start.wait()
    done = []
    for i in range(commands):
        stream = streams[i % len(streams)]
        if read:
            conn.execute(f"SELECT * FROM {table} WHERE originator_id = %s ORDER BY originator_version", (stream,)).fetchall()
        for _ in range(loops):
            json.loads(json.dumps(PAYLOAD))
        versions[stream] += 1
        conn.execute(
            f"INSERT INTO {table} (originator_id, originator_version, topic, state) VALUES (%s, %s, %s, %s)",
            (stream, versions[stream], "topic", state),
        )
        done.append(time.monotonic())
    conn.close()
    out.put((done, None))


def floor(processes: int, commands: int, python_ms: float, read: bool) -> Round:
    import psycopg

    table = f"public.floor_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {table} (originator_id uuid, originator_version bigint, topic text, state bytea, "
            "notification_id bigserial UNIQUE, PRIMARY KEY (originator_id, originator_version))"
        )
    try:
        rate, _, cpu = burst(floor_worker, [(table, commands, python_ms, read)] * processes)
    finally:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f"DROP TABLE {table}")
    return Round(rate, cpu=cpu)


def report(title: str, rounds: dict[int, list[Round]], details: bool) -> None:
    single = statistics.median(x.rate for x in rounds[1])
    print(title)
    for processes, results in rounds.items():
        rate = statistics.median(x.rate for x in results)
        line = f"  {processes} processes: {rate:5.0f} commands/s ({rate / single:.2f}x one process), "
        if details:
            line += (
                f"{statistics.median(x.refreshed_share for x in results):.1%} decided again on fresh state, "
                f"{statistics.median(x.retry_share for x in results):.1%} retried, "
                f"{max(x.gave_up_share for x in results):.1%} gave up, "
                f"read models up to date {max(x.catch_up for x in results):.2f} s after the burst, "
                f"worker CPU {statistics.median(x.worker_cpu for x in results):.2f} ms "
                f"({statistics.median(x.worker_kernel for x in results):.2f} in the kernel) and "
                f"{statistics.median(x.preempted for x in results):.1f} preemptions per command, "
            )
        print(line + f"cores busy {statistics.median(x.cpu for x in results):.0%}")
    if details:
        per_round(rounds)


def per_round(rounds: dict[int, list[Round]]) -> None:
    """The bar, round by round (rounds are interleaved, so each round's figures are a pair):
    the most processes against one, and each step up that fell behind the one below."""
    counts = sorted(rounds)
    most = counts[-1]
    ratios = [m.rate / one.rate for m, one in zip(rounds[most], rounds[1], strict=True)]
    print(f"  per round, {most} processes ÷ one: {min(ratios):.2f}–{max(ratios):.2f}x (median {statistics.median(ratios):.2f}x)")
    for fewer, more in itertools.pairwise(counts):
        steps = [b.rate / a.rate for a, b in zip(rounds[fewer], rounds[more], strict=True)]
        fell = sum(step < 1 for step in steps)
        print(
            f"  from {fewer} to {more} processes: fell in {fell} of {len(steps)} rounds (median {statistics.median(steps):.2f}x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--commands", type=int, default=1000, help="commands per process")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--processes", default="1,2,4,8", help="the numbers of processes to compare, e.g. 1,8")
    parser.add_argument("--floor-python", type=float, default=0.0, help="ms of pure-Python work per floor command")
    parser.add_argument("--floor-read", action="store_true", help="the floor reads the stream before each insert")
    parser.add_argument("--follow", action="store_true", help="run `brobyg projections follow` during each burst (PostgreSQL)")
    parser.add_argument("--shared", action="store_true", help="all processes on the same twenty pathways: races, and retries")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="brobyg-conc-"))
    counts = [int(n) for n in args.processes.split(",")]
    if 1 not in counts:
        parser.error("--processes must include 1: every figure is compared with one process")
    ours: dict[int, list[Round]] = {n: [] for n in counts}
    floors: dict[int, list[Round]] = {n: [] for n in counts}
    for r in range(args.rounds):
        for processes in counts:
            url = fresh_url(args.store, folder, f"c{processes}")
            try:
                result = run(url, processes, args.commands, follow=args.follow, shared=args.shared)
            finally:
                drop(url)
            ours[processes].append(result)
            line = f"  round {r + 1}, {processes} processes: {result.rate:5.0f} commands/s, cores busy {result.cpu:.0%}"
            if args.store == "postgres" and not args.shared:
                floors[processes].append(floor(processes, args.commands, args.floor_python, args.floor_read))
                line += f"; floor {floors[processes][-1].rate:5.0f}/s"
            print(line, flush=True)
    via = (
        ""
        if args.store == "sqlite"
        else (" over the Unix socket" if parse_store_url(PG).eventsourcing_env["POSTGRES_HOST"].startswith("/") else " over TCP")
    )
    on = "the same twenty pathways" if args.shared else "pathways of their own"
    report(
        f"{args.store}{via}, {args.commands} commands per process on {on}, median of {args.rounds} rounds:", ours, details=True
    )
    if args.store == "postgres" and not args.shared:
        extra = f", plus {args.floor_python} ms of Python each" if args.floor_python else ""
        what = "read a stream, insert a row" if args.floor_read else "insert a row"
        report(f"raw floor (plain psycopg: {what}{extra}):", floors, details=False)
        for processes in counts:
            share = statistics.median(x.rate for x in ours[processes]) / statistics.median(x.rate for x in floors[processes])
            print(f"  {processes} processes: brobyg at {share:.0%} of the floor")


if __name__ == "__main__":
    main()
