"""Personal data: erasing a person (crypto-shredding) and erasing everyone past retention.

Both are an admin's on a shared store (the database login must hold the store's admin role, or
own it); on a SQLite file whoever may write the file may erase.
"""

from __future__ import annotations

import datetime as dt

import click

from brobyg.cli.access_log import admins_only
from brobyg.cli.app import Env, cli, json_option
from brobyg.cli.i18n import N_, _, current, day, long_date, ngettext, term
from brobyg.cli.output import emit, table
from brobyg.cli.params import DATE, TEXT


@cli.command()
@click.argument("case")
@click.option("--reason", required=True, type=TEXT, help="Why: the person's request, retention… (never their name).")
@click.option("--on", type=DATE, help="Effective date [default: today].")
@json_option
@click.pass_obj
def erase(env: Env, case: str, reason: str, on: dt.date | None, as_json: bool) -> None:
    """Erase a person's data: destroy their key, so that their name, birth date and every note
    about them read as [erased] everywhere, exports and backups of the store included. States,
    dates and figures stay, so every report is unchanged; the person may be referred again as
    new. Cannot be undone."""
    admins_only(env, N_("erase a person's data"))
    if env.app.kept_in_clear(case):
        click.echo(
            _(
                "warning: {case} has personal fields stored in clear by a version before encryption; "
                "erasure cannot remove them from the log (see the README's Personal data)"
            ).format(case=case),
            err=True,
        )
    p = env.app.erase(case, reason, on=on)
    emit(
        {"case": p.case, "state": p.state, "erased": p.erased},
        as_json,
        lambda: click.echo(
            _("{case}: the person's data is erased (their key was destroyed on {on})").format(case=p.case, on=long_date(p.erased))
        ),
    )


@cli.command()
@click.option("--dry-run", is_flag=True, help="List who would be erased; erase no one.")
@json_option
@click.pass_obj
def retention(env: Env, dry_run: bool, as_json: bool) -> None:
    """Erase every person whose pathway ended longer ago than the retention period
    (policy.toml, [personal_data] retention_years, 5 years by default), and list them. Running
    it again erases no one twice."""
    admins_only(env, N_("erase persons past retention"))
    years = env.read_models.policy.retention_years
    due = env.read_models.past_retention(env.app.clock.today())
    if not dry_run:
        from brobyg.domain.terms import OUTCOME_STATES

        due = [row for row in due if env.app.pathway(row["case"]).state in OUTCOME_STATES]  # not re-referred since
        for row in due:
            env.app.erase(row["case"], f"retention: ended {row['ended']} ({row['state']}), kept {years} years")
    emit(
        {"dry_run": dry_run, "retention_years": years, "erased": due},
        as_json,
        lambda: _listed(due, years, dry_run),
    )


def _listed(due: list[dict[str, object]], years: int, dry_run: bool) -> None:
    if not due:
        if dry_run:
            said = _("no one has been kept longer than {years} years after their pathway ended; no one would be erased")
        else:
            said = _("no one has been kept longer than {years} years after their pathway ended; no one erased")
        click.echo(said.format(years=years))
        return
    n = len(due)
    if dry_run:
        title = ngettext(
            "{n} person would be erased ({years} years after the pathway ended)",
            "{n} persons would be erased ({years} years after the pathway ended)",
            n,
        )
    else:
        title = ngettext(
            "{n} person erased ({years} years after the pathway ended)",
            "{n} persons erased ({years} years after the pathway ended)",
            n,
        )
    table(
        title.format(n=n, years=years),
        [_("case"), _("ended"), _("as")],
        [[r["case"], day(str(r["ended"])), _state(str(r["state"]))] for r in due],
    )


def _state(code: str) -> str:
    """A state as the table shows it: "taster placement" in English (as it always has been), the
    guide's word in Danish."""
    return code.replace("_", " ") if current() == "en" else term("state", code)
