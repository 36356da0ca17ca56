"""A young person's pathway (forløb): one event stream, with episodes inside.

The events are facts; ``apply`` sets state by plain assignment and never checks a rule.
The rules live in `domain.rules` and are checked by the application before an event is
recorded.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.domain import Aggregate

from brobyg.domain.terms import RETENTION_MENTOR, mentor_role, valid_grades
from brobyg.engine.aggregate import EventSourced, stream_id
from brobyg.engine.personal import ERASED


class Pathway(EventSourced):
    TOPIC = "brobyg:Pathway"

    if TYPE_CHECKING:  # state set by the events (not constructor arguments)
        case: str
        person: str
        born: dt.date
        readiness: str
        justification: str | None
        via: str
        kui_contact: str | None
        partnership: str | None
        state: str
        episode: int
        mentor: str | None
        mentor_role: str | None  # "education", "retention" or None
        mentor_by: str | None  # who made the latest change of mentor (a handover names them)
        school: str | None
        grades: dict[str, int]  # the valid grade per subject: the latest not voided (R6 admission)
        assessments: list[tuple[dt.date, int, str, int]]  # every assessment: (on, no, subject, grade)
        placement: dict[str, str] | None
        placements: int
        cadence_days: int | None  # agreed contact cadence after education starts (R10)
        programme: str | None
        employer: str | None
        apprenticeship_starts: dt.date | None
        exit_reason: str | None
        entered: dict[str, dt.date]  # the date each state of this episode was entered
        last_on: dt.date  # the latest effective date (R13: transitions never go before it)
        voided: dict[int, tuple[str, dt.datetime, str]]  # event number → (by, at, reason) (R15)
        before: dict[int, dict[str, Any]]  # transition number → the state it changed (for an undo, R15)
        kui_contacts: list[tuple[int, str | None]]  # (no, KUI contact) as registered, the referral's first
        cadences: list[tuple[int, int]]  # (no, days) as agreed
        erased: dt.date | None  # when the person's data key was destroyed

    @staticmethod
    def id_for(case: str) -> Any:
        return stream_id("case", case)

    class Event(EventSourced.Event):
        # Personal fields (docs/domain.md, "Personal data"): the person reference, the birth date
        # and every free text are stored sealed under the person's own key (`engine.personal`).
        PERSONAL: ClassVar[tuple[str, ...]] = ()
        PERSONAL_DATES: ClassVar[tuple[str, ...]] = ()

        def mutate(self, aggregate: Any) -> Any:
            pathway = super().mutate(aggregate)
            pathway.last_on = max(pathway.last_on, self.on) if aggregate is not None else self.on  # late facts (R13)
            return pathway

    # --- transitions -------------------------------------------------------------

    class Transitioned(Event):
        """Base of the events that move the pathway to another state."""

        TOPIC = "brobyg:Pathway.Transitioned"
        new_state: str

        def mutate(self, aggregate: Any) -> Any:
            # How the pathway stood before this transition, for its undo (R15).
            before = None if aggregate is None else _snapshot(aggregate)
            pathway = super().mutate(aggregate)
            if before is not None:
                pathway.before[self.originator_version] = before
            return pathway

        def apply(self, p: Pathway) -> None:
            p.state = self.new_state
            p.entered.setdefault(self.new_state, self.on)  # the first time, e.g. bridging before any placement

    class Referred(Transitioned, Aggregate.Created):
        """Visitation: the jobcentre (KUI for under-25s) refers a young person."""

        TOPIC = "brobyg:Pathway.Referred"
        PERSONAL = ("person", "born", "justification")
        PERSONAL_DATES = ("born",)
        case: str
        person: str
        born: dt.date
        readiness: str
        justification: str | None
        via: str
        kui_contact: str | None
        partnership: str | None

        def apply(self, p: Pathway) -> None:
            p.case = self.case
            p.person = self.person
            p.born = self.born
            p.readiness = self.readiness
            p.justification = self.justification
            p.via = self.via
            p.kui_contact = self.kui_contact
            p.partnership = self.partnership
            p.episode = 1
            p.grades = {}
            p.assessments = []
            p.kui_contacts = [(self.originator_version, self.kui_contact)]
            p.cadences = []
            p.voided = {}
            p.before = {}
            p.cadence_days = None
            p.mentor = None
            p.mentor_role = None
            p.mentor_by = None
            p.entered = {}
            p.erased = None
            _start_episode(p)
            super().apply(p)

    Created = Referred  # eventsourcing's name for the creation event

    class ReReferred(Transitioned):
        """A new episode in the same stream, after dropping out or withdrawing."""

        TOPIC = "brobyg:Pathway.ReReferred"
        PERSONAL = ("justification",)
        readiness: str
        justification: str | None
        via: str

        def apply(self, p: Pathway) -> None:
            p.episode += 1
            p.readiness = self.readiness
            p.justification = self.justification
            p.via = self.via
            p.entered = {}
            _start_episode(p)
            super().apply(p)

    class BridgingStarted(Transitioned):
        TOPIC = "brobyg:Pathway.BridgingStarted"
        school: str | None

        def apply(self, p: Pathway) -> None:
            p.school = self.school
            super().apply(p)

    class PlacementStarted(Transitioned):
        """Snusepraktik: host, its kind, a named contact at the host, purpose and wish (R5)."""

        TOPIC = "brobyg:Pathway.PlacementStarted"
        PERSONAL = ("contact", "wish")
        host: str
        host_kind: str
        contact: str
        purpose: str
        wish: str

        def apply(self, p: Pathway) -> None:
            p.placement = {
                "host": self.host,
                "host_kind": self.host_kind,
                "contact": self.contact,
                "purpose": self.purpose,
                "wish": self.wish,
            }
            p.placements += 1
            super().apply(p)

    class PlacementEnded(Transitioned):
        TOPIC = "brobyg:Pathway.PlacementEnded"
        PERSONAL = ("follow_up",)
        follow_up: str

        def apply(self, p: Pathway) -> None:
            p.placement = None
            super().apply(p)

    class BasicCourseStarted(Transitioned):
        """Education starts: the education mentor continues as retention mentor (R6)."""

        TOPIC = "brobyg:Pathway.BasicCourseStarted"
        programme: str

        def apply(self, p: Pathway) -> None:
            p.programme = self.programme
            if p.mentor:
                p.mentor_role = RETENTION_MENTOR
            super().apply(p)

    class BasicCourseCompleted(Transitioned):
        TOPIC = "brobyg:Pathway.BasicCourseCompleted"

    class MainCourseStarted(Transitioned):
        TOPIC = "brobyg:Pathway.MainCourseStarted"

    class ApprenticeshipSecured(Transitioned):
        TOPIC = "brobyg:Pathway.ApprenticeshipSecured"
        employer: str
        starts: dt.date

        def apply(self, p: Pathway) -> None:
            p.employer = self.employer
            p.apprenticeship_starts = self.starts
            super().apply(p)

    class Qualified(Transitioned):
        TOPIC = "brobyg:Pathway.Qualified"

    class Employed(Transitioned):
        TOPIC = "brobyg:Pathway.Employed"
        employer: str | None

        def apply(self, p: Pathway) -> None:
            p.employer = self.employer or p.employer
            super().apply(p)

    class DroppedOut(Transitioned):
        TOPIC = "brobyg:Pathway.DroppedOut"
        PERSONAL = ("reason",)
        reason: str

        def apply(self, p: Pathway) -> None:
            p.exit_reason = self.reason
            super().apply(p)

    class Withdrew(Transitioned):
        TOPIC = "brobyg:Pathway.Withdrew"
        PERSONAL = ("reason",)
        reason: str

        def apply(self, p: Pathway) -> None:
            p.exit_reason = self.reason
            super().apply(p)

    # --- the mentor (R2, R3, R6, R7) ---------------------------------------------

    class MentorAssigned(Event):
        TOPIC = "brobyg:Pathway.MentorAssigned"
        PERSONAL = ("reason",)
        mentor: str
        reason: str | None

        def apply(self, p: Pathway) -> None:
            p.mentor = self.mentor
            p.mentor_role = mentor_role(p.state)
            p.mentor_by = self.actor

    class MentorHandedOver(Event):
        TOPIC = "brobyg:Pathway.MentorHandedOver"
        PERSONAL = ("reason",)
        from_mentor: str
        to_mentor: str
        reason: str

        def apply(self, p: Pathway) -> None:
            p.mentor = self.to_mentor
            p.mentor_role = mentor_role(p.state)
            p.mentor_by = self.actor

    class MentorReleased(Event):
        TOPIC = "brobyg:Pathway.MentorReleased"
        PERSONAL = ("reason",)
        mentor: str
        reason: str

        def apply(self, p: Pathway) -> None:
            p.mentor = None
            p.mentor_role = None
            p.mentor_by = self.actor

    class KuiContactRegistered(Event):
        TOPIC = "brobyg:Pathway.KuiContactRegistered"
        kui_contact: str

        def apply(self, p: Pathway) -> None:
            p.kui_contact = self.kui_contact
            p.kui_contacts.append((self.originator_version, self.kui_contact))

    # --- facts inside a state (R10–R12 are flagged by the read models) ------------

    class Assessed(Event):
        TOPIC = "brobyg:Pathway.Assessed"
        subject: str
        grade: int

        def apply(self, p: Pathway) -> None:
            p.assessments.append((self.on, self.originator_version, self.subject, self.grade))
            p.grades = valid_grades(a for a in p.assessments if a[1] not in p.voided)

    class ContactRecorded(Event):
        TOPIC = "brobyg:Pathway.ContactRecorded"
        mentor: str
        channel: str

    class RequestRecorded(Event):
        TOPIC = "brobyg:Pathway.RequestRecorded"
        PERSONAL = ("text",)
        text: str | None

    class CadenceAgreed(Event):
        """How often the mentor and the young person keep in touch once education starts (R10)."""

        TOPIC = "brobyg:Pathway.CadenceAgreed"
        days: int

        def apply(self, p: Pathway) -> None:
            p.cadence_days = self.days
            p.cadences.append((self.originator_version, self.days))

    class AbsenceRecorded(Event):
        TOPIC = "brobyg:Pathway.AbsenceRecorded"
        days: int
        excused: bool

    # --- personal data -------------------------------------------------------------

    class PersonErased(Event):
        """The person's data key is destroyed with this event: every personal field of the
        pathway reads as erased from now on; states, dates and figures stay. It holds no
        personal data itself (`reason` says why, e.g. retention or a request)."""

        TOPIC = "brobyg:Pathway.PersonErased"
        FORGETS_PERSONAL_DATA = True  # every process reading it drops the person's key
        reason: str

        def apply(self, p: Pathway) -> None:
            # What the aggregate holds of the person goes too (a process that remembered it
            # before the key was destroyed forgets it here, as a replay would read it).
            p.erased = self.on
            p.person, p.born = ERASED, None
            p.justification = ERASED if p.justification else None
            p.exit_reason = ERASED if p.exit_reason else None
            if p.placement:
                p.placement = {**p.placement, "contact": ERASED, "wish": ERASED}
            p.before = {}  # what earlier transitions changed, free texts among it: nothing is undone past an erasure
            p.voided = {no: (by, at, ERASED) for no, (by, at, _) in p.voided.items()}

    # --- corrections (R15) -------------------------------------------------------------

    class Voided(Event):
        """A fact recorded by mistake, or the latest transition, voided with a reason (R15). The
        voided event stays in the log; rules and read models ignore it. Voiding a transition
        restores the state and mentor arrangement from before it."""

        TOPIC = "brobyg:Pathway.Voided"
        PERSONAL = ("reason",)
        voided_no: int  # the voided event's number in the stream
        reason: str

        def apply(self, p: Pathway) -> None:
            p.voided[self.voided_no] = (self.actor, self.timestamp, self.reason)
            if self.voided_no in p.before:  # a transition: back to how it stood before it
                for name, value in p.before.pop(self.voided_no).items():
                    if name not in MENTOR_ARRANGEMENT:  # restored by the mentor events recorded with the undo
                        setattr(p, name, value)
                if p.mentor:
                    p.mentor_role = mentor_role(p.state)
            p.grades = valid_grades(a for a in p.assessments if a[1] not in p.voided)
            p.kui_contact = next((m for no, m in reversed(p.kui_contacts) if no not in p.voided), None)
            p.cadence_days = next((d for no, d in reversed(p.cadences) if no not in p.voided), None)


MENTOR_ARRANGEMENT = ("mentor", "mentor_role", "mentor_by")
# What a transition (and the mentor changes that go with it) may change, restored by its undo.
UNDONE = (
    "state", "episode", "entered", "readiness", "justification", "via", "school", "placement", "placements",
    "programme", "employer", "apprenticeship_starts", "exit_reason", "mentor", "mentor_role", "mentor_by",
)  # fmt: skip


def _snapshot(p: Pathway) -> dict[str, Any]:
    """What a transition may change, as it stood before (R15's undo). The values are immutable or,
    for `entered` and `placement`, dicts of immutable values: a copy of each dict is enough."""
    values = {name: getattr(p, name) for name in UNDONE}
    return {name: dict(value) if type(value) is dict else value for name, value in values.items()}


def _start_episode(p: Pathway) -> None:
    # Grades carry over into a new episode (they are the young person's); the rest starts afresh.
    p.placements = 0
    p.school = None
    p.placement = None
    p.programme = None
    p.employer = None
    p.apprenticeship_starts = None
    p.exit_reason = None
