"""Reports for the steering group (`brobyg report`): outcomes, fidelity, capacity, or all as one
HTML page, as a table, JSON, CSV or HTML. Every format shows the figures as published by
`projections.small_numbers`: no count from 1 to 4, no share of fewer than 5 young people."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from brobyg.cli.access_log import logged
from brobyg.cli.app import Env, cli, reads
from brobyg.cli.files import output_option, written_whole
from brobyg.cli.output import emit, table
from brobyg.cli.views import as_of_date, as_of_option
from brobyg.engine.errors import NotAllowed
from brobyg.projections import small_numbers as small

FORMATS = click.Choice(["table", "json", "csv", "html"])


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()


def _deliver(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    with written_whole(output) as out:
        out.write(text)
    click.echo(f"wrote {output}", err=True)


def _render(
    fmt: str,
    as_json: bool,
    data: Any,
    rows: Callable[[], list[dict[str, Any]]],
    human: Callable[[], None],
    html: Callable[[], str],
    output: Path | None,
) -> None:
    if output is not None and fmt == "table" and not as_json:
        raise click.UsageError("-o writes --format csv, json or html; a table is shown in the terminal")
    if fmt in ("table", "csv") and not as_json and small.shows_held_back(data):
        human = _then_note(human)  # JSON carries the note as "suppressed", the HTML page at its foot
        rows = _then_note(rows, err=True)  # standard output stays CSV
    if as_json or fmt == "json":
        if output is not None:
            import json

            from brobyg.cli.output import _default

            _deliver(json.dumps(data, default=_default, ensure_ascii=False, indent=2), output)
        else:
            emit(data, True, human)
    elif fmt == "csv":
        _deliver(_csv(rows()), output)
    elif fmt == "html":
        _deliver(html(), output)
    else:
        human()


def _then_note(f: Callable[[], Any], err: bool = False) -> Callable[[], Any]:
    def noted() -> Any:
        done = f()
        click.echo(small.NOTE, err=err)
        return done

    return noted


@cli.group()
def report() -> None:
    """Reports for the steering group: outcomes, fidelity, capacity, or all as one HTML page."""


def report_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = output_option("Write to this file instead of standard output.")(f)
    f = click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)(f)
    return reads(as_of_option(f))


@report.command()
@click.option("--cohort", type=click.Choice(["month", "quarter", "year"]), default="quarter", show_default=True)
@report_options
def outcomes(env: Env, cohort: str, as_of: dt.date | None, fmt: str, output: Path | None, force: bool, as_json: bool) -> None:
    """Per intake cohort, the funnel from referral to qualification, beside the evaluation's figures."""
    from brobyg.cli import html

    on = as_of_date(env, as_of)
    o = small.outcomes(env.read_models.outcomes(on, cohort))
    shares = ("pathways", "completed_basic_course", "completed_main_course", "employed", "dropped_out", "withdrawn", "active")

    def rows() -> list[dict[str, Any]]:
        # Shares first, then the funnel's counts (n_…), one row for all and one per cohort.
        return [
            {"cohort": c["cohort"], **{k: c[k] for k in shares}, **{f"n_{k}": n for k, n in c["funnel"].items()}}
            for c in [{"cohort": "all", **o["overall"]}, *o["cohorts"]]
        ]

    def human() -> None:
        table(
            f"Outcomes by {cohort} of first referral, as of {on}",
            ["cohort", *shares],
            [[r["cohort"], r["pathways"], *(html.pct(r[k]) for k in shares[1:])] for r in rows()],
        )
        b = o["benchmark"]
        table(
            "The evaluation, about four years after starting bridging",
            ["outcome", "here", "participants", "comparable group"],
            [[k, html.pct(o["overall"][k]), html.pct(b[k]["participants"]), html.pct(b[k]["comparison"])] for k in b],
        )
        table(
            "Days in each state (ended stays)",
            ["state", "stays", "median", "90th percentile"],
            [[r["state"], *map(html.shown, (r["stays"], r["median_days"], r["p90_days"]))] for r in o["time_in_state_overall"]],
        )

    _render(fmt, as_json, o, rows, human, lambda: html.page("Outcomes", on, [html.outcomes_section(o)]), output)


