"""`brobyg demo`: a small scripted municipality on a fresh store, then a look at it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.app import Env, cli, json_option
from cli.output import emit, table


@cli.command()
@click.option("--replace", is_flag=True, help="Start from an empty SQLite file, replacing the one given by --db.")
@json_option
@click.pass_obj
def demo(env: Env, replace: bool, as_json: bool) -> None:
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
    cases = run_demo(app, today, report=(lambda line: None) if as_json else click.echo)
    pathways = [app.pathway(case) for case in cases]
    data = {
        "db": store.display,
        "today": today,
        "cases": [{"case": p.case, "state": p.state, "mentor": p.mentor, "mentor_role": p.mentor_role} for p in pathways],
    }

    def human() -> None:
        rows = []
        for p in pathways:
            blocked = [s for s in app.next_steps(p.case) if not s.allowed]
            rules = ", ".join(sorted({v.rule for s in blocked for v in s.violations}))
            rows.append(
                [p.case, p.state.replace("_", " "), p.mentor or "", p.mentor_role or "", p.entered.get("referred"), rules]
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

    emit(data, as_json, human)
