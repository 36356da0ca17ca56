"""One pathway's situation on a date, as `show` tells it: contacts (R10), open requests (R10),
recent absence (R11), the dropout risk (the same computation as the risk list), the changes
of mentor and the taster placements. From the read models' facts: no personal field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from brobyg.projections.indicators import (
    ABSENCE_WATCHED_STATES,
    contact_cadence,
    critical_absence,
    open_requests,
    request_due,
    unexcused_absent_days,
)
from brobyg.projections.policy import Policy
from brobyg.projections.risk import risk
from brobyg.projections.timeline import Timeline, school_days_until


def situation(t: Timeline, on: dt.date, policy: Policy) -> dict[str, Any]:
    """What a coordinator needs at a glance about one pathway on `on`."""
    contacts = t.contact_dates(on)
    cadence = contact_cadence(t, on, policy)
    window = school_days_until(on, policy.absence_window_school_days)
    absent = unexcused_absent_days(t, on)
    (row,) = risk({t.stream: t}, on, policy) or [None]
    return {
        "last_contact": contacts[-1] if contacts else None,
        "next_contact_due": cadence.due if cadence else None,
        "contact_every_days": cadence.days if cadence else None,
        "open_requests": [{"on": r, "due": request_due(r, policy)} for r in open_requests(t, on)],
        "absence": {
            "school_days": len(window),
            "unexcused_days": sum(1 for day in window if day in absent),
            "critical": t.state_on(on) in ABSENCE_WATCHED_STATES and critical_absence(absent, on, policy),
        },
        "risk": None if row is None else {k: row[k] for k in ("score", "level", "reasons", "details", "actions")},
        "handovers": _mentor_changes(t, on),
        "placement_history": _placements(t, on),
    }


def _mentor_changes(t: Timeline, on: dt.date) -> list[dict[str, Any]]:
    changes, mentor = [], None
    for c in t.mentor_changes:
        if c.on > on:
            break
        changes.append({"on": c.on, "kind": c.kind, "from": mentor, "to": c.mentor})
        mentor = c.mentor
    return changes


def _placements(t: Timeline, on: dt.date) -> list[dict[str, Any]]:
    """Each taster placement, oldest first; `ended` None while it runs (R5: one at a time)."""
    placements: list[dict[str, Any]] = []
    for p in t.placements:
        if p.on > on:
            break
        if p.kind == "start":
            placements.append(
                {"started": p.on, "ended": None, "host_kind": p.host_kind, "purpose": p.purpose, "follow_up_given": None}
            )
        elif placements:
            placements[-1]["ended"] = p.on
            placements[-1]["follow_up_given"] = p.follow_up_given
    return placements
