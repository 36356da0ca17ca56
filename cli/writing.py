"""Writing commands: one small function each, no business logic.

Every command takes ``--on DATE`` (when it happened, default today) and ``--json``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import click

from brobyg.cli import params
from brobyg.cli.app import Env, cli, writes
from brobyg.cli.i18n import _, ngettext, term
from brobyg.cli.output import emit
from brobyg.cli.params import DATE, GRADE, KEY, SUBJECT, TEXT
from brobyg.domain.terms import (
    CONTACT_CHANNELS,
    HOST_KINDS,
    MENTOR_KINDS,
    PLACEMENT_PURPOSES,
    READINESS,
    REFERRAL_CHANNELS,
)

if TYPE_CHECKING:
    from brobyg.domain.pathway import Pathway


def summary(p: Pathway) -> dict[str, Any]:
    return {
        "case": p.case,
        "state": p.state,
        "episode": p.episode,
        "mentor": p.mentor,
        "mentor_role": p.mentor_role if p.mentor else None,
    }


def changed(p: Pathway, as_json: bool) -> None:
    def line() -> None:
        state = term("state", p.state).replace("_", " ")  # English: the code, spaced; Danish: the guide's word
        mentor = " · " + _("mentor {mentor} ({role} mentor)").format(mentor=p.mentor, role=term("role", p.mentor_role))
        click.echo(f"{p.case}: {state}{mentor if p.mentor else ''}")

    emit(summary(p), as_json, line)


# --- mentors and partnerships -------------------------------------------------------


@cli.group()
def mentor() -> None:
    """Mentors: KUI contact persons and LAB mentors, and their capacity."""


@mentor.command("add")
@click.argument("mentor_id", metavar="MENTOR", type=KEY)
@click.option("--name", required=True, type=TEXT, help="The mentor's name.")
@click.option("--kind", required=True, type=click.Choice(MENTOR_KINDS), help="KUI contact person or LAB mentor.")
@click.option("--capacity", type=params.IntRange(1, 500), default=20, show_default=True, help="Active pathways at most (R4).")
@writes
def mentor_add(env: Env, mentor_id: str, name: str, kind: str, capacity: int, on: dt.date | None, as_json: bool) -> None:
    """Add a mentor who can take on pathways."""
    m = env.app.add_mentor(mentor_id, name, kind, capacity, on=on)
    data = {"mentor": m.mentor, "name": m.name, "kind": m.kind, "capacity": m.capacity, "active": m.load}
    emit(
        data,
        as_json,
        lambda: click.echo(
            _("mentor {mentor} added ({kind}, capacity {capacity})").format(
                mentor=m.mentor, kind=term("kind", m.kind), capacity=m.capacity
            )
        ),
    )


@cli.group()
def partnership() -> None:
    """Partnerships (samarbejdskontrakter) between a jobcentre and a school (R14)."""


@partnership.command("add")
@click.argument("partnership_id", metavar="PARTNERSHIP", type=KEY)
@click.option("--jobcentre", required=True, type=TEXT, help="The jobcentre (KUI) side.")
@click.option("--school", required=True, type=TEXT, help="The vocational school.")
@click.option("--places", required=True, type=params.IntRange(1, 100_000), help="Committed number of places.")
@click.option("--price-per-place", type=params.IntRange(0, 10_000_000), help="Agreed price per place (DKK).")
@writes
def partnership_add(
    env: Env,
    partnership_id: str,
    jobcentre: str,
    school: str,
    places: int,
    price_per_place: int | None,
    on: dt.date | None,
    as_json: bool,
) -> None:
    """Record a partnership and its committed places."""
    p = env.app.add_partnership(partnership_id, jobcentre, school, places, price_per_place, on=on)
    data = {
        "partnership": p.partnership,
        "jobcentre": p.jobcentre,
        "school": p.school,
        "places": p.places,
        "price_per_place": p.price_per_place,
    }
    # English has always said "(1 places)"; both forms stay as they were, Danish tells one from many.
    added = ngettext(
        "partnership {partnership} added ({places} places)", "partnership {partnership} added ({places} places)", p.places
    )
    emit(data, as_json, lambda: click.echo(added.format(partnership=p.partnership, places=p.places)))


# --- referral ---------------------------------------------------------------------------


@cli.command()
@click.argument("person", type=TEXT)
@click.option("--born", required=True, type=DATE, help="Birth date (R1: 18–29 on the referral date).")
@click.option("--readiness", required=True, type=click.Choice(READINESS))
@click.option("--justification", type=TEXT, help="Why an activity-ready person is among the strongest (R1).")
@click.option("--kui-contact", type=KEY, metavar="MENTOR", help="The young person's KUI contact person (R3; only under 25, R1).")
@click.option("--partnership", "partnership_id", type=KEY, metavar="PARTNERSHIP", help="The partnership the place belongs to.")
@click.option(
    "--via",
    type=click.Choice(REFERRAL_CHANNELS),
    help="Who refers: kui under 25, the jobcentre from 25 (R1) [default: as the age says].",
)
@writes
def refer(
    env: Env,
    person: str,
    born: dt.date,
    readiness: str,
    justification: str | None,
    kui_contact: str | None,
    partnership_id: str | None,
    via: str | None,
    on: dt.date | None,
    as_json: bool,
) -> None:
    """Refer a young person to bridging; prints the new case id.

    PERSON is your own reference for the young person. It is personal data: it is
    stored with the referral, never used as an id and never logged.
    """
    p = env.app.refer(person, born, readiness, justification, kui_contact, partnership_id, via, on=on)
    emit(summary(p), as_json, lambda: click.echo(p.case))


@cli.command("re-refer")
@click.argument("case")
@click.option("--readiness", type=click.Choice(READINESS), help="[default: as before]")
@click.option("--justification", type=TEXT)
@click.option("--via", type=click.Choice(REFERRAL_CHANNELS))
@writes
def re_refer(
    env: Env, case: str, readiness: str | None, justification: str | None, via: str | None, on: dt.date | None, as_json: bool
) -> None:
    """Refer a young person again after dropping out, withdrawing or a job that ended: a new
    episode (R1 again; never after qualifying)."""
    changed(env.app.re_refer(case, readiness, justification, via, on=on), as_json)


@cli.command("kui-contact")
@click.argument("case")
@click.argument("mentor_id", metavar="MENTOR", type=KEY)
@writes
def kui_contact(env: Env, case: str, mentor_id: str, on: dt.date | None, as_json: bool) -> None:
    """Register the young person's KUI contact person (the expected mentor under 25, R3; only under 25, R1)."""
    changed(env.app.register_kui_contact(case, mentor_id, on=on), as_json)


