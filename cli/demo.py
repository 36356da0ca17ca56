"""`brobyg demo`: a small scripted municipality on a fresh store, then a look at it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.app import Env, cli
from cli.output import table


@cli.command()
@click.option("--replace", is_flag=True, help="Start from an empty SQLite file, replacing the one given by --db.")
@click.pass_obj
def demo(env: Env, replace: bool) -> None:
    """Create a demo population (mentors, a partnership, pathways in every stage) and show it."""
    from engine.store import parse_store_url
    from simulator.demo import run_demo

    store = parse_store_url(env.db)
    if replace and store.is_sqlite:
        for suffix in ("", "-wal", "-shm"):
            Path(store.eventsourcing_env["SQLITE_DBNAME"] + suffix).unlink(missing_ok=True)
    app = env.app
    if app.count_events():
        raise click.UsageError(f"{store.display} already holds events; use --replace (SQLite) or an empty database")
    today = app.clock.today()
    cases = run_demo(app, today, report=click.echo)
    rows = []
    for case in cases:
        p = app.pathway(case)
        blocked = [s for s in app.next_steps(case) if not s.allowed]
        rows.append(
            [
                p.case,
                p.state.replace("_", " "),
                p.mentor or "",
                p.mentor_role or "",
                p.entered.get("referred"),
                ", ".join(sorted({v.rule for s in blocked for v in s.violations})),
            ]
        )
    table(
        f"Demo pathways on {store.display} (today {today})",
        ["case", "state", "mentor", "role", "referred", "rules blocking a next step"],
        rows,
    )
    prog = sys.argv[0] if Path(sys.argv[0]).name == "brobyg" else "brobyg"
    click.echo("")
    click.echo(f"Try:  {prog} --db {store.display} show {cases[0]}")
    click.echo(f"      {prog} --db {store.display} next {cases[0]}")
    click.echo(f"      {prog} --db {store.display} history {cases[-1]}")
