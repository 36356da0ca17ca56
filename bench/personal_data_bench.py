"""What sealing personal data costs: a simulation of N pathways and `projections rebuild`, each
with the personal fields sealed (the product as it is) and in clear, on fresh stores.

    .venv/bin/python bench/personal_data_bench.py --store sqlite --pathways 10000 --rounds 3

"In clear" is this benchmark's own doing, in its own processes: there `PersonalData.seal`,
`open`, `claims_for` and `prefetch` do nothing, the mapper stores personal events as it stores
every other, and `seal_for_view` gives the read model of people the value's own bytes, so no
data key is made, wrapped, unwrapped or used. Every simulation and
every rebuild runs in a process of its own, the rounds alternate which goes first, and each
prints beside it the raw floor of `simulate_bench.py` (plain executemany of the same rows) or of
`rebuild_bench.py` (reading and decoding the same log). The master key is a file in a temporary
folder, never the user's own. Each store is checked for a simulated person's name in clear.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from common import PG, drop, fresh_url, peak_memory_mb

NAME = b"Simulated person"  # every simulated person's reference starts so (`Simulation.refer`)
SEALED = b'"aes256gcm"'  # the stored form of a sealed field (`engine.personal.SEALED`)
TARGET = 1.15


def sealing_off() -> None:
    """Personal fields stored and read in clear, in this process only."""
    from eventsourcing.persistence import Mapper

    from brobyg.engine.event_types import ClosedMapper
    from brobyg.engine.personal import ERASED, PersonalData

    PersonalData.seal = lambda self, *args: None  # type: ignore[method-assign]
    PersonalData.open = lambda self, *args: None  # type: ignore[method-assign]
    PersonalData.claims_for = lambda self, *args: {}  # type: ignore[method-assign]
    PersonalData.prefetch = lambda self, *args: None  # type: ignore[method-assign]
    PersonalData.seal_for_view = lambda self, *args: args[-1].encode("utf-8")  # type: ignore[method-assign]  # the value
    PersonalData.open_for_view = lambda self, *args: ERASED if args[-1] is None else args[-1].decode("utf-8")  # type: ignore[method-assign]
    ClosedMapper.to_stored_event = Mapper.to_stored_event  # type: ignore[method-assign]  # its copy is only for sealing


# --- one step, in a process of its own --------------------------------------------------------


def step_simulate(store: str, url: str, pathways: int, folder: Path) -> dict[str, Any]:
    from simulate_bench import raw_floor, simulate

    seconds, cpu, result, app = simulate(url, pathways)
    peak = peak_memory_mb()
    app.close()
    rows, floor_seconds = raw_floor(store, url, folder)
    return {
        "seconds": seconds,
        "cpu": cpu,
        "events": result.events,
        "refused": result.refused,
        "peak_mb": peak,
        "floor_rows": rows,
        "floor_seconds": floor_seconds,
    }


def step_rebuild(url: str) -> dict[str, Any]:
    from rebuild_bench import rebuild_and_floor

    return rebuild_and_floor(url)


def in_clear(store: str, url: str) -> dict[str, int]:
    """How many stored events hold a sealed field, and how many places hold a simulated
    person's name in clear: in the SQLite files, anywhere; on PostgreSQL, in any row of the
    store's schema (events, claims and read models)."""
    if store == "sqlite":
        import sqlite3

        with sqlite3.connect(url) as conn:
            sealed = conn.execute("SELECT count(*) FROM stored_events WHERE instr(state, ?) > 0", [SEALED]).fetchone()[0]
        data = b"".join(Path(f"{url}{s}").read_bytes() for s in ("", "-wal") if Path(f"{url}{s}").exists())
        return {"sealed": sealed, "names": data.count(NAME)}
    import psycopg

    from brobyg.engine.store import parse_store_url

    parsed = parse_store_url(url)
    schema = parsed.schema
    sealed = names = 0
    with psycopg.connect(parsed.libpq_url) as conn:

        def count(where: str, table: str, value: object) -> int:
            return int(conn.execute(f'SELECT count(*) FROM "{schema}"."{table}" AS t WHERE {where}', [value]).fetchone()[0])  # type: ignore[index]

        columns = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = %s", [schema]
        ).fetchall()
        for table in sorted({t for t, _, _ in columns} - {"floor"}):  # not the raw floor's copy of the events
            names += count("t::text LIKE %s", table, f"%{NAME.decode()}%")  # a row's text shows bytes in hex:
            for column in (c for t, c, kind in columns if t == table and kind == "bytea"):  # look into them as bytes
                names += count(f'position(%s::bytea in "{column}") > 0', table, NAME)
                if column == "state":
                    sealed += count("position(%s::bytea in state) > 0", table, SEALED)
    return {"sealed": sealed, "names": names}


def child(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["simulate", "rebuild", "check"])
    parser.add_argument("--sealing", choices=["on", "off"], required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--pathways", type=int, default=0)
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args(argv)
    if args.sealing == "off":
        sealing_off()
    if args.step == "simulate":
        out = step_simulate(args.store, args.url, args.pathways, args.folder)
    elif args.step == "rebuild":
        out = step_rebuild(args.url)
    else:
        out = in_clear(args.store, args.url)
    print(json.dumps(out))


# --- the rounds -------------------------------------------------------------------------------


def run_step(step: str, sealing: str, store: str, url: str, pathways: int, folder: Path) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--step", step, "--sealing", sealing, "--store", store, "--url", url]
    argv += ["--pathways", str(pathways), "--folder", str(folder)]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{step}, sealing {sealing}, failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def remove(store: str, url: str) -> None:
    if store == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url}{suffix}").unlink(missing_ok=True)
    else:
        drop(url)