# --- the mentor ----------------------------------------------------------------------------


@cli.command()
@click.argument("case")
@click.argument("mentor_id", metavar="MENTOR", type=KEY)
@click.option("--reason", type=TEXT, help="Why: needed for a handover, or for anyone but the expected mentor (R3).")
@click.option(
    "--from",
    "seen",
    metavar="MENTOR",
    type=KEY,
    help="The mentor you saw holding the case; refused if someone has changed it since (R3).",
)
@writes
def assign(env: Env, case: str, mentor_id: str, reason: str | None, seen: str | None, on: dt.date | None, as_json: bool) -> None:
    """Assign the mentor, or hand the case over to another mentor (R2–R4).

    A handover is from the mentor you saw (--from, else the one found when the command starts):
    if another coordinator changes the mentor at the same moment, yours is refused, not re-based."""
    changed(env.app.assign(case, mentor_id, reason, on=on, seen=seen), as_json)


@cli.command()
@click.argument("case")
@click.option("--reason", required=True, type=TEXT)
@writes
def release(env: Env, case: str, reason: str, on: dt.date | None, as_json: bool) -> None:
    """Release the mentor without a successor: only before bridging starts (R2, R7)."""
    changed(env.app.release(case, reason, on=on), as_json)


# --- bridging ---------------------------------------------------------------------------------


@cli.command("start-bridging")
@click.argument("case")
@click.option("--school", type=TEXT, help="The vocational school.")
@writes
def start_bridging(env: Env, case: str, school: str | None, on: dt.date | None, as_json: bool) -> None:
    """Start bridging at the vocational school (R2: needs an education mentor)."""
    changed(env.app.start_bridging(case, school, on=on), as_json)


@cli.command()
@click.argument("case")
@click.option("--subject", required=True, type=SUBJECT, help="danish (dansk) or maths (matematik).")
@click.option("--grade", required=True, type=GRADE, help="On the 7-point scale: -3, 00, 02, 4, 7, 10, 12.")
@writes
def assess(env: Env, case: str, subject: str, grade: int, on: dt.date | None, as_json: bool) -> None:
    """Record an assessment in Danish or maths (R6 needs 02 or better in both)."""
    changed(env.app.assess(case, subject, grade, on=on), as_json)


@cli.group()
def placement() -> None:
    """Taster placements (snusepraktik) during bridging (R5)."""


@placement.command("start")
@click.argument("case")
@click.option("--host", required=True, type=TEXT, help="The school programme or company.")
@click.option("--host-kind", required=True, type=click.Choice(HOST_KINDS))
@click.option("--contact", required=True, type=TEXT, help="The named contact person at the host.")
@click.option("--purpose", required=True, type=click.Choice(PLACEMENT_PURPOSES))
@click.option("--wish", required=True, type=TEXT, help="The young person's own wish for the placement.")
@writes
def placement_start(
    env: Env, case: str, host: str, host_kind: str, contact: str, purpose: str, wish: str, on: dt.date | None, as_json: bool
) -> None:
    """Start a taster placement: only during bridging, one at a time (R5)."""
    changed(env.app.start_placement(case, host, host_kind, contact, purpose, wish, on=on), as_json)


