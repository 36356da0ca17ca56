"""`brobyg demo`: the main job on the embedded default, from nothing.

A simulated municipality (a few hundred young people, their mentors and two partnerships)
in a local SQLite file; then the caseloads, the high-risk list and the outcome report, and
the HTML report written beside the database.
"""

from __future__ import annotations

from pathlib import Path

import click

from brobyg.cli import params
from brobyg.cli.app import Env, cli
from brobyg.cli.i18n import _


@cli.command()
@click.option("--pathways", type=params.IntRange(1, 100_000), default=400, show_default=True, help="How many young people.")
@click.option("--seed", type=params.INTEGER, default=1, show_default=True)
@click.option("--replace", is_flag=True, help="Start from an empty SQLite file, replacing the one given by --db.")
@click.pass_context
def demo(ctx: click.Context, pathways: int, seed: int, replace: bool) -> None:
    """Simulate a municipality, then show its caseloads, high-risk list and outcomes, and write the HTML report."""
    from brobyg.engine.store import parse_store_url

    env: Env = ctx.obj
    store = parse_store_url(env.db)
    if replace and store.is_sqlite:
        for suffix in ("", "-wal", "-shm"):
            Path(store.eventsourcing_env["SQLITE_DBNAME"] + suffix).unlink(missing_ok=True)
    from brobyg.cli import reports, simulate, views

    ctx.invoke(simulate.simulate, pathways=pathways, seed=seed, start=None, as_json=False)
    click.echo("")
    ctx.invoke(views.caseload, mentor_id=None, as_of=None, as_json=False)
    click.echo("")
    ctx.invoke(views.risk, level="high", limit=50, as_of=None, as_json=False)
    click.echo("")
    ctx.invoke(reports.outcomes, cohort="year", as_of=None, fmt="table", output=None, force=False, as_json=False)
    page = (
        Path(store.eventsourcing_env["SQLITE_DBNAME"]).with_name("report.html") if store.is_sqlite else Path("brobyg-report.html")
    )
    ctx.invoke(reports.report_html, output=page, force=True, cohort="year", as_of=None)  # the demo's own page
    click.echo("")
    click.echo(
        _("The HTML report (outcomes by cohort, risk levels, time in state, fidelity, capacity): {page}").format(
            page=page.resolve()
        )
    )
