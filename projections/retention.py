"""Retention: whose personal data has been kept as long as it may be.

A pathway has ended when its latest transition is an outcome (a re-referral since would be a
later transition); its person's data is kept for the policy's years after that date, then
erased (`brobyg retention`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from brobyg.domain.terms import OUTCOME_STATES
from brobyg.projections import facts


def retention_cutoff(on: dt.date, years: int) -> dt.date:
    """The day `years` before `on` (28 February for a 29 February)."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


def past_retention(conn: sa.Connection, cutoff: dt.date) -> list[dict[str, Any]]:
    """Every pathway that ended before `cutoff` and whose person is not yet erased, oldest first."""
    t, p, e = facts.transitions, facts.pathways, facts.erasures
    latest = sa.select(t.c.stream, sa.func.max(t.c.seq).label("seq")).group_by(t.c.stream).subquery()
    query = (
        sa.select(p.c.case, t.c.state, t.c.on)
        .join(latest, latest.c.stream == p.c.stream)
        .join(t, sa.and_(t.c.stream == latest.c.stream, t.c.seq == latest.c.seq))
        .where(t.c.state.in_(OUTCOME_STATES), t.c.on < cutoff, p.c.stream.not_in(sa.select(e.c.stream)))
        .order_by(t.c.on, p.c.case)
    )
    return [{"case": row.case, "state": row.state, "ended": row.on} for row in conn.execute(query)]
