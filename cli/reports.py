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
from brobyg.cli.html import cohort_name, shown
from brobyg.cli.i18n import N_, Text, _, long_date, number, percent, say, term
from brobyg.cli.output import emit, table
from brobyg.cli.params import DATE
from brobyg.cli.views import as_of_date, as_of_option
from brobyg.engine.errors import NotAllowed
from brobyg.projections import small_numbers as small
from brobyg.projections.outcomes import COHORT_LABELS, FIGURE_LABELS, HORIZON_LABELS, SO_FAR

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
    click.echo(_("wrote {path}").format(path=output), err=True)


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
        raise click.UsageError(_("-o writes --format csv, json or html; a table is shown in the terminal"))
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
        click.echo(say(small.NOTE), err=err)
        return done

    return noted


@cli.group()
def report() -> None:
    """Reports for the steering group: outcomes, fidelity, capacity, all as one HTML page, and the risk view's backtest."""


def report_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = output_option("Write to this file instead of standard output.")(f)
    f = click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)(f)
    return reads(as_of_option(f))


@report.command()
@click.option("--cohort", type=click.Choice(["month", "quarter", "year"]), default="quarter", show_default=True)
@report_options
def outcomes(env: Env, cohort: str, as_of: dt.date | None, fmt: str, output: Path | None, force: bool, as_json: bool) -> None:
    """Each pathway seen 25 weeks, 1½, 2½ and 4 years after its referral beside the evaluation, and the cohorts so far."""
    from brobyg.cli import html

    on = as_of_date(env, as_of)
    o = small.outcomes(env.read_models.outcomes(on, cohort))
    _render(
        fmt,
        as_json,
        o,
        lambda: outcome_rows(o),
        lambda: _outcome_tables(o),
        lambda: html.page(N_("Outcomes"), on, [html.outcomes_section(o)]),
        output,
    )


# The order the horizons are shown in: the evaluation's own comparison first (in CSV, English).
HORIZON_NAMES = dict(HORIZON_LABELS)
COHORT_SHARES = ("completed_basic_course", "completed_main_course", "employed", "dropped_out", "withdrawn", "active")
CSV_FIGURES = ("in_education", "started_basic_course", *COHORT_SHARES)
SMALL_COHORT = 30  # below this many pathways, a cohort's shares are shown with their interval


def _pct(share: float | None) -> str:
    """A share of 0–1 as people read it: ``30.2 %``, in Danish ``30,2 %``; held back: a dash."""
    return "–" if share is None else percent(share * 100)


def _interval(low: float | None, high: float | None) -> str:
    return "–" if low is None or high is None else f"{number(low * 100)}–{number(high * 100)} %"


def _figure(name: str) -> str:
    """A figure's or share's name as people read it."""
    return say(FIGURE_LABELS[name]) if name in FIGURE_LABELS else name.replace("_", " ")


def _days(value: Any) -> str:
    """Days as whole days: a median between two stays is rounded half to even, as Python rounds."""
    return shown(round(value) if isinstance(value, float) else value)


