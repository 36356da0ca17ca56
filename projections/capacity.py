"""Capacity (R14): occupied bridging places per partnership and week against the committed
places; weeks with free places are intake gaps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from brobyg.domain.terms import BRIDGING_STATES
from brobyg.projections import facts
from brobyg.projections.counts import nonzero
from brobyg.projections.timeline import Timeline


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def occupied_weeks(t: Timeline, on: dt.date) -> set[dt.date]:
    """The Mondays of the weeks in which the pathway held a bridging place on at least one day."""
    weeks: set[dt.date] = set()
    for state, entered, left in t.spells(on):
        if state not in BRIDGING_STATES:
            continue
        last = (left - dt.timedelta(days=1)) if left else on
        week = _monday(entered)
        while week <= last:
            weeks.add(week)
            week += dt.timedelta(days=7)
    return weeks


@dataclass(frozen=True)
class Part:
    """What the report needs of one pathway as of a day: the weeks it held a place, and where."""

    partnership: str | None
    weeks: tuple[dt.date, ...]

    def to_json(self) -> dict[str, Any]:
        return {"partnership": self.partnership, "weeks": [w.isoformat() for w in self.weeks]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Part:
        return cls(d["partnership"], tuple(dt.date.fromisoformat(w) for w in d["weeks"]))


def part(t: Timeline, on: dt.date) -> Part:
    return Part(t.partnership, tuple(sorted(occupied_weeks(t, on))))


def carried(p: Part, bridging_since: dt.date | None, held_from: dt.date, on: dt.date) -> Part:
    """A part worked out as of `held_from` carried to `on` (a later day with no fact between):
    a bridging place held since `bridging_since` holds the weeks after too, up to `on`'s."""
    if bridging_since is None:
        return p
    weeks, week = list(p.weeks), _monday(held_from) + dt.timedelta(days=7)
    while week <= on:
        weeks.append(week)
        week += dt.timedelta(days=7)
    return Part(p.partnership, tuple(weeks))


@dataclass
class Tally:
    """The parts of a group of pathways added up: per partnership, the young people who held a
    place and each week's occupied places. Kept per month of referral for the settled pathways
    (`projections.settled`); a part taken out again is subtracted."""

    holding: dict[str | None, int] = field(default_factory=dict)
    occupancy: dict[str | None, dict[dt.date, int]] = field(default_factory=dict)

    def add(self, p: Part, by: int = 1) -> None:
        if not p.weeks:
            return
        self.holding[p.partnership] = self.holding.get(p.partnership, 0) + by
        weeks = self.occupancy.setdefault(p.partnership, {})
        for week in p.weeks:
            weeks[week] = weeks.get(week, 0) + by

    def merge(self, other: Tally) -> None:
        for partnership, n in other.holding.items():
            self.holding[partnership] = self.holding.get(partnership, 0) + n
        for partnership, theirs in other.occupancy.items():
            weeks = self.occupancy.setdefault(partnership, {})
            for week, n in theirs.items():
                weeks[week] = weeks.get(week, 0) + n

    def to_json(self) -> list[Any]:
        occupancy = nonzero(self.occupancy)
        return [
            [partnership, self.holding.get(partnership, 0), [[w.isoformat(), n] for w, n in sorted(weeks.items())]]
            for partnership, weeks in sorted(occupancy.items(), key=lambda item: item[0] or "")
        ]

    @classmethod
    def from_json(cls, rows: list[Any]) -> Tally:
        tally = cls()
        for partnership, holders, weeks in rows:
            tally.holding[partnership] = holders
            tally.occupancy[partnership] = {dt.date.fromisoformat(w): n for w, n in weeks}
        return tally


def capacity(conn: sa.Connection, timelines: dict[str, Timeline], on: dt.date) -> list[dict[str, Any]]:
    """The report from the pathways' facts as of `on`."""
    return capacity_of(conn, [part(t, on) for t in timelines.values()], on)


def capacity_of(conn: sa.Connection, parts: list[Part], on: dt.date, tallies: Iterable[Tally] = ()) -> list[dict[str, Any]]:
    """The report from each pathway's part as of `on`, and from the tallies of pathways settled by then."""
    held = Tally()
    for tally in tallies:
        held.merge(tally)
    for p in parts:
        held.add(p)
    rows = []
    query = sa.select(facts.partnerships).where(facts.partnerships.c.added_on <= on).order_by(facts.partnerships.c.partnership)
    for p in conn.execute(query):
        occupancy = held.occupancy.get(p.partnership, {})
        holders = held.holding.get(p.partnership, 0)
        weeks = []
        week = _monday(p.added_on)
        while week <= on:
            used = occupancy.get(week, 0)
            iso = week.isocalendar()
            weeks.append(
                {
                    "week": f"{iso.year}-W{iso.week:02d}",
                    "monday": week,
                    "occupied": used,
                    "free": max(p.places - used, 0),
                    "over": max(used - p.places, 0),
                }
            )
            week += dt.timedelta(days=7)
        total = sum(w["occupied"] for w in weeks)
        rows.append(
            {
                "partnership": p.partnership,
                "jobcentre": p.jobcentre,
                "school": p.school,
                "places": p.places,
                "price_per_place": p.price_per_place,
                "occupied_now": weeks[-1]["occupied"] if weeks else 0,
                "average_occupancy": round(total / (len(weeks) * p.places), 4) if weeks else 0.0,
                "weeks": len(weeks),
                "weeks_over": sum(1 for w in weeks if w["over"]),
                "pathways": holders,
                "intake_gap_weeks": sum(1 for w in weeks if w["free"]),
                "by_week": weeks,
            }
        )
    return rows
