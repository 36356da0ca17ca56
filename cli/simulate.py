"""`brobyg simulate`: a simulated municipality, lived through the real application service."""

from __future__ import annotations

import datetime as dt

import click

from brobyg.cli import params
from brobyg.cli.app import Env, cli, json_option
from brobyg.cli.i18n import _, long_date, ngettext
from brobyg.cli.output import emit, progress_bar
from brobyg.cli.params import DATE


@cli.command()
@click.option("--pathways", required=True, type=params.IntRange(1, 1_000_000), help="How many young people to refer.")
@click.option("--seed", type=params.INTEGER, default=1, show_default=True, help="The same seed gives the same database content.")
@click.option("--start", type=DATE, help="The first week of intake [default: six years before today].")
@json_option
@click.pass_obj
def simulate(env: Env, pathways: int, seed: int, start: dt.date | None, as_json: bool) -> None:
    """Create mentors, two partnerships and N young people, and live their pathways week by
    week up to today, every step through the same rules a coordinator meets."""
    from brobyg.engine.clock import Clock
    from brobyg.simulator.simulate import Simulation

    env.may_run_ahead = env.may_create = True
    app = env.app
    if app.count_events() or not app.mark_simulated():
        raise click.UsageError(_("{store} already holds events; simulate into an empty store").format(store=app.store.display))
    today = app.clock.today()
    start = start or today.replace(year=today.year - 6)
    if start >= today:
        raise click.BadParameter(_("must lie before today"), param_hint="'--start'")
    app.clock = Clock(today, simulated=True)  # recorded times follow the effective dates: same seed, same bytes
    app.rng.seed(seed)
    sim = Simulation(app, pathways, seed, start, today)
    with progress_bar(
        ngettext("simulating {n} pathway", "simulating {n} pathways", pathways).format(n=pathways), quiet=as_json
    ) as advance:
        result = sim.run(advance)
    # The read models are built now, as part of the simulation, not by whoever reads first.
    with progress_bar(_("building the read models"), quiet=as_json) as advance:
        env.read_models.catch_up(advance)
    data = {
        "pathways": result.pathways,
        "events": result.events,
        "refused": result.refused,
        "start": start,
        "today": today,
        "mentors": len(sim.mentors),
        "partnerships": sim.partnerships,
    }

    def human() -> None:
        counts = {
            "pathways": ngettext("{n} pathway", "{n} pathways", result.pathways).format(n=result.pathways),
            "events": ngettext("{n} event", "{n} events", result.events).format(n=result.events),
            "mentors": ngettext("{n} mentor", "{n} mentors", len(sim.mentors)).format(n=len(sim.mentors)),
            "partnerships": ngettext("{n} partnership", "{n} partnerships", len(sim.partnerships)).format(
                n=len(sim.partnerships)
            ),
            "steps": ngettext("{n} step", "{n} steps", result.refused).format(n=result.refused),
        }
        click.echo(
            _(
                "simulated {pathways} from {start} to {today}: {events}, {mentors}, {partnerships} ({steps} refused by the rules)"
            ).format(start=long_date(start), today=long_date(today), **counts)
        )

    emit(data, as_json, human)
