"""Finding a case: by the person's reference (case and accents aside) or by its id, narrowed
by mentor and state. The person is opened from the sealed people read model
(`projections.people`) only for the pathways left after the other filters."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from brobyg.domain.case_ids import normalise_case_id
from brobyg.domain.terms import OUTCOME_STATES
from brobyg.engine.personal import ERASED, PersonalData
from brobyg.projections import facts
from brobyg.projections.people import folded, opened
from brobyg.projections.timeline import active_streams, load_timelines


def find(
    conn: sa.Connection,
    personal: PersonalData,
    on: dt.date,
    text: str | None = None,
    mentor: str | None = None,
    state: str | None = None,
    include_ended: bool = False,
    unsealed: Callable[[str], tuple[str, dt.date | None]] | None = None,
) -> list[dict[str, Any]]:
    """The pathways whose person reference contains `text` (case and accents aside) or whose case
    id is `text`, as of `on`: active ones only, unless `include_ended` or `state` names an outcome
    state; optionally only those `mentor` holds or in `state`. Sorted by person, then case.

    Only the candidates left after the state and mentor filters are opened; an erased person
    reads `[erased]` and matches no name. `unsealed` reads the person of a case from its events,
    for a pathway recorded before personal data was sealed (it has no key to seal a copy with)."""
    streams = active_streams(conn, on) if not include_ended and state not in OUTCOME_STATES else None
    timelines = load_timelines(conn, on, streams, parts=["transitions", "mentor_changes"])
    current = {}
    for stream, t in timelines.items():
        last = t.last_transition(on)
        if last is None or (state is not None and last.state != state):
            continue
        held = t.mentor_on(on)
        if mentor is not None and held != mentor:
            continue
        current[stream] = (t, last, held)
    people_of = _people(conn, personal, {stream: t.case for stream, (t, _, _) in current.items()}, unsealed)
    wanted_case = normalise_case_id(text) if text else None
    wanted_name = folded(text) if text else ""
    found = []
    for stream, (t, last, held) in current.items():
        person, born = people_of.get(stream, (ERASED, None))
        if text and t.case != wanted_case and (person == ERASED or wanted_name not in folded(person)):
            continue
        found.append({"case": t.case, "person": person, "born": born, "state": last.state, "mentor": held, "since": last.on})
    found.sort(key=lambda r: (r["person"] == ERASED, folded(r["person"]), r["case"]))
    return found


def names(
    conn: sa.Connection,
    personal: PersonalData,
    cases: list[str],
    unsealed: Callable[[str], tuple[str, dt.date | None]] | None = None,
) -> dict[str, str]:
    """The person reference of each of these cases (`[erased]` once erased), to show beside it."""
    p = facts.pathways
    streams: dict[str, str] = {}
    for start in range(0, len(cases), 500):
        chunk = cases[start : start + 500]
        streams.update(conn.execute(sa.select(p.c.stream, p.c.case).where(p.c.case.in_(chunk))).all())
    found = _people(conn, personal, streams, unsealed)
    return {case: found.get(stream, (ERASED, None))[0] for stream, case in streams.items()}


def _people(
    conn: sa.Connection,
    personal: PersonalData,
    cases: dict[str, str],
    unsealed: Callable[[str], tuple[str, dt.date | None]] | None,
) -> dict[str, tuple[str, dt.date | None]]:
    """The person and birth date of each stream (to its case), opened from the sealed read
    model, or read by `unsealed` where nothing was sealed and the person was not erased."""
    found = opened(conn, personal, cases)
    unread = [stream for stream in cases if found.get(stream, (ERASED,))[0] == ERASED]
    if unread and unsealed is not None:
        erased = _erased(conn, unread)
        for stream in unread:
            if stream not in erased:
                found[stream] = unsealed(cases[stream])
    return found


def _erased(conn: sa.Connection, streams: list[str]) -> set[str]:
    e = facts.erasures
    found: set[str] = set()
    for start in range(0, len(streams), 500):
        found.update(conn.execute(sa.select(e.c.stream).where(e.c.stream.in_(streams[start : start + 500]))).scalars())
    return found


def mentors(conn: sa.Connection, on: dt.date) -> list[dict[str, Any]]:
    """Every mentor recorded by `on`: name, kind, capacity and load (the active pathways they
    hold on `on`), by mentor id."""
    load: Counter[str] = Counter()
    for t in load_timelines(conn, on, active_streams(conn, on), parts=["mentor_changes"]).values():
        held = t.mentor_on(on)
        if held is not None:
            load[held] += 1
    m = facts.mentors
    rows = conn.execute(sa.select(m).where(m.c.added_on <= on).order_by(m.c.mentor))
    return [{"mentor": r.mentor, "name": r.name, "kind": r.kind, "capacity": r.capacity, "load": load[r.mentor]} for r in rows]
