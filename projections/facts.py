"""The facts the read models are computed from: append-only rows, one per event.

Time-dependent views (overdue contacts, risk, occupancy) are computed as of a date from
these stored facts, never frozen at write time. Every fact row is keyed by its stream and
the event's version, so replaying a page twice would fail loudly rather than double count.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from brobyg.engine.personal import PersonalData
from brobyg.engine.read_models import metadata
from brobyg.engine.rows import insert_rows
from brobyg.projections.events import aggregates
from brobyg.projections.people import People
from brobyg.projections.policy import Policy


def _fact_table(name: str, *columns: sa.Column[Any]) -> sa.Table:
    # Clustered by key on SQLite (WITHOUT ROWID): a pathway's rows lie together, so loading the
    # active pathways' facts reads their pages, not rows scattered over the whole history.
    return sa.Table(
        name,
        metadata,
        sa.Column("stream", sa.String(32), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("on", sa.Date, nullable=False),
        *columns,
        sqlite_with_rowid=False,
    )


# One row per pathway: what never changes after the referral.
pathways = sa.Table(
    "rm_pathways",
    metadata,
    sa.Column("stream", sa.String(32), primary_key=True),
    sa.Column("case", sa.String(16), nullable=False, unique=True),
    sa.Column("partnership", sa.String(32)),
    sa.Column("referred_on", sa.Date, nullable=False),  # the intake date: cohorts count from here
)
transitions = _fact_table(
    "rm_transitions",
    sa.Column("episode", sa.Integer, nullable=False),
    sa.Column("state", sa.String(24), nullable=False),
    sa.Column("apprenticeship_starts", sa.Date),
)
# A mentor change: assigned, handed over (to a new mentor) or released (mentor is NULL).
mentor_changes = _fact_table(
    "rm_mentor_changes",
    sa.Column("mentor", sa.String(32)),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("with_reason", sa.Boolean, nullable=False),
)
contacts = _fact_table("rm_contacts", sa.Column("mentor", sa.String(32)), sa.Column("channel", sa.String(12)))
requests = _fact_table("rm_requests")
absences = _fact_table(
    "rm_absences", sa.Column("days", sa.Integer, nullable=False), sa.Column("excused", sa.Boolean, nullable=False)
)
assessments = _fact_table(
    "rm_assessments", sa.Column("subject", sa.String(12), nullable=False), sa.Column("grade", sa.Integer, nullable=False)
)
placements = _fact_table(
    "rm_placements",
    sa.Column("kind", sa.String(8), nullable=False),  # "start" or "end"
    sa.Column("host_kind", sa.String(12)),
    sa.Column("purpose", sa.String(16)),
    sa.Column("contact_named", sa.Boolean),
    sa.Column("wish_given", sa.Boolean),
    sa.Column("follow_up_given", sa.Boolean),
)
cadences = _fact_table("rm_cadences", sa.Column("days", sa.Integer, nullable=False))
erasures = _fact_table("rm_erasures")  # the person's data key was destroyed (no personal data here)

# Read models hold no personal field: no person reference, birth date or free text (those are
# read from the events, sealed, when a view needs them; `projections.people` keeps the person
# sealed). A change of these tables' shape raises SCHEMA, and every store's read models are then
# rebuilt from the log. 3: rm_people; 4: its current state and mentor; 5: fact tables clustered by
# key; 6: rm_settled; 7: rm_tallies and rm_unsettled, rm_settled's referred_on; 8: rm_active;
# 9: its facts in one column, rm_people's dates indexed; 10: rm_people's case indexed;
# 11: rm_active's capacity and fidelity parts; 12: and its outcome part.
SCHEMA = 12

mentors = sa.Table(
    "rm_mentors",
    metadata,
    sa.Column("mentor", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("added_on", sa.Date, nullable=False),
)
partnerships = sa.Table(
    "rm_partnerships",
    metadata,
    sa.Column("partnership", sa.String(32), primary_key=True),
    sa.Column("jobcentre", sa.String(200), nullable=False),
    sa.Column("school", sa.String(200), nullable=False),
    sa.Column("places", sa.Integer, nullable=False),
    sa.Column("price_per_place", sa.Integer),
    sa.Column("added_on", sa.Date, nullable=False),
)


class _Collecting:
    """A read model that collects rows per table during a page and inserts them in bulk: each
    row a tuple of the table's columns in their declared order (`engine.rows`)."""

    def __init__(self) -> None:
        self.discard()

    def discard(self) -> None:
        self.rows: dict[sa.Table, list[tuple[Any, ...]]] = defaultdict(list)

    def add(self, table: sa.Table, *row: Any) -> None:
        self.rows[table].append(row)

    def flush(self, conn: sa.Connection) -> None:
        for table in self.tables:  # in declared order: parents before children
            if self.rows.get(table):
                insert_rows(conn, table, self.rows[table])
        self.rows = defaultdict(list)

    tables: tuple[sa.Table, ...] = ()


