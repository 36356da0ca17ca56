"""Active pathways: one row each, with the facts today's lists read of it.

Caseloads, the risk list and the agenda look at the active pathways only, and at few of their
facts. Read from the fact tables, those are some twenty rows per pathway spread over eight
tables: at 100,000 pathways, 14,000 active ones and 300,000 rows, most of a list's time. This
read model keeps what the lists read of a pathway whose current state is active, in one row:
each kind of fact it has as a JSON array of rows (`lists_read`), so a list reads one row per active pathway and
works out the same indicators from those facts. A pathway that ends leaves the table.

The rows are worked out from the fact tables, not from the events: a void, a late fact or an
erasure is whatever the facts say. During a long catch-up (a simulation, a rebuild) a pathway's
row would be worked out again on every page it is touched on, so a page only notes the touched
pathways (`rm_active_pending`), and the page that reaches the log's head works out theirs, once
(`caught_up`). Until then, and for a date before a pathway's last fact or further back than its
row holds, a list reads that pathway from the fact tables, as before (`timelines`).
"""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from collections.abc import Iterable
from typing import Any

import orjson
import sqlalchemy as sa

from brobyg.domain.terms import ACTIVE_STATES, BRIDGING_STATES
from brobyg.engine.collector import no_cycles_collected
from brobyg.engine.read_models import metadata
from brobyg.engine.rows import one_of
from brobyg.projections import capacity, facts, fidelity, outcomes, settled
from brobyg.projections.events import TouchedPathways
from brobyg.projections.indicators import ABSENCE_WATCHED_STATES
from brobyg.projections.policy import Policy
from brobyg.projections.timeline import FACTS, Timeline, load_timelines, school_days_from

KINDS = tuple(FACTS)

active = sa.Table(
    "rm_active",
    metadata,
    sa.Column("stream", sa.String(32), primary_key=True),
    sa.Column("case", sa.String(16), nullable=False),
    sa.Column("partnership", sa.String(32)),
    sa.Column("referred_on", sa.Date, nullable=False),
    sa.Column("last_on", sa.Date, nullable=False),  # the pathway's latest fact: the row holds as of then on
    sa.Column("complete_since", sa.Date, nullable=False),  # contacts, requests, absences: every one from here on
    # {kind: rows} as JSON, each row its fact table's columns after `stream`; no kind without rows.
    sa.Column("facts", sa.Text, nullable=False),
    # Its part of the capacity and fidelity reports as of `parts_from` (JSON, `Part.to_json`),
    # worked out under the policy named; from that day on they change only by the weeks of a
    # bridging place held since `bridging_since` (`held_parts`).
    sa.Column("policy", sa.String(16), nullable=False),
    sa.Column("parts_from", sa.Date, nullable=False),
    sa.Column("bridging_since", sa.Date),
    sa.Column("capacity", sa.Text, nullable=False),
    sa.Column("fidelity", sa.Text, nullable=False),
    # Its part of the outcome report with every horizon's figures: it holds from its last fact on
    # (the report counts a horizon once its day has passed: `outcomes.Tally.add`).
    sa.Column("outcomes", sa.Text, nullable=False),
)
# The pathways touched since their rows were last worked out.
pending = sa.Table("rm_active_pending", metadata, sa.Column("stream", sa.String(32), primary_key=True))


def recent_window(policy: Policy) -> dt.timedelta:
    """How far back today's lists look at the everyday facts: beyond every window in the policy,
    with room to spare."""
    p = policy
    return dt.timedelta(days=max(p.absence_window_school_days * 2, p.mentor_change_days, p.request_answer_days, 60) + 60)


