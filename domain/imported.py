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


def implausible(before: Any, event: Any) -> str | None:
    """What is wrong with `event` following the aggregate `before` (None for a creation event)."""
    if isinstance(event, Pathway.Referred):
        return _referral(event)
    if isinstance(event, Mentor.Added):
        if event.originator_id != Mentor.id_for(event.mentor):
            return f"mentor {event.mentor!r} is stored under another stream than its own"
        if event.kind not in MENTOR_KINDS or event.capacity < 1:
            return f"mentor {event.mentor!r}: kind {event.kind!r}, capacity {event.capacity}"
    if isinstance(event, Partnership.Added):
        if event.originator_id != Partnership.id_for(event.partnership):
            return f"partnership {event.partnership!r} is stored under another stream than its own"
        if event.places < 1:
            return f"partnership {event.partnership!r} commits {event.places} places"
    if isinstance(event, Pathway.Assessed) and (event.subject not in SUBJECTS or event.grade not in GRADES.values()):
        return f"a grade {event.grade} in {event.subject!r} is not on the 7-point scale in Danish or maths"
    if isinstance(event, Pathway.ContactRecorded) and event.channel not in CONTACT_CHANNELS:
        return f"a contact by {event.channel!r}"
    if isinstance(event, Pathway.AbsenceRecorded) and not 1 <= event.days <= 200:
        return f"an absence of {event.days} days"
    if isinstance(event, Pathway.Transitioned) and before is not None and event.on < before.last_on:
        return f"{before.case}: {type(event).__name__} dated {event.on}, before the pathway's {before.last_on} (R13)"
    if isinstance(event, Pathway.Transitioned) and before is not None:
        dest = PATHWAY.dest_of(type(event), before.state)
        if dest is None or dest != event.new_state:
            return f"{before.case}: {type(event).__name__} to {event.new_state} cannot follow {before.state} (R9)"
    return None


def _referral(event: Pathway.Referred) -> str | None:
    if event.new_state != PATHWAY.dest_of(Pathway.Referred, PATHWAY.initial):
        return f"a referral to {event.new_state} (R9)"
    if not is_case_id(event.case) or event.originator_id != Pathway.id_for(event.case):
        return f"case {event.case!r} is not a case id, or is stored under another stream than its own"
    if event.born is None:  # erased: nothing personal left to check
        return None
    age = age_on(event.born, event.on)
    if not AGE_MIN <= age <= AGE_MAX:
        return f"{event.case}: {age} years old on the referral date {event.on} (R1: {AGE_MIN}–{AGE_MAX})"
    if event.readiness not in READINESS or event.via not in REFERRAL_CHANNELS:
        return f"{event.case}: readiness {event.readiness!r} via {event.via!r} (R1)"
    if not event.person.strip():
        return f"{event.case}: no person reference"
    return None


def implausible_log(claims: dict[str, str], aggregates: list[Any], person_secret: bytes | None) -> str | None:
    """What is wrong across streams: every claim is held by a pathway of the file; a pathway's
    mentor holds it on their caseload and a mentor's caseload holds only pathways they mentor
    (R2, R4); KUI contacts and partnerships named are in the file."""
    pathways = {a.case: a for a in aggregates if isinstance(a, Pathway)}
    mentors = {a.mentor: a for a in aggregates if isinstance(a, Mentor)}
    partnerships = {a.partnership for a in aggregates if isinstance(a, Partnership)}
    for p in pathways.values():
        if p.born is None and not p.erased:
            return f"{p.case}: its data key is missing (its personal data cannot be read), though it was never erased"
    expected = {person_key(p.person, p.born, person_secret): p.case for p in pathways.values() if p.born is not None}
    for key, holder in claims.items():
        if (key, holder) == SIMULATED:
            continue
        if holder not in pathways:
            return f"the claim {key} is held by {holder!r}, which is no case in the file"
        if expected.get(key) != holder:
            return f"the claim {key} is not {holder}'s person key"
    for key, case in expected.items():
        if claims.get(key) != case and not pathways[case].erased:
            return f"{case}: its person claim is missing (the duplicate-referral check would not find them)"
    for p in pathways.values():
        for role, mentor in (("mentor", p.mentor), ("KUI contact", p.kui_contact)):
            if mentor is not None and mentor not in mentors:
                return f"{p.case}: its {role} {mentor!r} is no mentor in the file"
        if p.mentor is not None and p.case not in mentors[p.mentor].cases:
            return f"{p.case}: mentor {p.mentor} does not hold it on their caseload (R2)"
        if p.partnership is not None and p.partnership not in partnerships:
            return f"{p.case}: its partnership {p.partnership!r} is not in the file"
    for m in mentors.values():
        for case in m.cases:
            if case not in pathways or pathways[case].mentor != m.mentor:
                return f"mentor {m.mentor} holds {case} on their caseload, which they do not mentor (R2)"
    return None


def rekeyed_claims(claims: dict[str, str], aggregates: list[Any], person_secret: bytes) -> dict[str, str]:
    """The claims with every person claim keyed by `person_secret` (this store's): a file from
    another store, or from before encryption, keyed them otherwise."""
    kept = {key: holder for key, holder in claims.items() if not key.startswith(PERSON_PREFIX)}
    for p in aggregates:
        if isinstance(p, Pathway) and p.born is not None:
            kept[person_key(p.person, p.born, person_secret)] = p.case
    return kept