class PathwayFacts(_Collecting):
    """Every pathway event, as a fact row."""

    name = "pathway_facts"
    tables = (pathways, transitions, mentor_changes, contacts, requests, absences, assessments, placements, cadences, erasures)

    def handle(self, conn: sa.Connection, event: Any) -> None:
        Pathway = aggregates().pathway
        if not isinstance(event, Pathway.Event):
            return
        # Each row's values in its table's column order: stream, seq, on, then the table's own.
        stream, seq, on = event.originator_id.hex, event.originator_version, event.on
        if isinstance(event, Pathway.Referred):
            self.add(pathways, stream, event.case, event.partnership, on)  # stream, case, partnership, referred_on
        if isinstance(event, Pathway.Transitioned):
            episode = self._episode(conn, stream, event)
            starts = event.starts if isinstance(event, Pathway.ApprenticeshipSecured) else None
            self.add(transitions, stream, seq, on, episode, event.new_state, starts)  # episode, state, apprenticeship_starts
            # kind, host_kind, purpose, contact_named, wish_given, follow_up_given
            if isinstance(event, Pathway.PlacementStarted):
                named, wish = bool(event.contact.strip()), bool(event.wish.strip())
                self.add(placements, stream, seq, on, "start", event.host_kind, event.purpose, named, wish, None)
            elif isinstance(event, Pathway.PlacementEnded):
                self.add(placements, stream, seq, on, "end", None, None, None, None, bool(event.follow_up.strip()))
        # mentor_changes: mentor, kind, with_reason
        elif isinstance(event, Pathway.MentorAssigned):
            self.add(mentor_changes, stream, seq, on, event.mentor, "assigned", bool(event.reason))
        elif isinstance(event, Pathway.MentorHandedOver):
            self.add(mentor_changes, stream, seq, on, event.to_mentor, "handover", bool(event.reason))
        elif isinstance(event, Pathway.MentorReleased):
            self.add(mentor_changes, stream, seq, on, None, "released", True)
        elif isinstance(event, Pathway.ContactRecorded):
            self.add(contacts, stream, seq, on, event.mentor, event.channel)  # mentor, channel
        elif isinstance(event, Pathway.RequestRecorded):
            self.add(requests, stream, seq, on)
        elif isinstance(event, Pathway.AbsenceRecorded):
            self.add(absences, stream, seq, on, event.days, event.excused)  # days, excused
        elif isinstance(event, Pathway.Assessed):
            self.add(assessments, stream, seq, on, event.subject, event.grade)  # subject, grade
        elif isinstance(event, Pathway.CadenceAgreed):
            self.add(cadences, stream, seq, on, event.days)  # days
        elif isinstance(event, Pathway.PersonErased):
            self.add(erasures, stream, seq, on)
        elif isinstance(event, Pathway.Voided):
            self._void(conn, stream, event.voided_no)

    def _void(self, conn: sa.Connection, stream: str, no: int) -> None:
        """A voided event's facts leave the read models (R15): every view ignores it. What was
        collected so far goes in first, the voided event's rows among it."""
        self.flush(conn)
        for table in (transitions, contacts, requests, absences, assessments, placements, cadences):
            conn.execute(table.delete().where(table.c.stream == stream, table.c.seq == no))
        self.episodes.pop(stream, None)  # an undone re-referral takes its episode with it

    def _episode(self, conn: sa.Connection, stream: str, event: Any) -> int:
        Pathway = aggregates().pathway
        if isinstance(event, Pathway.Referred):
            episode = 1
        elif isinstance(event, Pathway.ReReferred):
            episode = self._known_episode(conn, stream) + 1
        else:
            episode = self._known_episode(conn, stream)
        self.episodes[stream] = episode
        return episode

    def _known_episode(self, conn: sa.Connection, stream: str) -> int:
        if stream in self.episodes:
            return self.episodes[stream]
        found = conn.execute(sa.select(sa.func.max(transitions.c.episode)).where(transitions.c.stream == stream)).scalar()
        return int(found or 1)

    def __init__(self) -> None:
        self.episodes: dict[str, int] = {}  # the current episode of each stream seen so far
        super().__init__()

    def discard(self) -> None:
        # Also after a rolled-back page: the episodes seen may not have been committed.
        super().discard()
        self.episodes.clear()


class MentorFacts(_Collecting):
    name = "mentors"
    tables = (mentors,)

    def handle(self, conn: sa.Connection, event: Any) -> None:
        if isinstance(event, aggregates().mentor.Added):
            self.add(mentors, event.mentor, event.name, event.kind, event.capacity, event.on)  # in the columns' order


class PartnershipFacts(_Collecting):
    name = "partnerships"
    tables = (partnerships,)

    def handle(self, conn: sa.Connection, event: Any) -> None:
        if isinstance(event, aggregates().partnership.Added):
            e = event  # in the columns' order
            self.add(partnerships, e.partnership, e.jobcentre, e.school, e.places, e.price_per_place, e.on)


def all_read_models(personal: PersonalData | None = None, policy: Policy | None = None) -> list[Any]:
    """Every fact read model, in the order they are kept up to date; with the store's personal
    data, also the sealed people (`projections.people`); with the policy, also the settled
    pathways' report parts (`projections.settled`) and the active pathways' rows
    (`projections.active`), which read the facts flushed before them."""
    models: list[Any] = [PathwayFacts(), MentorFacts(), PartnershipFacts()]
    if personal is not None:
        models.append(People(personal))
    if policy is not None:
        from brobyg.projections.settled import Settled  # it reads these tables

        models.append(Settled(policy))
        from brobyg.projections.active import Active  # it reads these tables too

        models.append(Active(policy))
    return models