class Active:
    """The read model: one row per active pathway with its facts; the pathways touched since."""

    name = "active"
    tables = (active, pending)

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.fingerprint = settled.fingerprint(policy)
        self.window = recent_window(policy)
        self.discard()

    def discard(self) -> None:
        self.touched = TouchedPathways()

    def handle(self, conn: sa.Connection, event: Any) -> None:
        self.touched.note(event)

    def flush(self, conn: sa.Connection) -> None:
        """Note the touched pathways (their rows are worked out when the log's head is reached)."""
        for chunk in self.touched.taken():
            known = set(conn.execute(sa.select(pending.c.stream).where(pending.c.stream.in_(chunk))).scalars())
            new = [{"stream": s} for s in chunk if s not in known]
            if new:
                conn.execute(pending.insert(), new)

    def caught_up(self, conn: sa.Connection) -> None:
        """Work out the rows of the pathways touched since (after the facts' flush): the active
        ones' anew, the others' gone."""
        waiting = sa.select(pending.c.stream).scalar_subquery()
        conn.execute(active.delete().where(active.c.stream.in_(waiting)))
        t = facts.transitions
        latest = (
            sa.select(t.c.stream, sa.func.max(t.c.seq).label("seq"))
            .where(t.c.stream.in_(sa.select(pending.c.stream).scalar_subquery()))
            .group_by(t.c.stream)
            .subquery()
        )
        query = (
            sa.select(t.c.stream)
            .join(latest, sa.and_(t.c.stream == latest.c.stream, t.c.seq == latest.c.seq))
            .where(t.c.state.in_(ACTIVE_STATES))
            .order_by(t.c.stream)
        )
        streams = list(conn.execute(query).scalars())
        for start in range(0, len(streams), 5000):  # a rebuild's every active pathway, a few thousand at a time
            timelines = load_timelines(conn, dt.date.max, streams[start : start + 5000])
            conn.execute(active.insert(), [self._row(t) for t in timelines.values()])
        conn.execute(pending.delete())

    def _row(self, t: Timeline) -> dict[str, Any]:
        last_on = max((x.on for kind in KINDS for x in getattr(t, kind)), default=t.referred_on)
        since = last_on - self.window
        row = {"stream": t.stream, "case": t.case, "partnership": t.partnership, "referred_on": t.referred_on}
        row |= {"last_on": last_on, "complete_since": since}
        kept = lists_read(t, since)
        held = {kind: [_encoded(r) for r in rows] for kind, rows in kept.items() if rows}
        row["facts"] = orjson.dumps(held).decode()
        held_from = parts_from(t, last_on, self.policy)
        last = t.transitions[-1] if t.transitions else None
        row |= {"policy": self.fingerprint, "parts_from": held_from}
        row["bridging_since"] = last.on if last is not None and last.state in BRIDGING_STATES else None
        row["capacity"] = orjson.dumps(capacity.part(t, held_from).to_json()).decode()
        row["fidelity"] = orjson.dumps(fidelity.part(t, held_from, self.policy).to_json()).decode()
        return row | {"outcomes": orjson.dumps(outcomes.part(t, dt.date.max, settled=True).to_json()).decode()}


def parts_from(t: Timeline, last_on: dt.date, policy: Policy) -> dt.date:
    """The day from which an active pathway's capacity and fidelity parts change only by the
    weeks of its current bridging place, if it holds one: every request's answer day has passed,
    every absent day has come, and the week of its last contact is over (a week of bridging with
    a contact counts once the week is full)."""
    absent = [school_days_from(a.on, a.days)[-1] for a in t.absences if a.days > 0]
    return max([last_on + settled.quiet_after(policy), *absent])


