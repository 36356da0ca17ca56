"""A pathway's stored facts, and what they say as of a given date.

Effective dates never go backwards within a pathway (R13), so "the last fact on or
before D", taken in stream order, is what was true on D.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from brobyg.domain.terms import ACTIVE_STATES, REFERRED, mentor_role, valid_grades
from brobyg.engine.rows import one_of
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
    # What the questions below answered, by question, date and the length of the facts they
    # read: a list and its risk indicators ask each several times for the same date.
    _answers: dict[tuple[str, dt.date, int], Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    # --- as of a date ----------------------------------------------------------------

    def last_transition(self, on: dt.date) -> Any | None:
        key = ("last_transition", on, len(self.transitions))
        if key in self._answers:
            return self._answers[key]
        found = None
        for t in self.transitions:
            if t.on > on:
                break
            found = t
        self._answers[key] = found
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
        """The first date each state was entered in the episode current on `on` (the same dict
        for the same date: read it, do not change it)."""
        key = ("entered", on, len(self.transitions))
        if key in self._answers:
            return self._answers[key]  # type: ignore[no-any-return]
        episode = self.episode_on(on)
        first: dict[str, dt.date] = {}
        for t in self.transitions:
            if t.on > on:
                break
            if t.episode == episode:
                first.setdefault(t.state, t.on)
        self._answers[key] = first
        return first

    def mentor_on(self, on: dt.date) -> str | None:
        key = ("mentor_on", on, len(self.mentor_changes))
        if key not in self._answers:
            self._answers[key] = self._mentor_while(lambda change: change.on <= on)
        return self._answers[key]  # type: ignore[no-any-return]

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
        """The contacts' dates up to `on` (the same list for the same date: read it, do not change it)."""
        key = ("contact_dates", on, len(self.contacts))
        if key not in self._answers:
            self._answers[key] = [c.on for c in self.contacts if c.on <= on]
        return self._answers[key]  # type: ignore[no-any-return]

    def grades_on(self, on: dt.date) -> dict[str, int]:
        """The valid grade per subject as of `on` (voided assessments are not among the facts)."""
        return valid_grades((a.on, a.seq, a.subject, a.grade) for a in self.assessments if a.on <= on)

    def admission_met(self, on: dt.date) -> bool:
        """R6's admission requirements as of `on`, decided by the rule itself."""
        from brobyg.domain.rules import admission_met  # the rules import the aggregates: only when asked

        return admission_met(self.grades_on(on))

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
    with _by_key(conn, wanted):
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


@contextlib.contextmanager
def _by_key(conn: sa.Connection, streams: list[str] | None) -> Iterator[None]:
    """On PostgreSQL, some pathways' facts are read through the tables' (stream, seq) keys, never
    by scanning the tables, and in this process. The planner would scan: it takes a pathway to
    have several times the rows it has, and a bitmap of a key's scattered rows to cost more than
    reading the table. But the pathways asked for (today's active ones) are few and recent, their
    rows in a few hundred pages whatever the length of history; a scan reads every page of every
    year (measured on 50,000 pathways over 30 years: 2-3x the time of 6 years, by key flat), and
    parallel workers cost more to start than they save here. Set for this transaction only,
    and set back after (or, on an error, by the transaction's end)."""
    if streams is None or conn.dialect.name != "postgresql":
        yield
        return
    names = {"a": "enable_seqscan", "b": "max_parallel_workers_per_gather"}
    planner = sa.text("SELECT set_config(:a, :x, true), set_config(:b, :y, true)")
    before = conn.execute(sa.text("SELECT current_setting(:a), current_setting(:b)"), names).one()
    conn.execute(planner, {**names, "x": "off", "y": "0"})
    yield
    conn.execute(planner, {**names, "x": before[0], "y": before[1]})


def _last_contacts_before(conn: sa.Connection, before: dt.date, streams: list[str] | None) -> Iterator[Any]:
    c = facts.contacts
    for wanted in one_of(conn, c.c.stream, streams):
        last = sa.select(c.c.stream, sa.func.max(c.c.on).label("on")).where(c.c.on < before)
        if wanted is not None:
            last = last.where(wanted)
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
    for wanted in one_of(conn, table.c.stream, streams):
        yield from conn.execute(query if wanted is None else query.where(wanted)).all()


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