@report.command()
@report_options
def fidelity(env: Env, as_of: dt.date | None, fmt: str, output: Path | None, force: bool, as_json: bool) -> None:
    """The guide's "Test praksis hos jer selv" questions the event log can answer, as shares."""
    from brobyg.cli import html

    on = as_of_date(env, as_of)
    f = small.fidelity(env.read_models.fidelity(on))

    def human() -> None:
        table(
            f"Fidelity as of {on}",
            ["measure", "yes", "of", "share"],
            [
                [m["measure"], html.shown(m["numerator"]), html.shown(m["denominator"]), html.pct(m["share"])]
                for m in f["measures"]
            ],
        )
        click.echo("Not answerable from the event log: " + "; ".join(q.split(":")[0] for q in f["not_answerable"]))

    _render(
        fmt,
        as_json,
        f,
        lambda: [{k: v for k, v in m.items()} for m in f["measures"]],
        human,
        lambda: html.page("Fidelity", on, [html.fidelity_section(f)]),
        output,
    )


@report.command()
@report_options
def capacity(env: Env, as_of: dt.date | None, fmt: str, output: Path | None, force: bool, as_json: bool) -> None:
    """Occupied places per partnership and week against the committed places; intake gaps (R14)."""
    from brobyg.cli import html

    on = as_of_date(env, as_of)
    rows_ = small.capacity(env.read_models.capacity(on))

    def rows() -> list[dict[str, Any]]:
        return [{"partnership": p["partnership"], "places": p["places"], **w} for p in rows_ for w in p["by_week"]]

    def human() -> None:
        table(
            f"Capacity as of {on}",
            ["partnership", "places", "occupied now", "average occupancy", "weeks", "intake-gap weeks", "weeks over"],
            [
                [
                    p["partnership"],
                    p["places"],
                    p["occupied_now"],
                    html.pct(p["average_occupancy"]),
                    p["weeks"],
                    p["intake_gap_weeks"],
                    p["weeks_over"],
                ]
                for p in rows_
            ],
        )

    _render(fmt, as_json, rows_, rows, human, lambda: html.page("Capacity", on, [html.capacity_section(rows_)]), output)


@report.command("html")
@output_option("The HTML file to write.", required=True)
@click.option("--cohort", type=click.Choice(["month", "quarter", "year"]), default="quarter", show_default=True)
@click.option(
    "--with-cases",
    is_flag=True,
    help="Also list the highest-risk cases by id with their mentors: a working list for coordinators, "
    "not for the steering group (refused to analyst and mentor logins).",
)
@as_of_option
@click.pass_obj
def report_html(env: Env, output: Path, force: bool, cohort: str, with_cases: bool, as_of: dt.date | None) -> None:
    """Everything on one self-contained page: funnel by cohort, risk levels, time in state, fidelity, capacity.

    The page names no case, young person or mentor unless --with-cases is given."""
    from brobyg.cli import html

    if with_cases:
        _may_list_cases(env)
    on = as_of_date(env, as_of)
    rm = env.read_models
    risk = rm.risk(on)
    sections = [
        html.outcomes_section(small.outcomes(rm.outcomes(on, cohort))),
        html.risk_section(small.risk_levels(risk), risk if with_cases else None),
        html.fidelity_section(small.fidelity(rm.fidelity(on))),
        html.capacity_section(small.capacity(rm.capacity(on))),
    ]
    if with_cases:  # the page names these cases
        logged(env, "report html --with-cases", [r["case"] for r in html.risk_listed(risk)])
    _deliver(html.page("Bridging pathways: outcomes, risk, fidelity and capacity", on, sections), output)


def _may_list_cases(env: Env) -> None:
    """A list of cases and mentors is for coordinators (and admins): on a shared store with roles,
    an analyst's or a mentor's login is refused. On SQLite the file's permissions are the guard."""
    from brobyg.engine.access import grant_of

    app = env.app
    if app.store.is_sqlite:
        return
    held = grant_of(app, app.login)
    if held is not None and held.role not in ("admin", "coordinator"):
        raise NotAllowed(
            f"--with-cases lists cases and their mentors, for coordinators; the login {app.login} has the role {held.role}"
        )
