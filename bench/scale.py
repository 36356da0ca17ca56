"""Reading commands as the history grows: three simulated stores, every reading command timed as a
whole process (median of 5), beside a raw floor, and the growth ratios.

The stores (seed 1, up to 2026-11-26):
  6y   10,000 pathways over 6 years: a municipality today
  30y  50,000 pathways over 30 years: the same weekly intake and caseload, five times the history
  100k 100,000 pathways over 6 years: a national store, ten times the caseload

Targets (issue 16): each command on 30y within 1.3x its time on 6y; on 30y under 0.5 s for the
lists (caseload, risk, agenda, find, show) and under 1 s for each report; on 100k lists under
1 s and reports under 2 s; `--as-of` two years back under 5 s on 100k. The floor is the raw SELECT, in this process, of the rows the command
reads (`floor_queries`: the active pathways' rows for the lists; a report's monthly tallies, kept
parts and the other pathways' facts).

    .venv/bin/python bench/scale.py --store sqlite [--stores 6y,30y,100k] [--repeat 5]

Stores are kept in --folder (SQLite) or schemas scale_<name> (PostgreSQL) and reused; --fresh
builds them again. Building 100k takes tens of minutes.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from common import PG, TODAY, median_run

from brobyg.domain.terms import ACTIVE_STATES
from brobyg.engine.store import parse_store_url, with_schema
from brobyg.projections.policy import load_policy
from brobyg.projections.settled import holds_early

BROBYG = str(Path(sys.executable).with_name("brobyg"))
STORES = {"6y": (10_000, 6), "30y": (50_000, 30), "100k": (100_000, 6)}
LISTS = ("caseload", "risk", "agenda", "find", "show")
TARGETS = {"30y": (0.5, 1.0), "100k": (1.0, 2.0)}  # (lists, reports) in seconds
PAST = TODAY.replace(year=TODAY.year - 2)  # `--as-of` a past day: under 5 s on 100k
PAST_TARGET = 5.0


def url_of(store: str, name: str, folder: Path) -> str:
    if store == "sqlite":
        return str(folder / f"scale-{name}.sqlite")
    return with_schema(PG, f"scale_{name}")


def exists(url: str) -> bool:
    store = parse_store_url(url)
    engine = sa.create_engine(store.sqlalchemy_url)
    try:
        with engine.connect() as conn:
            # The pathways' read model: on both stores, filled by the build's simulation.
            table = "rm_pathways" if store.is_sqlite else f'"{store.schema}".rm_pathways'
            return bool(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar())
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def build(url: str, pathways: int, years: int) -> None:
    start = TODAY.replace(year=TODAY.year - years)
    base = [BROBYG, "--db", url, "--today", str(TODAY), "--as", "bench"]
    began = time.perf_counter()
    subprocess.run(
        [*base, "simulate", "--pathways", str(pathways), "--start", str(start), "--json"], check=True, capture_output=True
    )
    simulated = time.perf_counter() - began
    began = time.perf_counter()
    subprocess.run([*base, "caseload", "--json"], check=True, capture_output=True)  # the first read catches up
    print(f"  built: simulate {simulated:.0f} s, then the first read (catching up) {time.perf_counter() - began:.1f} s")


def commands(url: str) -> dict[str, list[str]]:
    base = [BROBYG, "--db", url, "--today", str(TODAY), "--as", "bench"]
    risk = json.loads(subprocess.run([*base, "risk", "--json"], check=True, capture_output=True, text=True).stdout)
    case = next(r["case"] for r in risk if r["state"] in ("bridging", "basic_course"))
    return {
        "--help": [BROBYG, "--help"],
        "caseload": [*base, "caseload", "--json"],
        "risk": [*base, "risk", "--json"],
        "agenda": [*base, "agenda", "--json"],
        "find": [*base, "find", case, "--json"],
        "show": [*base, "show", case, "--json"],
        "report outcomes": [*base, "report", "outcomes", "--json"],
        "report capacity": [*base, "report", "capacity", "--json"],
        "report fidelity": [*base, "report", "fidelity", "--json"],
        # A past day: the lists and reports as they stood then, from the facts where nothing kept fits.
        **{
            f"{' '.join(name)} --as-of": [*base, *name, "--json", "--as-of", str(PAST)]
            for name in (("risk",), ("report", "outcomes"), ("report", "capacity"), ("report", "fidelity"))
        },
    }


FACT_TABLES = ("rm_transitions", "rm_mentor_changes", "rm_contacts", "rm_requests", "rm_absences", "rm_placements", "rm_cadences")


def floor_queries(conn: sa.Connection, prefix: str) -> dict[str, list[str]]:
    """The raw SELECTs of the rows each command reads. Lists: the active pathways in rm_people and
    their rows in rm_active (each with its facts). A report: the tallies of the months referred by
    then and the kept parts in them that do not hold yet (taken out of their tallies), the kept parts
    of the settled pathways in other months, the active pathways' parts kept in rm_active where
    they hold for the day, and the facts of every other pathway (the transitions for outcomes and
    capacity, every fact the fidelity measures read for fidelity)."""
    states = ", ".join(f"'{s}'" for s in ACTIVE_STATES)
    active = f"SELECT stream FROM {prefix}rm_people WHERE state IN ({states})"
    today = f"'{TODAY}'"
    months = conn.exec_driver_sql(f"SELECT month FROM {prefix}rm_tallies WHERE last_referred <= {today}").scalars()
    ranges: list[list[dt.date]] = []  # months that follow one another as one range
    for month in sorted(months):
        year, number = (int(x) for x in month.split("-"))
        first = dt.date(year, number, 1)
        last = first.replace(day=calendar.monthrange(year, number)[1])
        if ranges and ranges[-1][1] + dt.timedelta(days=1) == first:
            ranges[-1][1] = last
        else:
            ranges.append([first, last])
    tallied = " OR ".join(f"{{c}} BETWEEN '{a}' AND '{b}'" for a, b in ranges) or "1 = 0"
    held_by = f"'{TODAY + holds_early(load_policy())}'"  # a kept part settling by then holds today
    late = f"s.settles_on > {held_by} AND ({tallied.format(c='s.referred_on')})"
    others = (
        f"SELECT p.stream FROM {prefix}rm_pathways p LEFT JOIN {prefix}rm_settled s"
        f" ON s.stream = p.stream AND s.settles_on <= {held_by}"
        f" WHERE s.stream IS NULL AND NOT ({tallied.format(c='p.referred_on')})"
        f" UNION ALL SELECT stream FROM {prefix}rm_unsettled WHERE {tallied.format(c='referred_on')}"
        f" UNION ALL SELECT s.stream FROM {prefix}rm_settled s WHERE {late}"
    )
    queries = {"lists": [active, f"SELECT * FROM {prefix}rm_active WHERE stream IN ({active})"]}
    for report in ("outcomes", "capacity", "fidelity"):
        facts = FACT_TABLES if report == "fidelity" else FACT_TABLES[:1]
        holds = f"last_on <= {today}" + ("" if report == "outcomes" else f" AND parts_from <= {today}")
        queries[report] = [
            f"SELECT month, first_referred, last_referred, last_settles, {report} FROM {prefix}rm_tallies"
            f" WHERE last_referred <= {today}",
            f"SELECT s.stream, s.referred_on, s.{report} FROM {prefix}rm_settled s WHERE {late}",
            f"SELECT p.stream, s.{report} FROM {prefix}rm_pathways p LEFT JOIN {prefix}rm_settled s"
            f" ON s.stream = p.stream AND s.settles_on <= {held_by}"
            f" WHERE p.referred_on <= {today} AND NOT ({tallied.format(c='p.referred_on')})",
            # The other pathways found once, as the command does; the active ones' kept parts,
            # where they hold; then the rest's facts.
            f"CREATE TEMPORARY TABLE floor_others AS {others}",
            f"SELECT stream, parts_from, bridging_since, {report} FROM {prefix}rm_active"
            f" WHERE stream IN (SELECT stream FROM floor_others) AND {holds}",
            f"DELETE FROM floor_others WHERE stream IN (SELECT stream FROM {prefix}rm_active WHERE {holds})",
            *(f"SELECT * FROM {prefix}{t} WHERE stream IN (SELECT stream FROM floor_others)" for t in facts),
            "DROP TABLE floor_others",
        ]
    return queries


def floors(url: str) -> dict[str, float]:
    """Each command's floor, in this process: its raw SELECTs (`floor_queries`), median of 5."""
    store = parse_store_url(url)
    engine = sa.create_engine(store.sqlalchemy_url)
    prefix = "" if store.is_sqlite else f'"{store.schema}".'
    found = {}
    with engine.connect() as conn:
        for name, sqls in floor_queries(conn, prefix).items():
            runs = []
            for _ in range(5):
                began = time.perf_counter()
                for sql in sqls:
                    result = conn.exec_driver_sql(sql)
                    if result.returns_rows:
                        result.fetchall()
                runs.append(time.perf_counter() - began)
            found[name] = statistics.median(runs)
    engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--stores", default="6y,30y,100k", help="which of 6y, 30y, 100k")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/brobyg-scale"))
    parser.add_argument("--fresh", action="store_true", help="build the stores again")
    args = parser.parse_args()
    args.folder.mkdir(mode=0o700, exist_ok=True)
    wanted = [s.strip() for s in args.stores.split(",")]
    times: dict[str, dict[str, float]] = {}
    for name in wanted:
        pathways, years = STORES[name]
        url = url_of(args.store, name, args.folder)
        print(f"{name}: {pathways:,} pathways over {years} years ({args.store})", flush=True)
        if args.fresh or not exists(url):
            if args.store == "sqlite":
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{url}{suffix}").unlink(missing_ok=True)
            build(url, pathways, years)
        floor = floors(url)
        times[name] = {}
        for command, argv in commands(url).items():
            seconds = median_run(argv, args.repeat)
            times[name][command] = seconds
            kind = "lists" if command in LISTS else command.removeprefix("report ") if command.startswith("report") else None
            verdict = ""
            if command.endswith("--as-of"):  # no floor: what it reads depends on the day
                kind = None
                if name == "100k":
                    verdict = f"  target < {PAST_TARGET} s: {'ok' if seconds < PAST_TARGET else 'MISSED'}"
            beside = f"  floor {floor[kind]:.3f} s ({seconds / floor[kind]:.0f}x)" if kind else ""
            limits = TARGETS.get(name)
            if limits and kind:
                limit = limits[0] if kind == "lists" else limits[1]
                verdict = f"  target < {limit} s: {'ok' if seconds < limit else 'MISSED'}"
            print(f"  {command:24} {seconds:7.3f} s{beside}{verdict}", flush=True)
    for longer, shorter, limit in (("30y", "6y", 1.3), ("100k", "6y", None)):
        if longer in times and shorter in times:
            print(f"growth {longer} / {shorter}:" + ("" if limit is None else f" (target <= {limit}x)"))
            for command, seconds in times[longer].items():
                ratio = seconds / times[shorter][command]
                verdict = "" if limit is None or command == "--help" else f"  {'ok' if ratio <= limit else 'MISSED'}"
                print(f"  {command:24} {ratio:5.2f}x{verdict}")
    print(f"(as of {dt.date.today()}; {TODAY} in the stores)")


if __name__ == "__main__":
    main()