def spread(values: list[float], fmt: str) -> str:
    return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pathways", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the stores of the last round")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="brobyg-bench-"))
    os.environ["BROBYG_KEY_FILE"] = str(folder / "keys" / "master.key")  # the children's master key
    kept = False
    try:
        kept = rounds(args, folder)
    finally:
        if not kept:
            shutil.rmtree(folder, ignore_errors=True)


def rounds(args: argparse.Namespace, folder: Path) -> bool:
    """Run the rounds and print the figures; whether the last round's stores were kept."""
    print(f"store={args.store} pathways={args.pathways} rounds={args.rounds}" + (f" ({PG})" if args.store == "postgres" else ""))
    results: dict[str, list[dict[str, Any]]] = {"on": [], "off": []}
    checks: dict[str, dict[str, int]] = {}
    for r in range(args.rounds):
        order = ("on", "off") if r % 2 == 0 else ("off", "on")
        line = []
        for sealing in order:
            url = fresh_url(args.store, folder, f"personal_{sealing}{r}")
            try:
                sim = run_step("simulate", sealing, args.store, url, args.pathways, folder)
                reb = run_step("rebuild", sealing, args.store, url, args.pathways, folder)
                if r == args.rounds - 1:
                    checks[sealing] = run_step("check", sealing, args.store, url, args.pathways, folder)
            finally:
                if not (args.keep and r == args.rounds - 1):
                    remove(args.store, url)
            results[sealing].append({"simulate": sim, "rebuild": reb, "url": url})
            line.append(
                f"sealing {sealing}: simulate {sim['seconds']:.1f} s (cpu {sim['cpu']:.1f} s), rebuild {reb['seconds']:.1f} s"
            )
        on, off = results["on"][-1], results["off"][-1]
        print(
            f"round {r + 1} ({' then '.join(order)}): "
            + "; ".join(line)
            + f"; ratios {on['simulate']['seconds'] / off['simulate']['seconds']:.3f}"
            f" / {on['rebuild']['seconds'] / off['rebuild']['seconds']:.3f}",
            flush=True,
        )

    def column(sealing: str, step: str, key: str) -> list[float]:
        return [x[step][key] for x in results[sealing]]

    first = results["on"][0]["simulate"]
    print(
        f"events={first['events']} refused={first['refused']} (the same in every run: {len({x['simulate']['events'] for x in results['on'] + results['off']}) == 1})"
    )
    print("median (range) of the rounds:")
    for step, label in (("simulate", "simulate"), ("rebuild", "rebuild")):
        for sealing in ("on", "off"):
            seconds = column(sealing, step, "seconds")
            if step == "simulate":
                ours = [x["simulate"]["events"] / x["simulate"]["seconds"] for x in results[sealing]]
                floors = [x["simulate"]["floor_rows"] / x["simulate"]["floor_seconds"] for x in results[sealing]]
                shares = [o / f for o, f in zip(ours, floors, strict=True)]
                extra = f", peak memory {statistics.median(column(sealing, step, 'peak_mb')):.0f} MB"
            else:
                ours = [x["rebuild"]["processed"] / x["rebuild"]["seconds"] for x in results[sealing]]
                floors = [x["rebuild"]["floor_events"] / x["rebuild"]["floor_seconds"] for x in results[sealing]]
                shares = [f_s / s for f_s, s in zip(column(sealing, step, "floor_seconds"), seconds, strict=True)]
                extra = ""
            print(
                f"  {label} sealing {sealing:3}: {spread(seconds, '.1f')} s, {spread(ours, ',.0f')} events/s; "
                f"raw floor {spread(floors, ',.0f')} events/s; {spread([100 * s for s in shares], '.1f')} % of the floor"
                f"; cpu {spread(column(sealing, step, 'cpu'), '.1f')} s{extra}"
            )
        per_round = [a / b for a, b in zip(column("on", step, "seconds"), column("off", step, "seconds"), strict=True)]
        cpu = [a / b for a, b in zip(column("on", step, "cpu"), column("off", step, "cpu"), strict=True)]
        ratio = statistics.median(per_round)
        print(
            f"  {label} sealed ÷ in clear: {ratio:.3f} (median of the rounds; per round {', '.join(f'{x:.3f}' for x in per_round)}); "
            f"cpu {spread(cpu, '.3f')}; target ≤ {TARGET:.2f}: {'met' if ratio <= TARGET else 'missed'}"
        )
    for sealing in ("on", "off"):
        c = checks[sealing]
        print(
            f"check, sealing {sealing}: {c['sealed']:,} stored events hold sealed fields; a simulated person's name in clear {c['names']:,} times"
        )
    if checks["on"]["names"] or not checks["off"]["names"] or not checks["on"]["sealed"]:
        print("CHECK FAILED: the sealed store holds names in clear, or the check finds nothing to find")
    if args.keep:
        kept = ", ".join(results[s][-1]["url"] for s in ("on", "off"))
        print(f"kept: {kept} (read them with BROBYG_KEY_FILE={os.environ['BROBYG_KEY_FILE']})")
    return bool(args.keep)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--step":
        child(sys.argv[2:])
    else:
        main()
