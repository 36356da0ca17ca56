"""What is due: a mentor's working list for a date and the days after it, most urgent first.

Every item comes from the indicators that caseloads and the risk list use (one implementation
per rule); the agenda only asks each of them *when*: a contact's due date (R10), a request's
answer day (R10), critical absence's follow-up day (R11), the end of the typical 13 weeks of
bridging (R12), an apprenticeship's agreed start and trial period (R9), a running taster
placement waiting for its follow-up note (R5). Items carry no personal field: the command line
adds the person's name when it shows them. An item's `what` is an English sentence (a `Text`,
JSON shows it as it is) that the command line says in the reader's language.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from brobyg.domain.terms import APPRENTICESHIP, TASTER_PLACEMENT
from brobyg.engine.text import N_, Text
from brobyg.projections import facts
from brobyg.projections.indicators import (
    absence_follow_up_due,
    absence_not_followed_up,
    apprenticeship_starts,
    bridging_flagged_after,
    contact_cadence,
    open_requests,
    request_due,
    trial_ends,
)
from brobyg.projections.policy import Policy
from brobyg.projections.timeline import Timeline, load_timelines

# The kinds of fact `items` reads (no grades): the agenda loads only these.
PARTS = ("transitions", "mentor_changes", "contacts", "requests", "absences", "placements", "cadences")

# On the same due date, the more pressing kind first: the young person is absent or waiting.
URGENCY = ("absence", "request", "contact", "bridging", "apprenticeship_start", "placement", "trial")


def _days(n: int) -> Text:
    return Text("{n} day", n=n) if n == 1 else Text("{n} days", n=n)


def _overdue(due: dt.date, on: dt.date) -> str:
    return Text(", overdue by {days}", days=_days((on - due).days)) if due < on else ""


def responsible_mentor(t: Timeline, on: dt.date) -> str | None:
    """The pathway's mentor on `on`; after an apprenticeship released them (R7), the last one it had,
    who knows the young person through the trial period."""
    mentor = t.mentor_on(on)
    if mentor is None and t.state_on(on) == APPRENTICESHIP:
        held = [c.mentor for c in t.mentor_changes if c.on <= on and c.mentor is not None]
        mentor = held[-1] if held else None
    return mentor


def items(t: Timeline, on: dt.date, until: dt.date, policy: Policy) -> list[dict[str, Any]]:
    """One active pathway's items due on or before `until` (overdue ones included), as of `on`."""
    found: list[tuple[str, dt.date, str, str]] = []  # (kind, due, what, rule)
    state = t.state_on(on)
    for day in absence_not_followed_up(t, on, policy)[:1]:  # one contact follows up every episode since
        due = absence_follow_up_due(day, policy)
        what = Text("follow up critical absence (critical since {since}){overdue}", since=day, overdue=_overdue(due, on))
        found.append(("absence", due, what, "R11"))
    waiting = open_requests(t, on)
    if waiting:
        due = request_due(waiting[0], policy)
        more = Text(" and {count} more", count=len(waiting) - 1) if len(waiting) > 1 else ""
        what = Text("answer the request of {on}{more}{overdue}", on=waiting[0], more=more, overdue=_overdue(due, on))
        found.append(("request", due, what, "R10"))
    cadence = contact_cadence(t, on, policy)
    if cadence is not None and cadence.due <= until:
        last = (
            Text("last {on}", on=cadence.last)
            if cadence.last in t.contact_dates(on)
            else Text("none since {on}", on=cadence.last)
        )
        what = Text(
            "contact (every {every}; {last}){overdue}", every=_days(cadence.days), last=last, overdue=_overdue(cadence.due, on)
        )
        found.append(("contact", cadence.due, what, "R10"))
    flagged_after = bridging_flagged_after(t, on, policy)
    if flagged_after is not None and flagged_after <= until:
        weeks = policy.bridging_flag_after_weeks
        what = (
            Text("bridging past {weeks} weeks: decide the next step", weeks=weeks)
            if flagged_after < on
            else Text("bridging reaches {weeks} weeks: decide the next step", weeks=weeks)
        )
        found.append(("bridging", flagged_after, what, "R12"))
    if state == TASTER_PLACEMENT:
        started = max(p.on for p in t.placements_started(on))
        what = Text("taster placement since {on}: end it with a follow-up note", on=started)
        found.append(("placement", on, what, "R5"))
    if state == APPRENTICESHIP:
        starts = apprenticeship_starts(t, on)
        if on <= starts <= until:
            found.append(("apprenticeship_start", starts, N_("the apprenticeship starts: check in on the first days"), "R9"))
        elif starts < on < trial_ends(starts, policy):
            what = Text("apprenticeship in its trial period until {until}", until=trial_ends(starts, policy))
            found.append(("trial", on, what, "R9"))
    mentor = responsible_mentor(t, on)
    return [
        {"case": t.case, "mentor": mentor, "due": due, "what": what, "rule": rule, "kind": kind}
        for kind, due, what, rule in found
    ]


def streams_of(conn: sa.Connection, mentor: str, on: dt.date) -> list[str]:
    """The active streams `mentor` is responsible for on `on` (`responsible_mentor`): found from
    the mentor's own rows and those pathways' transitions and mentor changes, so that one
    mentor's agenda reads a few hundred pathways' facts, not every active pathway's."""
    mc = facts.mentor_changes
    # Not DISTINCT: SQLite would then walk the whole key index instead of scanning the rows.
    query = sa.select(mc.c.stream).where(mc.c.mentor == mentor, mc.c.on <= on)
    held = list(dict.fromkeys(conn.execute(query).scalars()))  # every pathway they ever had: few, cheap to check
    light = load_timelines(conn, on, held, parts=("transitions", "mentor_changes"))
    return [s for s, t in light.items() if t.is_active_on(on) and responsible_mentor(t, on) == mentor]


def agenda(
    timelines: dict[str, Timeline], on: dt.date, days: int, policy: Policy, mentor: str | None = None
) -> list[dict[str, Any]]:
    """Every active pathway's items due by `on` + `days` (the mentor's only, if given): the
    earliest due first (overdue items have a due date in the past), then the more pressing kind."""
    return in_order(due(list(timelines.values()), on, days, policy, mentor))


def due(timelines: list[Timeline], on: dt.date, days: int, policy: Policy, mentor: str | None = None) -> list[dict[str, Any]]:
    """`agenda`'s items, in no order."""
    until = on + dt.timedelta(days=days)
    return [
        item
        for t in timelines
        if t.is_active_on(on)
        for item in items(t, on, until, policy)
        if mentor is None or item["mentor"] == mentor
    ]


def in_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows.sort(key=lambda r: (r["due"], URGENCY.index(r["kind"]), r["case"]))
    return rows