def _outcome_tables(o: dict[str, Any]) -> None:
    on = o["as_of"]
    four = o["horizons"]["4y"]
    table(
        _(
            "The evaluation's comparison: each pathway four years after its referral ({pathways} pathways referred by {on})"
        ).format(pathways=shown(four["pathways"]), on=long_date(on - dt.timedelta(days=four["days"]))),
        [_("outcome"), _("here"), _("95 % interval"), _("participants"), _("comparable group")],
        [
            [_figure(name), _pct(f["here"]), _interval(f["low"], f["high"]), _pct(f["participants"]), _pct(f["comparison"])]
            for name, f in four["figures"].items()
        ],
    )
    table(
        _("On the way: each pathway seen that long after its referral"),
        [_("after"), _("outcome"), _("pathways"), _("here"), _("95 % interval"), _("evaluation")],
        [
            [
                say(HORIZON_NAMES[key]),
                _figure(name),
                shown(h["pathways"]),
                _pct(f["here"]),
                _interval(f["low"], f["high"]),
                _("about {share}").format(share=_pct(f["participants"])),
            ]
            for key, h in o["horizons"].items()
            if key != "4y"
            for name, f in h["figures"].items()
        ],
    )

    def share(c: dict[str, Any], k: str) -> str:
        small_group = isinstance(c["pathways"], int) and c["pathways"] < SMALL_COHORT and c[k] is not None
        low, high = c["intervals"][k]["low"], c["intervals"][k]["high"]
        return f"{_pct(c[k])} ({number(low * 100, 0)}–{number(high * 100, 0)})" if small_group else _pct(c[k])

    table(
        _(
            "Outcomes by {cohort} as of {on}, so far: a cohort is still running while any of it is active or "
            "referred less than four years ago; below {few} pathways a share has its 95 % interval (in %)"
        ).format(cohort=say(COHORT_LABELS[o["cohort"]]), on=long_date(on), few=SMALL_COHORT),
        [_("cohort"), _("pathways"), _("status"), *(_figure(k) for k in COHORT_SHARES)],
        [
            [
                label,
                shown(c["pathways"]),
                _("still running") if c["still_running"] else _("complete"),
                *(share(c, k) for k in COHORT_SHARES),
            ]
            for label, c in [(say(SO_FAR), o["overall"]), *((cohort_name(c["cohort"]), c) for c in o["cohorts"])]
        ],
    )
    table(
        _("Days in each state (ended stays)"),
        [_("state"), _("stays"), _("median"), _("90th percentile")],
        [
            [term("state", r["state"]), shown(r["stays"]), _days(r["median_days"]), _days(r["p90_days"])]
            for r in o["time_in_state_overall"]
        ],
    )


def outcome_rows(o: dict[str, Any]) -> list[dict[str, Any]]:
    """The outcome report as CSV rows: each horizon with the evaluation's figures under it, then
    the cohorts so far (all of them first); shares with their interval (`_low`, `_high`), then
    the funnel's counts (`n_…`)."""
    blank = {"cohort": "", "still_running": "", "pathways": "", **{k: None for k in CSV_FIGURES}}
    blank |= {f"{k}_{end}": None for k in CSV_FIGURES for end in ("low", "high")}
    rows = []
    for key in HORIZON_NAMES:
        h = o["horizons"][key]
        after = f"after {HORIZON_NAMES[key]}"
        seen = blank | {"cohort": after, "pathways": h["pathways"]}
        participants = blank | {"cohort": f"evaluation participants, {after}"}
        comparison = blank | {"cohort": f"evaluation comparison group, {after}"}
        for name, f in h["figures"].items():
            seen |= {name: f["here"], f"{name}_low": f["low"], f"{name}_high": f["high"]}
            participants[name], comparison[name] = f["participants"], f["comparison"]
        rows += [seen, participants] + ([comparison] if any(f["comparison"] is not None for f in h["figures"].values()) else [])
    for label, c in [(SO_FAR, o["overall"]), *((c["cohort"], c) for c in o["cohorts"])]:
        row = blank | {"cohort": label, "still_running": c["still_running"], "pathways": c["pathways"]}
        for k in COHORT_SHARES:
            row |= {k: c[k], f"{k}_low": c["intervals"][k]["low"], f"{k}_high": c["intervals"][k]["high"]}
        rows.append(row | {f"n_{k}": n for k, n in c["funnel"].items()})
    funnel = [f"n_{k}" for k in o["overall"]["funnel"]]
    return [{**r, **{k: r.get(k) for k in funnel}} for r in rows]


