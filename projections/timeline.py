"""A pathway's stored facts, and what they say as of a given date.

Effective dates never go backwards within a pathway (R13), so "the last fact on or
before D", taken in stream order, is what was true on D.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from brobyg.domain.rules import admission_unmet
from brobyg.domain.terms import ACTIVE_STATES, REFERRED, mentor_role, valid_grades
from brobyg.projections import facts


@dataclass
class Timeline:
    stream: str
    case: str
    partnership: str | None
    referred_on: dt.date
    transitions: list[Any] = field(default_factory=list)  # rows ordered by seq
    mentor_changes: list[Any] = field(default_factory=list)
    contacts: list[Any] = field(default_factory=list)
    requests: list[Any] = field(default_factory=list)
    absences: list[Any] = field(default_factory=list)
    assessments: list[Any] = field(default_factory=list)
    placements: list[Any] = field(default_factory=list)
    cadences: list[Any] = field(default_factory=list)

    # --- as of a date ----------------------------------------------------------------

    def last_transition(self, on: dt.date) -> Any | None:
        found = None
        for t in self.transitions:
            if t.on > on:
                break
            found = t
        return found

    def state_on(self, on: dt.date) -> str | None:
        t = self.last_transition(on)
        return t.state if t else None

    def is_active_on(self, on: dt.date) -> bool:
        return self.state_on(on) in ACTIVE_STATES

    def episode_on(self, on: dt.date) -> int:
        t = self.last_transition(on)
        return t.episode if t else 1

    def entered(self, on: dt.date) -> dict[str, dt.date]:
        """The first date each state was entered in the episode current on `on`."""
        episode = self.episode_on(on)
        first: dict[str, dt.date] = {}
        for t in self.transitions:
            if t.on > on:
                break
            if t.episode == episode:
                first.setdefault(t.state, t.on)
        return first

    def mentor_on(self, on: dt.date) -> str | None:
        return self._mentor_while(lambda change: change.on <= on)

    def mentor_after(self, seq: int) -> str | None:
        """The mentor once the pathway's event number `seq` was recorded."""
        return self._mentor_while(lambda change: change.seq <= seq)

    def _mentor_while(self, holds: Callable[[Any], bool]) -> str | None:
        mentor = None
        for change in self.mentor_changes:
            if not holds(change):
                break
            mentor = change.mentor
        return mentor

    def mentor_role_on(self, on: dt.date) -> str | None:
        state = self.state_on(on)
        if self.mentor_on(on) is None or state is None:
            return None
        return mentor_role(state)

    def last_handover(self, on: dt.date) -> dt.date | None:
        dates = [c.on for c in self.mentor_changes if c.kind == "handover" and c.on <= on]
        return dates[-1] if dates else None

    def contact_dates(self, on: dt.date) -> list[dt.date]:
        return [c.on for c in self.contacts if c.on <= on]

    def grades_on(self, on: dt.date) -> dict[str, int]:
        """The valid grade per subject as of `on` (voided assessments are not among the facts)."""
        return valid_grades((a.on, a.seq, a.subject, a.grade) for a in self.assessments if a.on <= on)

    def admission_met(self, on: dt.date) -> bool:
        """R6's admission requirements as of `on`, decided by the rule itself."""
        return not admission_unmet(self.grades_on(on))

    def placements_started(self, on: dt.date) -> list[Any]:
        episode_start = self.entered(on).get(REFERRED, self.referred_on)
        return [p for p in self.placements if p.kind == "start" and episode_start <= p.on <= on]

    def cadence_on(self, on: dt.date, default: int) -> int:
        days = default
        for c in self.cadences:
            if c.on <= on:
                days = c.days
        return days

    def spells(self, until: dt.date) -> Iterator[tuple[str, dt.date, dt.date | None]]:
        """Each stay in a state: (state, entered, left), left None while still there on `until`."""
        shown = [t for t in self.transitions if t.on <= until]
        for current, following in zip(shown, [*shown[1:], None], strict=True):
            yield current.state, current.on, following.on if following else None


FACTS = {
    "transitions": facts.transitions,
    "mentor_changes": facts.mentor_changes,
    "contacts": facts.contacts,
    "requests": facts.requests,
    "absences": facts.absences,
    "assessments": facts.assessments,
    "placements": facts.placements,
    "cadences": facts.cadences,
}


