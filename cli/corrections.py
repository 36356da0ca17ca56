"""Corrections (R15): nothing is deleted from the log; a mistaken fact is voided with a reason,
and the pathway's latest transition can be undone."""

from __future__ import annotations

import datetime as dt

import click

from brobyg.cli import params
from brobyg.cli.app import Env, cli, writes
from brobyg.cli.params import TEXT
from brobyg.cli.writing import changed


@cli.command()
@click.argument("case")
@click.argument("no", metavar="NO", type=params.IntRange(min=1))
@click.option(
    "--reason", required=True, type=TEXT, help="Why it is voided (a grade typed wrong, a contact that did not happen…)."
)
@writes
def void(env: Env, case: str, no: int, reason: str, on: dt.date | None, as_json: bool) -> None:
    """Void event NO of CASE (its number in `brobyg history CASE`), with a reason (R15).

    A fact recorded inside a state (contact, request, absence, assessment, cadence, KUI contact)
    is voided: it stays in the history, marked, and every rule and view ignores it. The
    pathway's latest transition is undone: the state and the mentor arrangement from before it
    come back, caseloads included. A correction is a void followed by the right record."""
    changed(env.app.void(case, no, reason, on=on), as_json)
