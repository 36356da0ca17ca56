"""What an event read from a file must satisfy beyond its shape: the facts the rules guaranteed
when it was first recorded, which a replay never re-checks (an import must not bring in a
pathway no command could have made)."""

from __future__ import annotations

from typing import Any

from brobyg.domain.case_ids import PERSON_PREFIX, is_case_id, person_key
from brobyg.domain.mentor import Mentor
from brobyg.domain.partnership import Partnership
from brobyg.domain.pathway import Pathway
from brobyg.domain.terms import (
    AGE_MAX,
    AGE_MIN,
    CONTACT_CHANNELS,
    GRADES,
    MENTOR_KINDS,
    READINESS,
    REFERRAL_CHANNELS,
    SUBJECTS,
    age_on,
)
from brobyg.domain.workflow import PATHWAY
from brobyg.engine.application import SIMULATED
from brobyg.engine.text import Term, Text


def implausible(before: Any, event: Any) -> Text | None:
    """What is wrong with `event` following the aggregate `before` (None for a creation event)."""
    if isinstance(event, Pathway.Referred):
        return _referral(event)
    if isinstance(event, Mentor.Added):
        if event.originator_id != Mentor.id_for(event.mentor):
            return Text("mentor {mentor!r} is stored under another stream than its own", mentor=event.mentor)
        if event.kind not in MENTOR_KINDS or event.capacity < 1:
            return Text(
                "mentor {mentor!r}: kind {kind!r}, capacity {capacity}",
                mentor=event.mentor,
                kind=event.kind,
                capacity=event.capacity,
            )
    if isinstance(event, Partnership.Added):
        if event.originator_id != Partnership.id_for(event.partnership):
            return Text("partnership {partnership!r} is stored under another stream than its own", partnership=event.partnership)
        if event.places < 1:
            return Text("partnership {partnership!r} commits {places} places", partnership=event.partnership, places=event.places)
    if isinstance(event, Pathway.Assessed) and (event.subject not in SUBJECTS or event.grade not in GRADES.values()):
        return Text(
            "a grade {grade} in {subject!r} is not on the 7-point scale in Danish or maths",
            grade=event.grade,
            subject=event.subject,
        )
    if isinstance(event, Pathway.ContactRecorded) and event.channel not in CONTACT_CHANNELS:
        return Text("a contact by {channel!r}", channel=event.channel)
    if isinstance(event, Pathway.AbsenceRecorded) and not 1 <= event.days <= 200:
        return Text("an absence of {days} days", days=event.days)
    if isinstance(event, Pathway.Transitioned) and before is not None and event.on < before.last_on:
        return Text(
            "{case}: {event} dated {on}, before the pathway's {last_on} (R13)",
            case=before.case,
            event=Term("event", type(event).__name__),
            on=event.on,
            last_on=before.last_on,
        )
    if isinstance(event, Pathway.Transitioned) and before is not None:
        dest = PATHWAY.dest_of(type(event), before.state)
        if dest is None or dest != event.new_state:
            return Text(
                "{case}: {event} to {state} cannot follow {before} (R9)",
                case=before.case,
                event=Term("event", type(event).__name__),
                state=Term("state", event.new_state),
                before=Term("state", before.state),
            )
    return None


def _referral(event: Pathway.Referred) -> Text | None:
    if event.new_state != PATHWAY.dest_of(Pathway.Referred, PATHWAY.initial):
        return Text("a referral to {state} (R9)", state=Term("state", event.new_state))
    if not is_case_id(event.case) or event.originator_id != Pathway.id_for(event.case):
        return Text("case {case!r} is not a case id, or is stored under another stream than its own", case=event.case)
    if event.born is None:  # erased: nothing personal left to check
        return None
    age = age_on(event.born, event.on)
    if not AGE_MIN <= age <= AGE_MAX:
        return Text(
            "{case}: {age} years old on the referral date {on} (R1: {low}–{high})",
            case=event.case,
            age=age,
            on=event.on,
            low=AGE_MIN,
            high=AGE_MAX,
        )
    if event.readiness not in READINESS or event.via not in REFERRAL_CHANNELS:
        return Text("{case}: readiness {readiness!r} via {via!r} (R1)", case=event.case, readiness=event.readiness, via=event.via)
    if not event.person.strip():
        return Text("{case}: no person reference", case=event.case)
    return None


def implausible_log(claims: dict[str, str], aggregates: list[Any], person_secret: bytes | None) -> Text | None:
    """What is wrong across streams: every claim is held by a pathway of the file; a pathway's
    mentor holds it on their caseload and a mentor's caseload holds only pathways they mentor
    (R2, R4); KUI contacts and partnerships named are in the file."""
    pathways = {a.case: a for a in aggregates if isinstance(a, Pathway)}
    mentors = {a.mentor: a for a in aggregates if isinstance(a, Mentor)}
    partnerships = {a.partnership for a in aggregates if isinstance(a, Partnership)}
    for p in pathways.values():
        if p.born is None and not p.erased:
            return Text(
                "{case}: its data key is missing (its personal data cannot be read), though it was never erased", case=p.case
            )
    expected = {person_key(p.person, p.born, person_secret): p.case for p in pathways.values() if p.born is not None}
    for key, holder in claims.items():
        if (key, holder) == SIMULATED:
            continue
        if holder not in pathways:
            return Text("the claim {key} is held by {holder!r}, which is no case in the file", key=key, holder=holder)
        if expected.get(key) != holder:
            return Text("the claim {key} is not {holder}'s person key", key=key, holder=holder)
    for key, case in expected.items():
        if claims.get(key) != case and not pathways[case].erased:
            return Text("{case}: its person claim is missing (the duplicate-referral check would not find them)", case=case)
    for p in pathways.values():
        if p.mentor is not None and p.mentor not in mentors:
            return Text("{case}: its mentor {mentor!r} is no mentor in the file", case=p.case, mentor=p.mentor)
        if p.kui_contact is not None and p.kui_contact not in mentors:
            return Text("{case}: its KUI contact {mentor!r} is no mentor in the file", case=p.case, mentor=p.kui_contact)
        if p.mentor is not None and p.case not in mentors[p.mentor].cases:
            return Text("{case}: mentor {mentor} does not hold it on their caseload (R2)", case=p.case, mentor=p.mentor)
        if p.partnership is not None and p.partnership not in partnerships:
            return Text("{case}: its partnership {partnership!r} is not in the file", case=p.case, partnership=p.partnership)
    for m in mentors.values():
        for case in m.cases:
            if case not in pathways or pathways[case].mentor != m.mentor:
                return Text(
                    "mentor {mentor} holds {case} on their caseload, which they do not mentor (R2)", mentor=m.mentor, case=case
                )
    return None


def rekeyed_claims(claims: dict[str, str], aggregates: list[Any], person_secret: bytes) -> dict[str, str]:
    """The claims with every person claim keyed by `person_secret` (this store's): a file from
    another store, or from before encryption, keyed them otherwise."""
    kept = {key: holder for key, holder in claims.items() if not key.startswith(PERSON_PREFIX)}
    for p in aggregates:
        if isinstance(p, Pathway) and p.born is not None:
            kept[person_key(p.person, p.born, person_secret)] = p.case
    return kept