@report.command()
@report_options
def fidelity(env: Env, as_of: dt.date | None, fmt: str, output: Path | None, force: bool, as_json: bool) -> None:
    """The guide's "Test praksis hos jer selv" questions the event log can answer, as shares."""
    from brobyg.cli import html

    on = as_of_date(env, as_of)
    f = small.fidelity(env.read_models.fidelity(on))
    simulated = env.reader.is_simulated()  # the HTML says so: a simulator follows the guide by construction

    def human() -> None:
        table(
            _("Fidelity as of {on}").format(on=long_date(on)),
            [_("measure"), _("yes"), _("of"), _("share")],
            [[say(m["measure"]), shown(m["numerator"]), shown(m["denominator"]), _pct(m["share"])] for m in f["measures"]],
        )
        # the guide's own elements, in Danish in both languages
        asked = "; ".join(q.split(":")[0] for q in f["not_answerable"])
        click.echo(_("Not answerable from the event log: {questions}").format(questions=asked))

    _render(
        fmt,
        as_json,
        f,
        lambda: [{k: v for k, v in m.items()} for m in f["measures"]],
        human,
        lambda: html.page(N_("Fidelity"), on, [html.fidelity_section(f, simulated)], simulated),
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
            _("Capacity as of {on}").format(on=long_date(on)),
            [
                _("partnership"),
                _("places"),
                _("occupied now"),
                _("average occupancy"),
                _("weeks"),
                _("intake-gap weeks"),
                _("weeks over"),
            ],
            [
                [
                    p["partnership"],
                    p["places"],
                    p["occupied_now"],
                    _pct(p["average_occupancy"]),
                    p["weeks"],
                    p["intake_gap_weeks"],
                    p["weeks_over"],
                ]
                for p in rows_
            ],
        )

    _render(fmt, as_json, rows_, rows, human, lambda: html.page(N_("Capacity"), on, [html.capacity_section(rows_)]), output)


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
    simulated = env.reader.is_simulated()  # fidelity from a simulator is labelled: it follows the guide by construction
    sections = [
        html.outcomes_section(small.outcomes(rm.outcomes(on, cohort))),
        html.risk_section(small.risk_levels(risk), risk if with_cases else None),
        html.fidelity_section(small.fidelity(rm.fidelity(on)), simulated),
        html.capacity_section(small.capacity(rm.capacity(on))),
    ]
    if with_cases:  # the page names these cases
        logged(env, "report html --with-cases", [r["case"] for r in html.risk_listed(risk)])
    _deliver(html.page(N_("Bridging pathways: outcomes, risk, fidelity and capacity"), on, sections, simulated), output)


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
            Text(
                N_("--with-cases lists cases and their mentors, for coordinators; the login {login} has the role {role}"),
                login=app.login,
                role=held.role,
            )
        )


@report.command()
@click.option("--as-of", type=DATE, required=True, help="The day whose risk view is put to the test (before today).")
@reads
def backtest(env: Env, as_of: dt.date, as_json: bool) -> None:
    """How well the risk view foresaw later drop-outs.

    The risk list as it stood on --as-of (from the facts dated on or before it), against what
    became of those pathways: per level, how many there were and how many dropped out after that
    day, up to today; and the AUC of the score (0.5 is chance). It names no one: counts from 1 to
    4 read "<5", as in every report."""
    from brobyg.projections.backtest import published

    today = env.today or dt.date.today()  # checked before the store is opened
    if as_of >= today:
        raise click.BadParameter(
            _("{as_of} is not before today ({today}): a backtest needs days after it to see who dropped out").format(
                as_of=long_date(as_of), today=long_date(today)
            ),
            param_hint="'--as-of'",
        )
    b = published(env.read_models.backtest(as_of, today))

    def human() -> None:
        if b["pathways"] == 0:
            click.echo(_("no active pathways as of {on}").format(on=long_date(as_of)))
            return
        table(
            _("Risk on {on}, dropped out by {until}").format(on=long_date(as_of), until=long_date(today)),
            [_("level"), _("pathways"), _("later dropped out"), _("share")],
            [
                [term("level", level), shown(v["pathways"]), shown(v["dropped_out"]), _pct(v["share"])]
                for level, v in reversed(b["levels"].items())  # high first, as the risk list
            ],
        )
        auc = _("– (too few drop-outs or too few others to tell)") if b["auc"] is None else number(b["auc"], 2)
        click.echo(
            _(
                "AUC of the score over the {pathways} pathways: {auc} "
                "(0.5 is chance, a coin toss; 1: every later drop-out scored above all the others)"
            ).format(pathways=b["pathways"], auc=auc)
        )
        if small.shows_held_back(b):
            click.echo(say(small.NOTE))

    emit(b, as_json, human)
