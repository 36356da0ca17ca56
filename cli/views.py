"""Today's lists: caseloads and the dropout-risk list, asked of the read models as of a date.

The as-of helpers are shared with the reports (`cli.reports`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import click

from brobyg.cli import params
from brobyg.cli.access_log import LoggedMeanwhile, logged, logged_meanwhile
from brobyg.cli.app import Env, cli, reads
from brobyg.cli.i18n import _, day, long_date, say, term
from brobyg.cli.output import emit, table
from brobyg.cli.params import DATE


def as_of_date(env: Env, as_of: dt.date | None) -> dt.date:
    """The date a view or report is computed for: --as-of, or today."""
    return as_of or env.reader.clock.today()


def as_of_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--as-of", type=DATE, help="Compute as of this date [default: today].")(f)


def _person(name: str | None) -> str | None:
    """A person reference beside a case id; an erased one in the reader's language."""
    from brobyg.engine.personal import ERASED  # not for `--help`

    return _("[erased]") if name == ERASED else name


def _said(sentences: list[str]) -> str:
    """Sentences from the read models (reasons, actions), each in the reader's language."""
    return "; ".join(say(s) if s else s for s in sentences)


@cli.command()
@click.option("--mentor", "mentor_id", metavar="MENTOR", help="Only this mentor, with their cases.")
@as_of_option
@reads
def caseload(env: Env, mentor_id: str | None, as_of: dt.date | None, as_json: bool) -> None:
    """Per mentor: active pathways by state, capacity used, overdue contacts (R10) and
    requests unanswered past 24 hours."""
    on = as_of_date(env, as_of)
    if mentor_id is not None:
        env.read_models.mentor_name(mentor_id.strip().lower())  # an unknown mentor is an error, not an empty list
    rows = env.read_models.caseload(on, mentor_id.strip().lower() if mentor_id else None)
    data = [{k: v for k, v in r.items() if k != "cases" or mentor_id} for r in rows]
    cases = [c["case"] for r in rows for c in r["cases"]] if mentor_id else []
    names = env.read_models.names(cases) if cases and not as_json else {}  # beside the ids, in the table
    if mentor_id:  # it names their cases
        logged(env, "caseload --mentor", cases)

    def human() -> None:
        if not rows:
            click.echo(_("no mentors yet (brobyg mentor add MENTOR --name … --kind …)"))
            return
        table(
            _("Caseloads as of {on}").format(on=long_date(on)),
            [_("mentor"), _("kind"), _("active"), _("capacity"), _("by state"), _("contacts overdue"), _("requests unanswered")],
            [
                [
                    r["mentor"],
                    term("kind", r["kind"]),
                    r["active"],
                    r["capacity"],
                    ", ".join(f"{term('state', k)} {v}" for k, v in r["by_state"].items()),
                    r["contacts_overdue"],
                    r["requests_unanswered"],
                ]
                for r in rows
            ],
        )
        if mentor_id:
            for r in rows:
                if not r["cases"]:
                    click.echo(_("no active pathways for {mentor} as of {on}").format(mentor=r["mentor"], on=long_date(on)))
                    continue
                table(
                    None,
                    [_("case"), _("person"), _("state"), _("role"), _("contact overdue (days)"), _("unanswered requests")],
                    [
                        [
                            c["case"],
                            _person(names.get(c["case"])),
                            term("state", c["state"]),
                            term("role", c["role"]),
                            c["contact_overdue_days"] or "",
                            ", ".join(day(d) for d in c["unanswered_requests"]),
                        ]
                        for c in r["cases"]
                    ],
                )

    emit(data, as_json, human)


