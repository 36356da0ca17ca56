"""A mentor (uddannelsesmentor, later fastholdelsesmentor) and their caseload.

Taking on and releasing a case are events on the mentor's own stream, saved in the same
transaction as the pathway's event. Two coordinators assigning the last free place at the
same moment then collide on the mentor's version, and the loser is re-checked against R4.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from brobyg.engine.aggregate import EventSourced, stream_id


class Mentor(EventSourced):
    TOPIC = "brobyg:Mentor"

    if TYPE_CHECKING:  # state set by the events (not constructor arguments)
        since: dt.date  # when it was recorded: nothing happens with it before (R13)
        mentor: str
        name: str
        kind: str  # "kui" (KUI contact person) or "lab" (LAB mentor)
        capacity: int
        cases: list[str]

    @staticmethod
    def id_for(mentor: str) -> Any:
        return stream_id("mentor", mentor)

    class Event(EventSourced.Event):
        """Base of the mentor's events (its own, so eventsourcing keeps the nested classes as written)."""

    class Added(Event, Aggregate.Created):
        TOPIC = "brobyg:Mentor.Added"
        mentor: str
        name: str
        kind: str
        capacity: int

        def apply(self, m: Mentor) -> None:
            m.since = self.on
            m.mentor = self.mentor
            m.name = self.name
            m.kind = self.kind
            m.capacity = self.capacity
            m.cases = []

    Created = Added

    class CaseTakenOn(Event):
        TOPIC = "brobyg:Mentor.CaseTakenOn"
        case: str

        def apply(self, m: Mentor) -> None:
            m.cases.append(self.case)

    class CaseReleased(Event):
        TOPIC = "brobyg:Mentor.CaseReleased"
        case: str

        def apply(self, m: Mentor) -> None:
            m.cases.remove(self.case)

    @property
    def load(self) -> int:
        return len(self.cases)
