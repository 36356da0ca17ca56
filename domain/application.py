"""The application service: one method per coordinator command, the only writer.

Each command loads what it needs, asks the rules, and records events; everything a
command records is saved in one transaction (the pathway's events together with the
mentors' caseload events), or nothing is.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Sequence
from typing import Any, TypeVar

from brobyg.domain import imported, rules
from brobyg.domain.case_ids import PERSON_PREFIX, clean_person, is_case_id, new_case_id, normalise_case_id, person_key
from brobyg.domain.mentor import Mentor
from brobyg.domain.not_found import no_case, no_mentor
from brobyg.domain.partnership import Partnership
from brobyg.domain.pathway import Pathway
from brobyg.domain.terms import (
    ACTIVE_STATES,
    APPRENTICESHIP,
    DEFAULT_CAPACITY,
    GRADES,
    KUI,
    MENTOR_KINDS,
    NEW,
    OUTCOME_STATES,
    QUALIFIED,
    REFERRED,
    RETENTION_MENTOR_STATES,
    SCHOOL_STATES,
    SUBJECTS,
    referral_channel,
)
from brobyg.domain.workflow import PATHWAY
from brobyg.engine.aggregate import EventSourced
from brobyg.engine.application import CommandApplication
from brobyg.engine.clock import Clock
from brobyg.engine.commands import Changes
from brobyg.engine.errors import AlreadyExists, InvalidInput, NotAllowed, NotFound, Refused, Stale
from brobyg.engine.personal import PersonalData
from brobyg.engine.rules import Violation, require
from brobyg.engine.store import Store
from brobyg.engine.text import N_, Term, Text

A = TypeVar("A", bound=EventSourced)


class Brobyg(CommandApplication):
    """Bridging pathways (brobygningsforløb): refer, mentor, upskill, place, educate."""

    name = "Brobyg"
    only_for_mentor: str | None = None  # a mentor's login: the mentor whose caseload it records on
    aggregates = (Pathway, Mentor, Partnership)

    def __init__(
        self,
        store: Store,
        clock: Clock | None = None,
        actor: str = "system",
        seed: int | None = None,
        personal: PersonalData | None = None,
    ) -> None:
        super().__init__(store, clock, actor, personal)
        self.rng = random.Random(seed)

    def implausible(self, before: EventSourced | None, event: Any) -> str | None:
        return imported.implausible(before, event)

    def implausible_log(self, claims: dict[str, str], aggregates: list[EventSourced], person_secret: bytes | None) -> str | None:
        return imported.implausible_log(claims, aggregates, person_secret)

    def rekeyed_claims(self, claims: dict[str, str], aggregates: list[EventSourced]) -> dict[str, str]:
        return imported.rekeyed_claims(claims, aggregates, self.personal.master.person_secret)

    # --- lookups -------------------------------------------------------------------

    def pathway(self, case: str) -> Pathway:
        stream = _case_stream(case)
        pathway = self.load(stream, Pathway) if stream is not None else None
        if pathway is None:
            raise no_case(case)
        return pathway

    def mentor(self, mentor: str) -> Mentor:
        found = self.load(Mentor.id_for(mentor), Mentor)
        if found is None:
            raise no_mentor(mentor)
        return found

    def partnership(self, partnership: str) -> Partnership:
        found = self.load(Partnership.id_for(partnership), Partnership)
        if found is None:
            raise NotFound(
                Text("no partnership {partnership!r} (brobyg partnership add {partnership} …)", partnership=partnership)
            )
        return found

    # What a mentor's login may record, on the pathways they mentor (docs/domain.md, roles).
    MENTOR_RECORDS = (
        Pathway.ContactRecorded,
        Pathway.RequestRecorded,
        Pathway.AbsenceRecorded,
        Pathway.Assessed,
        Pathway.CadenceAgreed,
    )

    def _only_own_caseload(self, aggregate: EventSourced, event: type) -> None:
        """A mentor's login records contacts, requests, absences, assessments and cadences, and
        only on the pathways they mentor."""
        mine, login = self.only_for_mentor, self.login
        if not isinstance(aggregate, Pathway) or event not in self.MENTOR_RECORDS:
            raise NotAllowed(
                Text(
                    "the login {login} (role mentor, {mentor}) records only contacts, requests, absences, assessments and cadences",
                    login=login,
                    mentor=mine,
                )
            )
        if aggregate.mentor != mine:
            raise NotAllowed(
                Text(
                    "the login {login} (role mentor, {mentor}) records only on their own caseload; {case} is not on it",
                    login=login,
                    mentor=mine,
                    case=aggregate.case,
                )
            )

    def _recordable(self, case: str) -> Pathway:
        """The pathway, to record on: not once its person is erased."""
        p = self.pathway(case)
        if p.erased:
            raise NotFound(
                Text(
                    "{case}: the person's data was erased on {erased}; nothing more is recorded "
                    "on this case (brobyg refer … starts a new one)",
                    case=p.case,
                    erased=p.erased,
                )
            )
        return p

    def _add_event(self, aggregate: EventSourced, event: type, on: dt.date, **fields: Any) -> None:
        if self.only_for_mentor is not None:
            self._only_own_caseload(aggregate, event)
        aggregate.record(event, on, self.actor, self.clock.recorded_at(on), login=self.login, **fields)

    def _new(self, cls: type[A], event: type, id: Any, on: dt.date, **fields: Any) -> A:
        if self.only_for_mentor is not None:
            raise NotAllowed(Text("the login {login} (role mentor) records only on their own caseload", login=self.login))
        return cls._create(
            event, id=id, on=on, actor=self.actor, login=self.login, timestamp=self.clock.recorded_at(on), **fields
        )

    def _on(self, on: dt.date | None) -> dt.date:
        return on or self.clock.today()

    # --- mentors and partnerships --------------------------------------------------

    def add_mentor(
        self, mentor: str, name: str, kind: str, capacity: int = DEFAULT_CAPACITY, on: dt.date | None = None
    ) -> Mentor:
        if not name.strip():
            raise InvalidInput(N_("the mentor's name is empty"))
        if kind not in MENTOR_KINDS:
            raise InvalidInput(Text("mentor kind must be one of {kinds}", kinds=str(MENTOR_KINDS)))
        if capacity < 1:
            raise InvalidInput(N_("capacity must be at least 1"))
        when = self._on(on)

        def command() -> tuple[Mentor, Sequence[EventSourced]]:
            if self.load(Mentor.id_for(mentor), Mentor) is not None:
                raise AlreadyExists(Text("mentor {mentor!r} already exists", mentor=mentor))
            require(rules.r13_effective_date(when, self.clock.today(), None))
            m = self._new(
                Mentor,
                Mentor.Added,
                Mentor.id_for(mentor),
                when,
                mentor=mentor,
                name=name.strip(),
                kind=kind,
                capacity=capacity,
            )
            return m, [m]

        return self.run(command)

    def add_partnership(
        self,
        partnership: str,
        jobcentre: str,
        school: str,
        places: int,
        price_per_place: int | None = None,
        on: dt.date | None = None,
    ) -> Partnership:
        if not jobcentre.strip() or not school.strip():
            raise InvalidInput(N_("a partnership names both the jobcentre and the school"))
        if places < 1:
            raise InvalidInput(N_("a partnership commits at least one place"))
        when = self._on(on)

        def command() -> tuple[Partnership, Sequence[EventSourced]]:
            if self.load(Partnership.id_for(partnership), Partnership) is not None:
                raise AlreadyExists(Text("partnership {partnership!r} already exists", partnership=partnership))
            require(rules.r13_effective_date(when, self.clock.today(), None))
            p = self._new(
                Partnership,
                Partnership.Added,
                Partnership.id_for(partnership),
                when,
                partnership=partnership,
                jobcentre=jobcentre.strip(),
                school=school.strip(),
                places=places,
                price_per_place=price_per_place,
            )
            return p, [p]

        return self.run(command)

    # --- referral (R1) -------------------------------------------------------------

    def refer(
        self,
        person: str,
        born: dt.date,
        readiness: str,
        justification: str | None = None,
        kui_contact: str | None = None,
        partnership: str | None = None,
        via: str | None = None,
        on: dt.date | None = None,
    ) -> Pathway:
        """Refer a young person: a new pathway (R1), unless they have one already."""
        when = self._on(on)
        via = via or referral_channel(born, when)
        key = person_key(person, born, self.personal.master.person_secret)

        def command() -> tuple[Pathway, Changes]:
            found: list[Violation] = []
            if not clean_person(person):
                found.append(Violation("R1", Text("the referral names no person (PERSON)")))
            if kui_contact is not None:
                found += _kui_contact_violations(self.mentor(kui_contact))
                found += rules.r1_kui_contact_under_25(born, when)
            if partnership is not None:
                what = Text("partnership {partnership}", partnership=partnership)
                found += rules.r13_not_before(when, what, self.partnership(partnership).since)
            args = {
                "on": when,
                "born": born,
                "readiness": readiness,
                "justification": justification,
                "via": via,
                # A store written before encryption keyed its claims without a secret: found either way.
                "earlier_case": self._earlier_case([key, person_key(person, born, None)]),
            }
            found += PATHWAY.check(None, NEW, "refer", args).violations  # type: ignore[arg-type]
            require(rules.r13_effective_date(when, self.clock.today(), None), found)
            case = self._unused_case_id()
            p = self._new(
                Pathway,
                PATHWAY.event("refer"),
                Pathway.id_for(case),
                when,
                new_state=REFERRED,
                case=case,
                person=clean_person(person),
                born=born,
                readiness=readiness,
                justification=_text(justification),
                via=via,
                kui_contact=kui_contact,
                partnership=partnership,
            )
            # The person's key is claimed with the referral: two coordinators referring the
            # same young person at once cannot both succeed.
            return p, Changes([p], claims={key: case})

        return self.run(command)

    def _unused_case_id(self) -> str:
        # Six characters give about 729 million ids: at 100,000 pathways a few draws collide.
        while True:
            case = new_case_id(self.rng)
            if self.load(Pathway.id_for(case), Pathway) is None:
                return case

    def _earlier_case(self, keys: list[str]) -> tuple[str, str] | None:
        case = self.first_holder(keys)
        return (case, self.pathway(case).state) if case else None

    def re_refer(
        self,
        case: str,
        readiness: str | None = None,
        justification: str | None = None,
        via: str | None = None,
        on: dt.date | None = None,
    ) -> Pathway:
        """A new episode in the same stream, after dropping out, withdrawing or a job that
        ended (R1 again); never after qualifying (R1: out of the target group)."""

        def command() -> tuple[Pathway, Sequence[EventSourced]]:
            p = self._recordable(case)
            when = self._on(on)
            if p.state == QUALIFIED:  # the workflow's own refusal (R0) would not say why
                require(rules.r13_effective_date(when, self.clock.today(), p.last_on), [rules.r1_already_qualified(p.case)])
            chosen_via = via or referral_channel(p.born, when)
            chosen_readiness = readiness or p.readiness
            chosen_justification = justification if readiness else (justification or p.justification)
            args = {"on": when, "readiness": chosen_readiness, "justification": chosen_justification, "via": chosen_via}
            target = self._check(p, "re_refer", when, args)
            self._add_event(
                p,
                PATHWAY.event("re_refer"),
                when,
                new_state=target,
                readiness=chosen_readiness,
                justification=_text(chosen_justification),
                via=chosen_via,
            )
            return p, [p]

        return self.run(command)

    def register_kui_contact(self, case: str, mentor: str, on: dt.date | None = None) -> Pathway:
        def command() -> tuple[Pathway, Sequence[EventSourced]]:
            p = self._recordable(case)
            when = self._on(on)
            require(
                self._inside_state(p, when),
                _kui_contact_violations(self.mentor(mentor)),
                rules.r1_kui_contact_under_25(p.born, when, p.case),
            )
            self._add_event(p, Pathway.KuiContactRegistered, when, kui_contact=mentor)
            return p, [p]

        return self.run(command)

    # --- the mentor (R2, R3, R4, R7) -----------------------------------------------

    def assign(
        self, case: str, mentor: str, reason: str | None = None, on: dt.date | None = None, seen: str | None = None
    ) -> Pathway:
        """Assign the mentor, or hand over to another one (always with a reason).

        A handover is from the mentor the coordinator saw (`seen`, or else whom the first
        attempt found): if someone changed the mentor in the meantime, it is refused rather
        than made from a mentor nobody chose to hand over from (R3)."""
        found_first: list[str | None] = [seen] if seen is not None else []

        def command() -> tuple[Pathway, Sequence[EventSourced]]:
            p = self._recordable(case)
            if not found_first:
                if not self.memory.recalled(p.id):  # what memory holds may be out of date
                    found_first.append(p.mentor)
            elif p.mentor != found_first[0]:
                raise Refused([Violation("R3", _changed_meanwhile(p, seen))])
            new = self.mentor(mentor)
            when = self._on(on)
            found = self._inside_state(p, when)
            if p.state == APPRENTICESHIP:
                found.append(Violation("R7", Text("mentoring of {case} ended when the apprenticeship was secured", case=p.case)))
            found += rules.r13_not_before(when, Text("mentor {mentor}", mentor=new.mentor), new.since)
            found += rules.r3_right_mentor(p, new, reason, when)
            if p.mentor != new.mentor:
                found += rules.r4_caseload_cap(new)
            require(found)
            return p, [p, *self._hand_to(p, new, _text(reason), when)]

        return self.run(command)

    def release(self, case: str, reason: str, on: dt.date | None = None) -> Pathway:
        """Release the mentor without a successor: only before bridging starts (R2, R7)."""

        def command() -> tuple[Pathway, Sequence[EventSourced]]:
            p = self._recordable(case)
            when = self._on(on)
            found = self._inside_state(p, when)
            if p.mentor is None:
                found.append(Violation("R2", Text("{case} has no mentor to release", case=p.case)))
            elif p.state in RETENTION_MENTOR_STATES:
                found += rules.r7_retention_mentor_stays(p)
            elif p.state != REFERRED:
                found.append(
                    Violation(
                        "R2",
                        Text(
                            "from bridging on {case} keeps exactly one mentor: hand over instead (brobyg assign {case} MENTOR --reason …)",
                            case=p.case,
                        ),
                    )
                )
            found += rules.r0_reason_given({"reason": reason}, Text("releasing the mentor"))
            require(found)
            return p, [p, *self._release_mentor(p, reason.strip(), when)]

        return self.run(command)

    def _hand_to(self, p: Pathway, new: Mentor, reason: str | None, on: dt.date) -> list[EventSourced]:
        self._add_event(new, Mentor.CaseTakenOn, on, case=p.case)
        if p.mentor is None:
            self._add_event(p, Pathway.MentorAssigned, on, mentor=new.mentor, reason=reason)
            return [new]
        old = self._holding_mentor(p)
        self._add_event(old, Mentor.CaseReleased, on, case=p.case)
        self._add_event(p, Pathway.MentorHandedOver, on, from_mentor=old.mentor, to_mentor=new.mentor, reason=reason)
        return [old, new]

    def _holding_mentor(self, p: Pathway) -> Mentor:
        """The pathway's mentor, read after the pathway: if it no longer holds the case,
        someone changed it in between, and the command runs again on fresh state."""
        assert p.mentor is not None
        mentor = self.mentor(p.mentor)
        if p.case not in mentor.cases:
            raise Stale(f"{p.case} and mentor {mentor.mentor} were read at different moments")
        return mentor

    def _release_mentor(self, p: Pathway, reason: str, on: dt.date) -> list[EventSourced]:
        if p.mentor is None:
            return []
        mentor = self._holding_mentor(p)
        self._add_event(mentor, Mentor.CaseReleased, on, case=p.case)
        self._add_event(p, Pathway.MentorReleased, on, mentor=mentor.mentor, reason=reason)
        return [mentor]

    # --- the workflow ----------------------------------------------------------------

    def start_bridging(self, case: str, school: str | None = None, on: dt.date | None = None) -> Pathway:
        return self._transition(case, "start_bridging", on, {}, school=_text(school))

    def start_placement(
        self,
        case: str,
        host: str,
        host_kind: str,
        contact: str,
        purpose: str,
        wish: str,
        on: dt.date | None = None,
    ) -> Pathway:
        fields = {"host": host, "host_kind": host_kind, "contact": contact, "purpose": purpose, "wish": wish}
        return self._transition(case, "start_placement", on, fields, **{k: v.strip() for k, v in fields.items()})

    def end_placement(self, case: str, follow_up: str, on: dt.date | None = None) -> Pathway:
        return self._transition(case, "end_placement", on, {"follow_up": follow_up}, follow_up=follow_up.strip())

    def start_basic_course(
        self,
        case: str,
        programme: str,
        mentor: str | None = None,
        reason: str | None = None,
        on: dt.date | None = None,
    ) -> Pathway:
        """Start education; the education mentor continues as retention mentor unless
        another takes over (a handover with a reason, R6)."""

        def command() -> tuple[Pathway, Sequence[EventSourced]]:
            p = self._recordable(case)
            when = self._on(on)
            successor = self.mentor(mentor) if mentor and mentor != p.mentor else None
            extra = (
                [
                    *rules.r4_caseload_cap(successor),
                    *rules.r13_not_before(when, Text("mentor {mentor}", mentor=successor.mentor), successor.since),
                ]
                if successor
                else []
            )
            args = {"on": when, "programme": programme, "mentor": mentor, "reason": reason}
            target = self._check(p, "start_basic_course", when, args, extra)
            self._add_event(p, PATHWAY.event("start_basic_course"), when, new_state=target, programme=programme.strip())
            changed: list[EventSourced] = [p]
            if successor:
                changed += self._hand_to(p, successor, _text(reason), when)
            return p, changed

        return self.run(command)

    def complete_basic_course(self, case: str, on: dt.date | None = None) -> Pathway:
        return self._transition(case, "complete_basic_course", on, {})

    def start_main_course(self, case: str, on: dt.date | None = None) -> Pathway:
        return self._transition(case, "start_main_course", on, {})

    def secure_apprenticeship(self, case: str, employer: str, starts: dt.date | None, on: dt.date | None = None) -> Pathway:
        return self._transition(
            case,
            "secure_apprenticeship",
            on,
            {"employer": employer, "starts": starts},
            employer=employer.strip(),
            starts=starts,
        )

    def qualify(self, case: str, on: dt.date | None = None) -> Pathway:
        return self._transition(case, "qualify", on, {})

    def employ(self, case: str, employer: str | None = None, on: dt.date | None = None) -> Pathway:
        return self._transition(case, "employ", on, {}, employer=_text(employer))

    def drop_out(self, case: str, reason: str, on: dt.date | None = None) -> Pathway:
        return self._transition(case, "drop_out", on, {"reason": reason}, reason=reason.strip())

    def withdraw(self, case: str, reason: str, on: dt.date | None = None) -> Pathway:
        return self._transition(case, "withdraw", on, {"reason": reason}, reason=reason.strip())

    def _transition(self, case: str, trigger: str, on: dt.date | None, args: dict[str, Any], **fields: Any) -> Pathway:
        """A trigger of the workflow, recorded by the event class the workflow names for it."""

        def command() -> tuple[Pathway, Sequence[EventSourced]]:
            p = self._recordable(case)
            when = self._on(on)
            target = self._check(p, trigger, when, {"on": when, **args})
            self._add_event(p, PATHWAY.event(trigger), when, new_state=target, **fields)
            changed: list[EventSourced] = [p]
            # R7: securing the apprenticeship, or any outcome, releases the mentor.
            if target == APPRENTICESHIP or target in OUTCOME_STATES:
                reason = "apprenticeship secured" if target == APPRENTICESHIP else f"pathway ended ({target})"
                changed += self._release_mentor(p, reason, when)
            return p, changed

        return self.run(command)

    def _check(self, p: Pathway, trigger: str, on: dt.date, args: dict[str, Any], extra: Sequence[Violation] = ()) -> str:
        """Every unmet rule for `trigger`, at once; or the target state."""
        check = PATHWAY.check(p, p.state, trigger, args)
        require(rules.r13_effective_date(on, self.clock.today(), p.last_on), check.violations, extra)
        assert check.target is not None
        return check.target

    def _inside_state(self, p: Pathway, on: dt.date, late: bool = False) -> list[Violation]:
        """What stands in the way of recording anything on this pathway today; `late`: a fact
        inside a state, which may be dated back to any day of the current episode (R13)."""
        if late:
            found = rules.r13_late_fact(on, self.clock.today(), min(p.entered.values(), default=p.last_on))
        else:
            found = rules.r13_effective_date(on, self.clock.today(), p.last_on)
        if p.state == QUALIFIED:
            found.append(
                Violation(
                    "R0",
                    Text("{case} has ended (qualified): nothing more is recorded on it (brobyg history {case})", case=p.case),
                )
            )
        elif p.state not in ACTIVE_STATES:
            found.append(
                Violation(
                    "R0",
                    Text(
                        "{case} has ended ({state}); re-refer it first (brobyg re-refer {case})",
                        case=p.case,
                        state=Term("state", p.state),
                    ),
                )
            )
        return found

    # --- facts inside a state --------------------------------------------------------

    def assess(self, case: str, subject: str, grade: int, on: dt.date | None = None) -> Pathway:
        if subject not in SUBJECTS:
            raise InvalidInput(Text("subject must be one of {subjects}", subjects=str(SUBJECTS)))
        if grade not in GRADES.values():
            raise InvalidInput(Text("{grade} is not a grade on the 7-point scale", grade=grade))
        return self._fact(case, on, Pathway.Assessed, subject=subject, grade=grade)

    def contact(self, case: str, channel: str = "meeting", on: dt.date | None = None) -> Pathway:
        def command() -> tuple[Pathway, Sequence[EventSourced]]:
            p = self._recordable(case)
            when = self._on(on)
            found = self._inside_state(p, when, late=True)
            if p.mentor is None and p.state in ACTIVE_STATES:  # every unmet rule, not just the first
                found.append(
                    Violation(
                        "R2", Text("{case} has no mentor to record a contact for (brobyg assign {case} MENTOR)", case=p.case)
                    )
                )
            require(found)
            self._add_event(p, Pathway.ContactRecorded, when, mentor=p.mentor, channel=channel)
            return p, [p]

        return self.run(command)

    def agree_cadence(self, case: str, days: int, on: dt.date | None = None) -> Pathway:
        """Record the contact cadence agreed with the young person for after education starts (R10)."""
        if not 1 <= days <= 90:
            raise InvalidInput(N_("a contact cadence is between 1 and 90 days"))

        def with_mentor(p: Pathway) -> list[Violation]:
            if p.mentor is None and p.state in ACTIVE_STATES:
                return [Violation("R10", Text("{case} has no mentor to agree a contact cadence with", case=p.case))]
            return []

        return self._fact(case, on, Pathway.CadenceAgreed, with_mentor, days=days)

    def request(self, case: str, text: str | None = None, on: dt.date | None = None) -> Pathway:
        return self._fact(case, on, Pathway.RequestRecorded, text=_text(text))

    def absence(self, case: str, days: int = 1, excused: bool = False, on: dt.date | None = None) -> Pathway:
        if days < 1:
            raise InvalidInput(N_("absence is at least one day"))

        def at_school(p: Pathway) -> list[Violation]:
            if p.state in ACTIVE_STATES and p.state not in (*SCHOOL_STATES, APPRENTICESHIP):
                return [
                    Violation(
                        "R11",
                        Text(
                            "absence counts school days; {case} is {state}, not at school or in training",
                            case=p.case,
                            state=Term("state", p.state),
                        ),
                    )
                ]
            return []

        return self._fact(case, on, Pathway.AbsenceRecorded, at_school, days=days, excused=excused)

    def _fact(self, case: str, on: dt.date | None, event: type, *checks: Any, **fields: Any) -> Pathway:
        def command() -> tuple[Pathway, Sequence[EventSourced]]:
            p = self._recordable(case)
            when = self._on(on)
            require(self._inside_state(p, when, late=True), *(check(p) for check in checks))
            self._add_event(p, event, when, **fields)
            return p, [p]

        return self.run(command)

    # --- corrections (R15) ------------------------------------------------------------

    def void(self, case: str, no: int, reason: str, on: dt.date | None = None) -> Pathway:
        """Void event number `no` of the case with a reason (R15): a fact recorded inside a
        state, or the pathway's latest transition, whose undo restores the state and the mentor
        arrangement from before it (caseloads included). The voided event stays in the history."""
        if not reason.strip():
            raise InvalidInput(N_("a void needs a reason (--reason)"))

        def command() -> tuple[Pathway, Sequence[EventSourced]]:
            p = self._recordable(case)
            when = self._on(on)
            event = next(iter(self.events.get(p.id, gt=no - 1, lte=no)), None) if 1 <= no <= p.version else None
            found = rules.r13_effective_date(when, self.clock.today(), None) + rules.r15_voidable(p, no, event)
            restored = p.before[no]["mentor"] if no in p.before and not found else p.mentor
            if restored is not None and restored != p.mentor:
                found += rules.r4_caseload_cap(self.mentor(restored))  # taking the case back counts (R4)
            require(found)
            self._add_event(p, Pathway.Voided, when, voided_no=no, reason=" ".join(reason.split()))
            return p, [p, *self._mentor_restored(p, restored, f"undo of #{no}", when)]

        return self.run(command)

    def _mentor_restored(self, p: Pathway, mentor: str | None, reason: str, on: dt.date) -> list[EventSourced]:
        """After an undo: the mentor the pathway had before the transition, on their caseload."""
        if mentor == p.mentor:
            return []
        if mentor is None:
            return self._release_mentor(p, reason, on)
        return self._hand_to(p, self.mentor(mentor), reason, on)

    # --- personal data (docs/domain.md, "Personal data, roles and retention") ------------

    def erase(self, case: str, reason: str, on: dt.date | None = None) -> Pathway:
        """Erase the person: record `PersonErased`, then destroy their data key and release their
        duplicate-referral claim, so every personal field reads as erased and they may be
        referred again as new. Running it again finishes an erasure that stopped half-way."""
        if not reason.strip():
            raise InvalidInput(N_("an erasure needs a reason (--reason)"))
        if self.only_for_mentor is not None:
            raise NotAllowed(
                Text("the login {login} (role mentor) may not erase a person's data; an admin does", login=self.login)
            )
        when = self._on(on)

        def command() -> tuple[tuple[Pathway, list[str]], Sequence[EventSourced]]:
            p = self.pathway(case)
            claims = self.erasure_claims(p)
            if p.erased:
                return (p, claims), []
            p.record(
                Pathway.PersonErased,
                max(when, p.last_on),
                self.actor,
                self.clock.recorded_at(when),
                login=self.login,
                reason=" ".join(reason.split()),
            )
            return (p, claims), [p]

        p, claims = self.run(command)
        self.recorder.release(claims)  # type: ignore[attr-defined]
        self.personal.forget(p.id)
        self.memory.forget(p.id)
        return p

    def erasure_claims(self, p: Pathway) -> list[str]:
        """The claims an erasure deletes: the person's data key and every duplicate-referral key
        their case holds (found by holder, so also one keyed the way an older version did)."""
        return [self.personal.data_key_claim(p.id), *self.recorder.held_by(p.case, PERSON_PREFIX)]  # type: ignore[attr-defined]

    def kept_in_clear(self, case: str) -> bool:
        """Whether the case has personal fields stored in clear (by a version before encryption):
        an erasure cannot reach those."""
        return self.holds_personal_in_clear(self.pathway(case).id)


@functools.lru_cache(maxsize=65_536)
def _case_stream(case: str) -> Any:
    key = normalise_case_id(case)
    return Pathway.id_for(key) if is_case_id(key) else None


def _kui_contact_violations(mentor: Mentor) -> list[Violation]:
    if mentor.kind != KUI:
        return [Violation("R3", Text("{mentor} is a LAB mentor, not a KUI contact person", mentor=mentor.mentor))]
    return []


def _changed_meanwhile(p: Pathway, seen: str | None) -> Text:
    """R3: the pathway's mentor is not the one the coordinator saw, or changed while they looked."""
    if seen is not None:  # what the coordinator said they saw
        if p.mentor_by:
            message = Text(
                "{case}'s mentor is {mentor} (changed by {by}), not {seen}",
                case=p.case,
                mentor=p.mentor or Text("nobody"),
                by=p.mentor_by,
                seen=seen,
            )
        else:
            message = Text(
                "{case}'s mentor is {mentor} (changed), not {seen}", case=p.case, mentor=p.mentor or Text("nobody"), seen=seen
            )
    elif p.mentor:
        message = (
            Text("{case} was handed to {mentor} at the same moment by {by}", case=p.case, mentor=p.mentor, by=p.mentor_by)
            if p.mentor_by
            else Text("{case} was handed to {mentor} at the same moment", case=p.case, mentor=p.mentor)
        )
    else:
        message = (
            Text("{case} was released from its mentor at the same moment by {by}", case=p.case, by=p.mentor_by)
            if p.mentor_by
            else Text("{case} was released from its mentor at the same moment", case=p.case)
        )
    return Text("{message}; look again (brobyg show {case})", message=message, case=p.case)


def _text(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None
