"""Today's lists: caseloads and the dropout-risk list, asked of the read models as of a date.

The as-of helpers are shared with the reports (`cli.reports`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import click

from brobyg.cli.access_log import logged
from brobyg.cli.app import Env, cli, reads
from brobyg.cli.output import emit, table
from brobyg.cli.params import DATE


def as_of_date(env: Env, as_of: dt.date | None) -> dt.date:
    """The date a view or report is computed for: --as-of, or today."""
    return as_of or env.app.clock.today()


def as_of_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--as-of", type=DATE, help="Compute as of this date [default: today].")(f)


@cli.command()
@click.option("--mentor", "mentor_id", metavar="MENTOR", help="Only this mentor, with their cases.")
@as_of_option
@reads
def caseload(env: Env, mentor_id: str | None, as_of: dt.date | None, as_json: bool) -> None:
    """Per mentor: active pathways by state, capacity used, overdue contacts (R10) and
    requests unanswered past 24 hours."""
    on = as_of_date(env, as_of)
    if mentor_id is not None:
        env.app.mentor(mentor_id.strip().lower())  # an unknown mentor is an error, not an empty list
    rows = env.read_models.caseload(on, mentor_id.strip().lower() if mentor_id else None)
    data = [{k: v for k, v in r.items() if k != "cases" or mentor_id} for r in rows]
    cases = [c["case"] for r in rows for c in r["cases"]] if mentor_id else []
    names = env.read_models.names(cases) if cases and not as_json else {}  # beside the ids, in the table
    if mentor_id:  # it names their cases
        logged(env, "caseload --mentor", cases)

    def human() -> None:
        if not rows:
            click.echo("no mentors yet (brobyg mentor add MENTOR --name … --kind …)")
            return
        table(
            f"Caseloads as of {on}",
            ["mentor", "kind", "active", "capacity", "by state", "contacts overdue", "requests unanswered"],
            [
                [
                    r["mentor"],
                    r["kind"],
                    r["active"],
                    r["capacity"],
                    ", ".join(f"{k} {v}" for k, v in r["by_state"].items()),
                    r["contacts_overdue"],
                    r["requests_unanswered"],
                ]
                for r in rows
            ],
        )
        if mentor_id:
            for r in rows:
                if not r["cases"]:
                    click.echo(f"no active pathways for {r['mentor']} as of {on}")
                    continue
                table(
                    None,
                    ["case", "person", "state", "role", "contact overdue (days)", "unanswered requests"],
                    [
                        [
                            c["case"],
                            names.get(c["case"]),
                            c["state"],
                            c["role"],
                            c["contact_overdue_days"] or "",
                            ", ".join(c["unanswered_requests"]),
                        ]
                        for c in r["cases"]
                    ],
                )

    emit(data, as_json, human)


@cli.command()
@click.option("--level", type=click.Choice(["low", "medium", "high"]), help="Only this level.")
@click.option(
    "--limit", type=click.IntRange(0), default=50, show_default=True, help="Rows in the table (0: all); --json lists all."
)
@as_of_option
@reads
def risk(env: Env, level: str | None, limit: int, as_of: dt.date | None, as_json: bool) -> None:
    """Every active pathway with its dropout-risk score, level, reasons and the actions they ask for."""
    on = as_of_date(env, as_of)
    rows = env.read_models.risk(on, level)
    shown = rows[:limit] if limit and not as_json else rows
    names = env.read_models.names([r["case"] for r in shown]) if shown and not as_json else {}  # beside the ids
    logged(env, "risk", [r["case"] for r in shown])  # one entry per case shown

    def human() -> None:
        if not rows:
            click.echo(f"no active pathways{f' at level {level}' if level else ''} as of {on}")
            return
        table(
            f"Dropout risk as of {on}" + (f" (level {level})" if level else ""),
            ["case", "person", "state", "mentor", "score", "level", "why", "action"],
            [
                [
                    r["case"],
                    names.get(r["case"]),
                    r["state"],
                    r["mentor"],
                    r["score"],
                    r["level"],
                    "; ".join(r["details"]),
                    "; ".join(r["actions"]),
                ]
                for r in shown
            ],
        )
        if len(shown) < len(rows):
            click.echo(f"the {len(shown)} highest of {len(rows)}; --limit 0 shows all, --level filters")

    emit(rows, as_json, human)


@cli.command()
@click.option("--mentor", "mentor_id", metavar="MENTOR", help="Only this mentor's items [default: every mentor's].")
@as_of_option
@click.option("--days", type=click.IntRange(0), default=7, show_default=True, help="Also what falls due this many days ahead.")
@reads
def agenda(env: Env, mentor_id: str | None, as_of: dt.date | None, days: int, as_json: bool) -> None:
    """What is due today (or --as-of) and in the next days, most urgent first: contacts and
    requests (R10), critical absence to follow up (R11), bridging near 13 weeks (R12), running
    taster placements (R5), apprenticeships starting or in their trial period (R9). Overdue
    items have a due date in the past and come first. Active pathways only."""
    on = as_of_date(env, as_of)
    mentor = mentor_id.strip().lower() if mentor_id else None
    if mentor is not None:
        env.app.mentor(mentor)  # an unknown mentor is an error, not an empty list
    rows = env.read_models.agenda(on, days, mentor)
    people = env.read_models.names(list(dict.fromkeys(r["case"] for r in rows)))  # sealed in the read model
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
    logged(env, "agenda", people)  # the list names each case's person

    def human() -> None:
        until = on + dt.timedelta(days=days)
        whose = f" for {mentor}" if mentor else ""
        if not data:
            click.echo(f"nothing is due{whose} from {on} to {until}")
            return
        table(
            f"Due{whose} by {until} (as of {on})",
            ["due", "case", "person", "mentor", "what", "rule"],
            [[r["due"], r["case"], r["person"], r["mentor"] or "", r["what"], r["rule"]] for r in data],
        )

    emit(data, as_json, human)