# Transitions and mentor changes never go backwards (R13): recorded order is date order.
IN_ORDER_RECORDED = ("transitions", "mentor_changes", "placements")

# The everyday facts that today's views only need lately (see `load_timelines(recent=…)`).
RECENT_ONLY = ("contacts", "requests", "absences")


def load_timelines(
    conn: sa.Connection,
    as_of: dt.date,
    streams: Iterable[str] | None = None,
    parts: Iterable[str] = tuple(FACTS),
    recent: dt.date | None = None,
) -> dict[str, Timeline]:
    """Every pathway's facts up to `as_of` (or only the given streams', or only some kinds of fact).

    With `recent`, contacts, requests and absences before that date are left out, except each
    pathway's last contact before it (a contact cadence counts from the last contact, however
    old): enough for caseloads and risk, which look back weeks, not years.
    """
    wanted = None if streams is None else list(streams)
    timelines = {
        row.stream: Timeline(row.stream, row.case, row.partnership, row.referred_on)
        for row in _select(conn, facts.pathways, wanted, as_of, date_column="referred_on")
    }
    for attribute in parts:
        table = FACTS[attribute]
        since = recent if attribute in RECENT_ONLY else None
        if attribute == "contacts" and recent is not None:
            for row in _last_contacts_before(conn, recent, wanted):
                if row.stream in timelines:
                    timelines[row.stream].contacts.append(row)
        # Facts inside a state may be recorded late (R13): they count in the order of their dates.
        order = (table.c.stream, table.c.seq) if attribute in IN_ORDER_RECORDED else (table.c.stream, table.c.on, table.c.seq)
        for row in _select(conn, table, wanted, as_of, order=order, since=since):
            timeline = timelines.get(row.stream)
            if timeline is not None:
                getattr(timeline, attribute).append(row)
    return timelines


def _last_contacts_before(conn: sa.Connection, before: dt.date, streams: list[str] | None) -> Iterator[Any]:
    c = facts.contacts
    chunks = [None] if streams is None else [streams[i : i + 500] for i in range(0, len(streams), 500)]
    for chunk in chunks:
        last = sa.select(c.c.stream, sa.func.max(c.c.on).label("on")).where(c.c.on < before)
        if chunk is not None:
            last = last.where(c.c.stream.in_(chunk))
        latest = last.group_by(c.c.stream).subquery()
        yield from conn.execute(
            sa.select(c).join(latest, sa.and_(c.c.stream == latest.c.stream, c.c.on == latest.c.on)).order_by(c.c.stream, c.c.seq)
        )


def _select(
    conn: sa.Connection,
    table: sa.Table,
    streams: list[str] | None,
    as_of: dt.date,
    date_column: str = "on",
    order: tuple[Any, ...] = (),
    since: dt.date | None = None,
) -> Iterator[Any]:
    query = sa.select(table).where(table.c[date_column] <= as_of).order_by(*order)
    if since is not None:
        query = query.where(table.c[date_column] >= since)
    # Fetched whole: row by row, SQLAlchemy's result costs about twice the database's own time.
    if streams is None:
        yield from conn.execute(query).all()
        return
    for start in range(0, len(streams), 500):  # bounded IN lists on both databases
        yield from conn.execute(query.where(table.c.stream.in_(streams[start : start + 500]))).all()


# --- school days (R11): Monday to Friday ------------------------------------------------


def is_school_day(day: dt.date) -> bool:
    return day.weekday() < 5


def school_days_from(start: dt.date, count: int) -> list[dt.date]:
    days, day = [], start
    while len(days) < count:
        if is_school_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def school_days_until(end: dt.date, count: int) -> list[dt.date]:
    """The last `count` school days up to and including `end`, oldest first."""
    return list(last_school_days(end, count))


@functools.lru_cache(maxsize=8192)
def last_school_days(end: dt.date, count: int) -> tuple[dt.date, ...]:
    """`school_days_until` as a tuple, remembered: every pathway's absence checks ask about the
    same few thousand days."""
    days, day = [], end
    while len(days) < count:
        if is_school_day(day):
            days.append(day)
        day -= dt.timedelta(days=1)
    return tuple(days[::-1])


def add_school_days(start: dt.date, count: int) -> dt.date:
    day, added = start, 0
    while added < count:
        day += dt.timedelta(days=1)
        if is_school_day(day):
            added += 1
    return day