def held_parts(
    conn: sa.Connection, on: dt.date, streams: list[str], policy: Policy, reports: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    """The reports' parts as of `on` of those of the pathways whose row holds them for `on` (no
    fact after it, not touched since; for capacity and fidelity, worked out under this policy from
    a day on or before `on`), each carried from its row's day to `on`; the others are not in the
    answer."""
    waiting = set(conn.execute(sa.select(pending.c.stream)).scalars())
    a = active.c
    holds = [a.last_on <= on]
    if {"capacity", "fidelity"} & set(reports):
        holds += [a.parts_from <= on, a.policy == settled.fingerprint(policy)]
    query = sa.select(a.stream, a.parts_from, a.bridging_since, *(a[report] for report in reports)).where(*holds)
    found: dict[str, dict[str, Any]] = {}
    for wanted in one_of(conn, a.stream, streams):
        for row in conn.execute(query if wanted is None else query.where(wanted)):
            if row.stream in waiting:
                continue
            found[row.stream] = {report: _carried(report, row, on) for report in reports}
    return found


def _carried(report: str, row: Any, on: dt.date) -> Any:
    kept = orjson.loads(row._mapping[report])
    if report == "capacity":
        return capacity.carried(capacity.Part.from_json(kept), row.bridging_since, row.parts_from, on)
    if report == "fidelity":
        return fidelity.carried(fidelity.Part.from_json(kept), row.bridging_since, row.parts_from, on)
    return outcomes.Part.from_json(kept)  # every horizon's figures: the report counts those passed by `on`


def lists_read(t: Timeline, since: dt.date) -> dict[str, list[Any]]:
    """What the lists read of an active pathway on a day on or after its last fact (so in its
    current state), its everyday facts from `since` on (`indicators`, `caseload`, `agenda`):

    - every transition and mentor change (the state, its episode and dates; the mentor, handovers);
    - the last day's contacts: a contact's cadence, an open request and critical absence's
      follow-up all count from the last contact;
    - the requests since the last contact (the others are answered), from `since` on;
    - the absences from `since` on, where absence is watched (bridging, education);
    - the assessments and taster placements in bridging (the admission requirement, a placement);
    - the latest agreed cadence.
    """
    state = t.transitions[-1].state if t.transitions else None
    last_contact = max((c.on for c in t.contacts), default=None)
    return {
        "transitions": t.transitions,
        "mentor_changes": t.mentor_changes,
        "contacts": [c for c in t.contacts if c.on == last_contact],
        "requests": [r for r in t.requests if r.on >= since and (last_contact is None or r.on > last_contact)],
        "absences": [a for a in t.absences if a.on >= since] if state in ABSENCE_WATCHED_STATES else [],
        "assessments": t.assessments if state in BRIDGING_STATES else [],
        "placements": t.placements if state in BRIDGING_STATES else [],
        "cadences": t.cadences[-1:],
    }


def _encoded(row: Any) -> list[Any]:
    return [v.isoformat() if isinstance(v, dt.date) else v for v in tuple(row)[1:]]  # all but the stream


# Each kind's rows as named tuples of its table's columns, as the fact tables give them.
_ROWS = {kind: namedtuple(f"{kind}_row", [c.name for c in table.c]) for kind, table in FACTS.items()}  # type: ignore[misc]
# Where the dates are in a kept row (its columns after `stream`).
_DATES = {kind: [i - 1 for i, c in enumerate(table.c) if isinstance(c.type, sa.Date)] for kind, table in FACTS.items()}


def _decoded(kind: str, stream: str, rows: list[list[Any]]) -> list[Any]:
    # tuple.__new__ is what `_make` calls, without its Python frame: a list reads 150,000 rows.
    make, row, dates, date = tuple.__new__, _ROWS[kind], _DATES[kind], dt.date.fromisoformat
    found = []
    for values in rows:
        for i in dates:
            if values[i] is not None:
                values[i] = date(values[i])
        found.append(make(row, (stream, *values)))
    return found


def timelines(conn: sa.Connection, on: dt.date, streams: list[str], parts: Iterable[str], recent: dt.date) -> dict[str, Timeline]:
    """The pathways' timelines for a list as of `on` looking back to `recent`: each from its row
    where the row holds for `on` (`held_rows`), the others from the fact tables (`load_timelines`)."""
    parts = tuple(parts)
    rows, others = held_rows(conn, on, streams, recent)
    found = from_rows(rows, parts, recent)
    if others:
        found |= load_timelines(conn, on, others, parts, recent=recent)
    return {s: found[s] for s in streams if s in found}


def held_rows(conn: sa.Connection, on: dt.date, streams: list[str], recent: dt.date) -> tuple[list[tuple[Any, ...]], list[str]]:
    """The rows of those of the pathways whose row holds for a list as of `on` looking back to
    `recent` (its last fact on or before `on`, its everyday facts complete from `recent`, not
    touched since it was worked out), as (stream, case, partnership, referred_on, facts); and
    the streams of the others, in the order given."""
    a = active.c
    waiting = set(conn.execute(sa.select(pending.c.stream)).scalars())
    query = sa.select(a.stream, a.case, a.partnership, a.referred_on, a.facts).where(a.last_on <= on, a.complete_since <= recent)
    rows: list[tuple[Any, ...]] = []
    for wanted in one_of(conn, a.stream, streams):
        rows += [tuple(row) for row in conn.execute(query if wanted is None else query.where(wanted)) if row[0] not in waiting]
    held = {row[0] for row in rows}
    return rows, [s for s in streams if s not in held]


def from_rows(rows: list[tuple[Any, ...]], parts: tuple[str, ...], recent: dt.date) -> dict[str, Timeline]:
    """The timelines of `held_rows`' rows, each holding what the lists read (`lists_read`) of
    the kinds of fact in `parts`."""
    found: dict[str, Timeline] = {}
    with no_cycles_collected():
        for stream, case, partnership, referred_on, kept in rows:
            t = Timeline(stream, case, partnership, referred_on)
            held = orjson.loads(kept)
            for kind in parts:
                if kind in held:
                    decoded = _decoded(kind, stream, held[kind])
                    # The cut `load_timelines(recent=…)` makes (the contacts kept are the last day's already).
                    setattr(t, kind, [r for r in decoded if r.on >= recent] if kind in ("requests", "absences") else decoded)
            found[stream] = t
    return found
