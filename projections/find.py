"""Finding a case: by the person's reference (case and accents aside) or by its id, narrowed
by mentor and state; and the mentors with their load. Candidates come from one query on the
people read model (`projections.people`), which keeps each pathway's state and mentor current;
the person is opened only for the candidates left after the other filters."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from brobyg.domain.case_ids import normalise_case_id
from brobyg.domain.terms import ACTIVE_STATES, OUTCOME_STATES
from brobyg.engine.personal import ERASED, PersonalData
from brobyg.engine.rows import one_of
from brobyg.projections import facts
from brobyg.projections.people import folded, opened, people
from brobyg.projections.timeline import load_timelines

Unsealed = Callable[[str], tuple[str, dt.date | None]]


@dataclass
class Current:
    """A pathway as it stands on a date."""

    stream: str
    case: str
    sealed: bytes | None
    state: str
    since: dt.date
    mentor: str | None


def current(
    conn: sa.Connection, on: dt.date, active_only: bool = True, state: str | None = None, mentor: str | None = None
) -> list[Current]:
    """The pathways (only active ones, or in `state`, or held by `mentor`) as they stand on `on`.

    The people read model says where each stands after its latest event; a pathway with a
    transition or mentor change dated after `on` (a simulated store's days to come) is taken from
    its facts as of `on` instead."""
    p = people
    query = sa.select(p.c.stream, p.c.case, p.c.sealed, p.c.state, p.c.since, p.c.mentor)
    rows = conn.execute(query.where(*_as_it_stands(on, active_only, state, mentor))).all()
    found = [Current(*r) for r in rows]
    return [c for c in [*found, *_from_facts(conn, on)] if _wanted(c, active_only, state, mentor)]


def active_streams(conn: sa.Connection, on: dt.date) -> list[str]:
    """The streams of the pathways active on `on` (`current`'s, without the rest of each row)."""
    p = people
    streams = list(conn.execute(sa.select(p.c.stream).where(*_as_it_stands(on, True, None, None))).scalars())
    return streams + [c.stream for c in _from_facts(conn, on) if c.state in ACTIVE_STATES]


def _after(on: dt.date) -> Any:
    """A pathway with a transition or mentor change dated after `on` (each column indexed)."""
    p = people
    return sa.or_(p.c.since > on, p.c.mentor_since > on)


def _as_it_stands(on: dt.date, active_only: bool, state: str | None, mentor: str | None) -> list[Any]:
    """The people rows that say where a pathway stood on `on` too, narrowed as asked."""
    p = people
    wanted = [p.c.since.is_not(None), sa.not_(sa.func.coalesce(_after(on), False))]
    if active_only:
        wanted.append(p.c.state.in_(ACTIVE_STATES))
    if state is not None:
        wanted.append(p.c.state == state)
    if mentor is not None:
        wanted.append(p.c.mentor == mentor)
    return wanted


def _from_facts(conn: sa.Connection, on: dt.date) -> list[Current]:
    """The pathways with facts dated after `on`, as they stood on `on` (from their facts)."""
    p = people
    then = {r.stream: r for r in conn.execute(sa.select(p.c.stream, p.c.sealed).where(_after(on)))}
    if not then:
        return []
    found = []
    for stream, t in load_timelines(conn, on, list(then), parts=["transitions", "mentor_changes"]).items():
        last = t.last_transition(on)
        if last is not None:
            found.append(Current(stream, t.case, then[stream].sealed, last.state, last.on, t.mentor_on(on)))
    return found


def _wanted(c: Current, active_only: bool, state: str | None, mentor: str | None) -> bool:
    return (
        (not active_only or c.state in ACTIVE_STATES)
        and (state is None or c.state == state)
        and (mentor is None or c.mentor == mentor)
    )


def find(
    conn: sa.Connection,
    personal: PersonalData,
    on: dt.date,
    text: str | None = None,
    mentor: str | None = None,
    state: str | None = None,
    include_ended: bool = False,
    unsealed: Unsealed | None = None,
) -> list[dict[str, Any]]:
    """The pathways whose person reference contains `text` (case and accents aside) or whose case
    id is `text`, as of `on`: active ones only, unless `include_ended` or `state` names an outcome
    state; optionally only those `mentor` holds or in `state`. Sorted by person, then case.

    Only the candidates left after the state and mentor filters are opened; an erased person
    reads `[erased]` and matches no name. `unsealed` reads the person of a case from its events,
    for a pathway recorded before personal data was sealed (it has no key to seal a copy with)."""
    active_only = not include_ended and state not in OUTCOME_STATES
    candidates = current(conn, on, active_only, state, mentor)
    people_of = _people(conn, personal, candidates, unsealed)
    wanted_case = normalise_case_id(text) if text else None
    wanted_name = folded(text) if text else ""
    found = []
    for c in candidates:
        person, born = people_of[c.stream]
        spelled = folded(person)
        if text and c.case != wanted_case and (person == ERASED or wanted_name not in spelled):
            continue
        row = {"case": c.case, "person": person, "born": born, "state": c.state, "mentor": c.mentor, "since": c.since}
        found.append(((person == ERASED, spelled, c.case), row))
    found.sort(key=lambda pair: pair[0])
    return [row for _, row in found]


def names(conn: sa.Connection, personal: PersonalData, cases: list[str], unsealed: Unsealed | None = None) -> dict[str, str]:
    """The person reference of each of these cases (`[erased]` once erased), to show beside it."""
    p = people
    rows: list[Current] = []
    for wanted in one_of(conn, p.c.case, cases):
        query = sa.select(p.c.stream, p.c.case, p.c.sealed).where(wanted)
        rows += [Current(r.stream, r.case, r.sealed, "", dt.date.min, None) for r in conn.execute(query)]
    found = _people(conn, personal, rows, unsealed)
    return {c.case: found[c.stream][0] for c in rows}


def mentors(conn: sa.Connection, on: dt.date) -> list[dict[str, Any]]:
    """Every mentor recorded by `on`: name, kind, capacity and load (the active pathways they
    hold on `on`), by mentor id."""
    load = Counter(c.mentor for c in current(conn, on) if c.mentor is not None)
    m = facts.mentors
    rows = conn.execute(sa.select(m).where(m.c.added_on <= on).order_by(m.c.mentor))
    return [{"mentor": r.mentor, "name": r.name, "kind": r.kind, "capacity": r.capacity, "load": load[r.mentor]} for r in rows]


def _people(
    conn: sa.Connection, personal: PersonalData, rows: list[Current], unsealed: Unsealed | None
) -> dict[str, tuple[str, dt.date | None]]:
    """The person and birth date of each row's pathway, opened from its sealed copy, or read by
    `unsealed` where nothing was sealed and the person was not erased (a store older than sealing)."""
    found = opened(personal, {c.stream: c.sealed for c in rows})
    unread = [c for c in rows if c.sealed is None]
    if unread and unsealed is not None:
        erased = _erased(conn, [c.stream for c in unread])
        for c in unread:
            if c.stream not in erased:
                found[c.stream] = unsealed(c.case)
    return found


def _erased(conn: sa.Connection, streams: list[str]) -> set[str]:
    e = facts.erasures
    found: set[str] = set()
    for start in range(0, len(streams), 500):
        found.update(conn.execute(sa.select(e.c.stream).where(e.c.stream.in_(streams[start : start + 500]))).scalars())
    return found
