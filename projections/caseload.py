"""Caseload: per mentor, the active pathways by state, capacity used, overdue contacts and
unanswered requests (R4, R10), as of a date."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import sqlalchemy as sa

from brobyg.projections import facts
from brobyg.projections.indicators import contact_overdue, unanswered_requests
from brobyg.projections.policy import Policy
from brobyg.projections.timeline import Timeline

# The kinds of fact a caseload reads (R4, R10): no absences, grades or placements.
PARTS = ("transitions", "mentor_changes", "contacts", "requests", "cadences")


def caseload(
    conn: sa.Connection, timelines: dict[str, Timeline], on: dt.date, policy: Policy, mentor: str | None = None
) -> list[dict[str, Any]]:
    query = sa.select(facts.mentors).where(facts.mentors.c.added_on <= on).order_by(facts.mentors.c.mentor)
    if mentor is not None:
        query = query.where(facts.mentors.c.mentor == mentor)
    rows = []
    mine: dict[str, list[Timeline]] = {}
    for t in timelines.values():
        m = t.mentor_on(on)
        if m is not None and t.is_active_on(on):
            mine.setdefault(m, []).append(t)
    for m in conn.execute(query):
        cases = sorted(mine.get(m.mentor, []), key=lambda t: t.case)
        overdue = {t.case: days for t in cases if (days := contact_overdue(t, on, policy)) is not None}
        unanswered = {t.case: [str(d) for d in dates] for t in cases if (dates := unanswered_requests(t, on, policy))}
        rows.append(
            {
                "mentor": m.mentor,
                "name": m.name,
                "kind": m.kind,
                "capacity": m.capacity,
                "active": len(cases),
                "free": max(m.capacity - len(cases), 0),
                "by_state": dict(sorted(Counter(t.state_on(on) for t in cases).items())),
                "contacts_overdue": len(overdue),
                "requests_unanswered": sum(len(v) for v in unanswered.values()),
                "cases": [
                    {
                        "case": t.case,
                        "state": t.state_on(on),
                        "role": t.mentor_role_on(on),
                        "contact_overdue_days": overdue.get(t.case),
                        "unanswered_requests": unanswered.get(t.case, []),
                    }
                    for t in cases
                ],
            }
        )
    return rows
