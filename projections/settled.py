"""Settled pathways: those that have ended, each with what every report needs of it.

A pathway that has ended (employed, dropped out, withdrawn, qualified) counts the same in every
later report, so the reports need not read its facts again: this read model keeps, per ended
pathway, its part of the outcome, capacity and fidelity reports (`Part` in each), worked out
once from its facts when it ends (and again if it is touched after: a void, a late fact, a
re-referral takes it out). A report as of a day reads these parts for the pathways settled by
then and works out the others (active, ended lately, or ended after the day) from their facts,
as it always did: the same functions, so the same figures, from one row per ended pathway.

A part holds from `settles_on` on: the pathway's last fact (an absence's last school day) plus a
margin beyond every window a report looks through. Parts depend on the policy's numbers: each
row names the policy it was worked out with, and a report under another policy works them out
again from the facts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import sqlalchemy as sa

from brobyg.domain.pathway import Pathway
from brobyg.domain.terms import OUTCOME_STATES
from brobyg.engine.read_models import metadata
from brobyg.projections import capacity, facts, fidelity, outcomes
from brobyg.projections.policy import Policy
from brobyg.projections.timeline import Timeline, load_timelines, school_days_from

# Beyond every window the reports look through after a fact: a request's answer day, critical
# absence's follow-up (school days), the weeks of bridging, with room to spare.
MARGIN = dt.timedelta(days=60)
REPORTS = ("outcomes", "capacity", "fidelity")

settled = sa.Table(
    "rm_settled",
    metadata,
    sa.Column("stream", sa.String(32), primary_key=True),
    sa.Column("settles_on", sa.Date, nullable=False, index=True),
    sa.Column("policy", sa.String(16), nullable=False),
    # Each report's part as JSON (`Part.to_json`), read one column at a time.
    *(sa.Column(report, sa.Text, nullable=False) for report in REPORTS),
)


def fingerprint(policy: Policy) -> str:
    """The policy's numbers, in short: parts worked out under other numbers are not used."""
    return hashlib.sha256(repr(policy).encode()).hexdigest()[:16]


def settles_on(t: Timeline) -> dt.date:
    """The day from which the pathway's parts no longer change: its last fact, plus the margin."""
    dates = [
        x.on
        for kind in ("transitions", "mentor_changes", "contacts", "requests", "placements", "cadences")
        for x in getattr(t, kind)
    ]
    dates += [a.on for a in t.assessments]
    dates += [school_days_from(a.on, a.days)[-1] for a in t.absences]
    return max(dates, default=t.referred_on) + MARGIN


class Settled:
    """The read model: one row per ended pathway, with its part of each report."""

    name = "settled"
    tables = (settled,)

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.fingerprint = fingerprint(policy)
        self.discard()

    def discard(self) -> None:
        self.touched: set[str] = set()

    def handle(self, conn: sa.Connection, event: Any) -> None:
        if isinstance(event, Pathway.Event):
            self.touched.add(event.originator_id.hex)

    def flush(self, conn: sa.Connection) -> None:
        """Work out the parts of the touched pathways that have ended (after the facts' flush)."""
        touched = sorted(self.touched)
        self.discard()
        for start in range(0, len(touched), 500):  # bounded IN lists on both databases
            chunk = touched[start : start + 500]
            conn.execute(settled.delete().where(settled.c.stream.in_(chunk)))
            ended = _ended(conn, chunk)
            if ended:
                timelines = load_timelines(conn, dt.date.max, ended)
                conn.execute(settled.insert(), [self._row(t) for t in timelines.values()])

    def _row(self, t: Timeline) -> dict[str, Any]:
        on = settles_on(t)
        parts = {report: part(report, t, on, self.policy) for report in REPORTS}
        return {
            "stream": t.stream,
            "settles_on": on,
            "policy": self.fingerprint,
            **{report: json.dumps(p.to_json(), sort_keys=True, separators=(",", ":")) for report, p in parts.items()},
        }


def _ended(conn: sa.Connection, streams: list[str]) -> list[str]:
    """Those of the streams whose latest transition is into an outcome state."""
    t = facts.transitions
    latest = (
        sa.select(t.c.stream, sa.func.max(t.c.seq).label("seq")).where(t.c.stream.in_(streams)).group_by(t.c.stream).subquery()
    )
    query = sa.select(t.c.stream).join(latest, sa.and_(t.c.stream == latest.c.stream, t.c.seq == latest.c.seq))
    return list(conn.execute(query.where(t.c.state.in_(OUTCOME_STATES))).scalars())


def parts(conn: sa.Connection, on: dt.date, report: str, policy: Policy) -> tuple[list[dict[str, Any]], list[str]]:
    """The stored parts (as JSON) of the pathways settled by `on` under this policy, and the
    streams of every other pathway referred by `on`, to be worked out from their facts."""
    p, s = facts.pathways, settled
    joined = p.outerjoin(s, sa.and_(s.c.stream == p.c.stream, s.c.settles_on <= on, s.c.policy == fingerprint(policy)))
    query = sa.select(p.c.stream, s.c[report]).select_from(joined).where(p.c.referred_on <= on)
    stored, others = [], []
    for stream, part in conn.execute(query).all():
        if part is None:
            others.append(stream)
        else:
            stored.append(json.loads(part))
    return stored, others


PARTS: dict[str, Any] = {"outcomes": outcomes.Part, "capacity": capacity.Part, "fidelity": fidelity.Part}


def part(report: str, t: Timeline, on: dt.date, policy: Policy) -> Any:
    """One pathway's part of a report as of `on`, from its facts."""
    if report == "fidelity":
        return fidelity.part(t, on, policy)
    return outcomes.part(t, on) if report == "outcomes" else capacity.part(t, on)