@cli.command()
@click.option("--level", type=click.Choice(["low", "medium", "high"]), help="Only this level.")
@click.option(
    "--limit", type=params.IntRange(0), default=50, show_default=True, help="Rows in the table (0: all); --json lists all."
)
@as_of_option
@reads
def risk(env: Env, level: str | None, limit: int, as_of: dt.date | None, as_json: bool) -> None:
    """Every active pathway with its dropout-risk score, level, reasons and the actions they ask for."""
    on = as_of_date(env, as_of)
    if as_json and level is None:  # every row is shown: its entries are written while the list is worked out
        meanwhile = LoggedMeanwhile(env, "risk")
        with meanwhile:
            rows = env.read_models.risk(on, level, considered=meanwhile.start)
        shown, names = rows, {}
    else:
        rows = env.read_models.risk(on, level)
        shown = rows[:limit] if limit and not as_json else rows
        names = env.read_models.names([r["case"] for r in shown]) if shown and not as_json else {}  # beside the ids
        logged(env, "risk", [r["case"] for r in shown])  # one entry per case shown

    def human() -> None:
        if not rows:
            if level:
                click.echo(
                    _("no active pathways at level {level} as of {on}").format(level=term("level", level), on=long_date(on))
                )
            else:
                click.echo(_("no active pathways as of {on}").format(on=long_date(on)))
            return
        title = (
            _("Dropout risk as of {on} (level {level})").format(on=long_date(on), level=term("level", level))
            if level
            else _("Dropout risk as of {on}").format(on=long_date(on))
        )
        table(
            title,
            [_("case"), _("person"), _("state"), _("mentor"), _("score"), _("level"), _("why"), _("action")],
            [
                [
                    r["case"],
                    _person(names.get(r["case"])),
                    term("state", r["state"]),
                    r["mentor"],
                    r["score"],
                    term("level", r["level"]),
                    _said(r["details"]),
                    _said(r["actions"]),
                ]
                for r in shown
            ],
        )
        if len(shown) < len(rows):
            click.echo(
                _("the {shown} highest of {total}; --limit 0 shows all, --level filters").format(
                    shown=len(shown), total=len(rows)
                )
            )

    emit(rows, as_json, human)


@cli.command()
@click.option("--mentor", "mentor_id", metavar="MENTOR", help="Only this mentor's items [default: every mentor's].")
@as_of_option
@click.option("--days", type=params.IntRange(0), default=7, show_default=True, help="Also what falls due this many days ahead.")
@reads
def agenda(env: Env, mentor_id: str | None, as_of: dt.date | None, days: int, as_json: bool) -> None:
    """What is due today (or --as-of) and in the next days, most urgent first: contacts and
    requests (R10), critical absence to follow up (R11), bridging near 13 weeks (R12), running
    taster placements (R5), apprenticeships starting or in their trial period (R9). Overdue
    items have a due date in the past and come first. Active pathways only."""
    on = as_of_date(env, as_of)
    mentor = mentor_id.strip().lower() if mentor_id else None
    if mentor is not None:
        env.read_models.mentor_name(mentor)  # an unknown mentor is an error, not an empty list
    rows = env.read_models.agenda(on, days, mentor)
    cases = list(dict.fromkeys(r["case"] for r in rows))
    with logged_meanwhile(env, "agenda", cases):  # the list names each case's person
        people = env.read_models.names(cases)  # sealed in the read model
    data = [
        {
            "case": r["case"],
            "person": people[r["case"]],
            "mentor": r["mentor"],
            "due": r["due"],
            "what": r["what"],
            "rule": r["rule"],
        }
        for r in rows
    ]

    def human() -> None:
        until = on + dt.timedelta(days=days)
        dates = {"start": long_date(on), "until": long_date(until)}
        if not data:
            if mentor:
                click.echo(_("nothing is due for {mentor} from {start} to {until}").format(mentor=mentor, **dates))
            else:
                click.echo(_("nothing is due from {start} to {until}").format(**dates))
            return
        title = (
            _("Due for {mentor} by {until} (as of {start})").format(mentor=mentor, **dates)
            if mentor
            else _("Due by {until} (as of {start})").format(**dates)
        )
        table(
            title,
            [_("due"), _("case"), _("person"), _("mentor"), _("what"), _("rule")],
            [[day(r["due"]), r["case"], _person(r["person"]), r["mentor"] or "", say(r["what"]), r["rule"]] for r in data],
        )

    emit(data, as_json, human)