@placement.command("end")
@click.argument("case")
@click.option("--follow-up", required=True, type=TEXT, help="The follow-up note (R5).")
@writes
def placement_end(env: Env, case: str, follow_up: str, on: dt.date | None, as_json: bool) -> None:
    """End the taster placement and return to bridging (R5)."""
    changed(env.app.end_placement(case, follow_up, on=on), as_json)


@cli.command()
@click.argument("case")
@click.option("--channel", type=click.Choice(CONTACT_CHANNELS), default="meeting", show_default=True)
@writes
def contact(env: Env, case: str, channel: str, on: dt.date | None, as_json: bool) -> None:
    """Record a contact between the mentor and the young person (R10)."""
    changed(env.app.contact(case, channel, on=on), as_json)


@cli.command()
@click.argument("case")
@click.option("--days", required=True, type=params.IntRange(1, 90), help="Days between contacts at most.")
@writes
def cadence(env: Env, case: str, days: int, on: dt.date | None, as_json: bool) -> None:
    """Record the contact cadence agreed with the young person for after education starts (R10; default 14 days)."""
    changed(env.app.agree_cadence(case, days, on=on), as_json)


@cli.command()
@click.argument("case")
@click.option("--text", type=TEXT, help="What the young person asked for.")
@writes
def request(env: Env, case: str, text: str | None, on: dt.date | None, as_json: bool) -> None:
    """Record a request from the young person; the next contact answers it (R10)."""
    changed(env.app.request(case, text, on=on), as_json)


@cli.command()
@click.argument("case")
@click.option("--days", type=params.IntRange(1, 200), default=1, show_default=True, help="School days absent.")
@click.option("--excused", is_flag=True, help="The absence was excused.")
@writes
def absence(env: Env, case: str, days: int, excused: bool, on: dt.date | None, as_json: bool) -> None:
    """Record absence from school (R11)."""
    changed(env.app.absence(case, days, excused, on=on), as_json)


# --- education and outcomes ---------------------------------------------------------------


@cli.command("start-basic-course")
@click.argument("case")
@click.option("--programme", required=True, type=TEXT, help="The chosen programme (R6).")
@click.option("--mentor", "mentor_id", type=KEY, metavar="MENTOR", help="Another retention mentor (a handover, needs --reason).")
@click.option("--reason", type=TEXT)
@writes
def start_basic_course(
    env: Env, case: str, programme: str, mentor_id: str | None, reason: str | None, on: dt.date | None, as_json: bool
) -> None:
    """Start the basic course (grundforløb); the mentor continues as retention mentor (R6)."""
    changed(env.app.start_basic_course(case, programme, mentor_id, reason, on=on), as_json)


@cli.command("complete-basic-course")
@click.argument("case")
@writes
def complete_basic_course(env: Env, case: str, on: dt.date | None, as_json: bool) -> None:
    """Complete the basic course (R8)."""
    changed(env.app.complete_basic_course(case, on=on), as_json)


@cli.command("start-main-course")
@click.argument("case")
@writes
def start_main_course(env: Env, case: str, on: dt.date | None, as_json: bool) -> None:
    """Start the main course (hovedforløb), after the basic course (R8)."""
    changed(env.app.start_main_course(case, on=on), as_json)


@cli.command("secure-apprenticeship")
@click.argument("case")
@click.option("--employer", required=True, type=TEXT)
@click.option("--starts", required=True, type=DATE, help="The agreement's start date.")
@writes
def secure_apprenticeship(env: Env, case: str, employer: str, starts: dt.date, on: dt.date | None, as_json: bool) -> None:
    """Record the apprenticeship agreement; the mentor is released (R7, R9)."""
    changed(env.app.secure_apprenticeship(case, employer, starts, on=on), as_json)


@cli.command()
@click.argument("case")
@writes
def qualify(env: Env, case: str, on: dt.date | None, as_json: bool) -> None:
    """Record that the young person qualified (from an apprenticeship: not before it starts, R9)."""
    changed(env.app.qualify(case, on=on), as_json)


@cli.command()
@click.argument("case")
@click.option("--employer", type=TEXT)
@writes
def employ(env: Env, case: str, employer: str | None, on: dt.date | None, as_json: bool) -> None:
    """Record ordinary employment (an outcome)."""
    changed(env.app.employ(case, employer, on=on), as_json)


@cli.command("drop-out")
@click.argument("case")
@click.option("--reason", required=True, type=TEXT)
@writes
def drop_out(env: Env, case: str, reason: str, on: dt.date | None, as_json: bool) -> None:
    """Record that the young person dropped out (an outcome)."""
    changed(env.app.drop_out(case, reason, on=on), as_json)


@cli.command()
@click.argument("case")
@click.option("--reason", required=True, type=TEXT, help="Moved, illness, other…")
@writes
def withdraw(env: Env, case: str, reason: str, on: dt.date | None, as_json: bool) -> None:
    """Withdraw the pathway (moved, illness, other…)."""
    changed(env.app.withdraw(case, reason, on=on), as_json)
