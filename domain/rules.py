"""The guide's rules, one small function per rule id.

Each returns the violations it finds: the rule id and a sentence a coordinator
understands, naming what is missing. A rule checks only the arguments it is given, so
the same function answers "may this happen?" for a command (all arguments) and for a
preview (`next`: only what the pathway itself decides).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from brobyg.domain.mentor import Mentor
from brobyg.domain.pathway import Pathway
from brobyg.domain.terms import (
    ACTIVE_STATES,
    ACTIVITY_READY,
    ADMISSION_GRADE,
    AGE_MAX,
    AGE_MIN,
    APPRENTICESHIP,
    HOST_KINDS,
    KUI,
    KUI_AGE_LIMIT,
    LAB,
    PLACEMENT_PURPOSES,
    QUALIFIED,
    READINESS,
    REFERRAL_CHANNELS,
    REFERRED,
    SUBJECTS,
    age_on,
    grade_text,
)
from brobyg.engine.rules import Violation

Args = Mapping[str, Any]
Found = list[Violation]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def r0_reason_given(args: Args, what: str) -> Found:
    """R0 (the workflow table): dropping out and withdrawing need a reason."""
    if "reason" in args and _blank(args["reason"]):
        return [Violation("R0", f"{what} needs a reason (--reason)")]
    return []


def r1_eligibility(args: Args) -> Found:
    """R1 Eligibility: age 18–29 on the referral date; readiness; KUI refers under-25s;
    and one active pathway per person."""
    found: Found = []
    on: dt.date = args["on"]
    if "born" in args:
        age = age_on(args["born"], on)
        if not AGE_MIN <= age <= AGE_MAX:
            found.append(Violation("R1", f"the young person is {age} on {on}; bridging is for ages {AGE_MIN}–{AGE_MAX}"))
        if "via" in args and age < KUI_AGE_LIMIT and args["via"] != KUI:
            found.append(
                Violation("R1", f"the young person is {age}: under {KUI_AGE_LIMIT} the referral comes through KUI (--via kui)")
            )
        elif "via" in args and age >= KUI_AGE_LIMIT and args["via"] == KUI:
            found.append(
                Violation(
                    "R1",
                    f"the young person is {age}: from {KUI_AGE_LIMIT} the referral comes through the jobcentre (--via jobcentre)",
                )
            )
    if "via" in args and args["via"] not in REFERRAL_CHANNELS:
        found.append(Violation("R1", f"unknown referral channel {args['via']!r} (kui or jobcentre)"))
    if "readiness" in args:
        if args["readiness"] not in READINESS:
            found.append(Violation("R1", f"readiness must be one of {', '.join(READINESS)}"))
        elif args["readiness"] == ACTIVITY_READY and _blank(args.get("justification")):
            found.append(
                Violation(
                    "R1", "activity-ready needs a written justification that the person is among the strongest (--justification)"
                )
            )
    earlier = args.get("earlier_case")
    if earlier:
        case, state = earlier
        if state in ACTIVE_STATES:
            found.append(Violation("R1", f"this person already has an active pathway (case {case})"))
        elif state == QUALIFIED:
            found.append(r1_already_qualified(case))
        else:
            found.append(
                Violation("R1", f"this person already has a pathway (case {case}, {state}): re-refer it (brobyg re-refer {case})")
            )
    return found


def r1_already_qualified(case: str) -> Violation:
    """R1: a qualified skilled worker is out of the target group; the pathway stays ended."""
    return Violation(
        "R1",
        f"this person already qualified (case {case}): a qualified skilled worker is out of the target group "
        f"for bridging (brobyg show {case})",
    )


def r1_kui_contact_under_25(born: dt.date, on: dt.date, case: str | None = None) -> Found:
    """R1/R3: a KUI contact person is for under-25s; from 25 the mentor is a LAB mentor."""
    age = age_on(born, on)
    if age < KUI_AGE_LIMIT:
        return []
    hint = f"brobyg assign {case} MENTOR" if case else "refer without --kui-contact, then brobyg assign CASE MENTOR"
    return [
        Violation(
            "R1",
            f"the young person is {age}: a KUI contact person is for under-{KUI_AGE_LIMIT}s; "
            f"from {KUI_AGE_LIMIT} a LAB mentor takes the case ({hint})",
        )
    ]


def r2_mentor_before_bridging(p: Pathway, args: Args) -> Found:
    """R2 One primary contact: bridging cannot start without an education mentor."""
    if p.mentor is None:
        return [Violation("R2", f"bridging cannot start without an education mentor (brobyg assign {p.case} MENTOR)")]
    return []


def r3_right_mentor(p: Pathway, mentor: Mentor, reason: str | None, on: dt.date) -> Found:
    """R3 The right mentor: the KUI contact for under-25s who have one, otherwise a LAB
    mentor; anyone else needs a reason. Any change of mentor is a handover with a reason."""
    if p.mentor == mentor.mentor:
        return [Violation("R3", f"{mentor.mentor} is already the mentor of {p.case}")]
    if p.mentor is not None:
        if _blank(reason):
            return [Violation("R3", f"handing {p.case} over from {p.mentor} to {mentor.mentor} needs a reason (--reason)")]
        return []
    if not _blank(reason):
        return []
    if p.kui_contact and age_on(p.born, on) < KUI_AGE_LIMIT:
        if mentor.mentor != p.kui_contact:
            return [
                Violation(
                    "R3",
                    f"the KUI contact {p.kui_contact} is the expected mentor; assigning {mentor.mentor} needs a reason (--reason)",
                )
            ]
    elif mentor.kind != LAB:
        return [
            Violation(
                "R3",
                f"without a KUI contact under 25 the mentor is a LAB mentor; {mentor.mentor} is a KUI contact, so give a reason (--reason)",
            )
        ]
    return []


def r4_caseload_cap(mentor: Mentor) -> Found:
    """R4 Caseload cap: a mentor takes no more active pathways than their capacity."""
    if mentor.load >= mentor.capacity:
        return [Violation("R4", f"mentor {mentor.mentor} is at capacity ({mentor.load} of {mentor.capacity} active pathways)")]
    return []


def r5_placement_planned(p: Pathway, args: Args) -> Found:
    """R5 Taster placements: host, its kind, a named contact person, the purpose and the
    young person's own wish."""
    missing = [
        label
        for key, label in (
            ("host", "the host (--host)"),
            ("contact", "a named contact person at the host (--contact)"),
            ("wish", "the young person's own wish (--wish)"),
        )
        if key in args and _blank(args[key])
    ]
    if "host_kind" in args and args["host_kind"] not in HOST_KINDS:
        missing.append("the host's kind, school or company (--host-kind)")
    if "purpose" in args and args["purpose"] not in PLACEMENT_PURPOSES:
        missing.append("the purpose: clarify, pressure-test or experience (--purpose)")
    if missing:
        return [Violation("R5", "a taster placement needs " + ", ".join(missing))]
    return []


def r5_placement_followed_up(p: Pathway, args: Args) -> Found:
    """R5: ending a taster placement needs a follow-up note."""
    if "follow_up" in args and _blank(args["follow_up"]):
        return [Violation("R5", "ending a taster placement needs a follow-up note (--follow-up)")]
    return []


def r6_ready_for_education(p: Pathway, args: Args) -> Found:
    """R6 Starting education: the chosen programme, the admission requirements (a recorded
    grade of at least 02 in Danish and in maths), and a retention mentor."""
    found: Found = []
    if "programme" in args and _blank(args["programme"]):
        found.append(Violation("R6", "starting the basic course needs the chosen programme (--programme)"))
    unmet = admission_unmet(p.grades)
    if unmet:
        found.append(
            Violation("R6", f"admission requirements not met ({'; '.join(unmet)}; needs {grade_text(ADMISSION_GRADE)} or better)")
        )
    if p.mentor is None:
        found.append(Violation("R6", "starting the basic course needs a retention mentor"))
    new_mentor = args.get("mentor")
    if new_mentor and new_mentor != p.mentor and _blank(args.get("reason")):
        found.append(
            Violation(
                "R6",
                f"the education mentor {p.mentor} continues as retention mentor; handing over to {new_mentor} needs a reason (--reason)",
            )
        )
    return found


def admission_unmet(grades: Mapping[str, int]) -> list[str]:
    """R6's admission requirements (adgangskrav): what is missing of a grade of at least 02 in
    Danish and in maths, given the valid grades (`valid_grades`). `next`, `show` and the read
    models (`risk`) ask the same question through this function."""
    unmet = []
    for subject in SUBJECTS:
        grade = grades.get(subject)
        if grade is None:
            unmet.append(f"no grade in {subject}")
        elif grade < ADMISSION_GRADE:
            unmet.append(f"{subject} is {grade_text(grade)}")
    return unmet


def r7_retention_mentor_stays(p: Pathway) -> Found:
    """R7 Retention: the mentor stays until an apprenticeship is secured."""
    return [
        Violation(
            "R7", f"the retention mentor {p.mentor} stays with {p.case} until an apprenticeship is secured or the pathway ends"
        )
    ]


def r9_apprenticeship_agreed(p: Pathway, args: Args) -> Found:
    """R9 Apprenticeship: the employer and the agreement's start date."""
    missing = []
    if "employer" in args and _blank(args["employer"]):
        missing.append("the employer (--employer)")
    if "starts" in args and args["starts"] is None:
        missing.append("the agreement's start date (--starts)")
    elif "starts" in args and args["starts"] < p.entered.get(REFERRED, args["starts"]):
        return [Violation("R9", f"the agreement cannot start ({args['starts']}) before the referral ({p.entered[REFERRED]})")]
    if missing:
        return [Violation("R9", "securing an apprenticeship needs " + " and ".join(missing))]
    return []


def r9_qualified_after_start(p: Pathway, args: Args) -> Found:
    """R9: qualifying from an apprenticeship cannot be dated before the agreement's start."""
    starts = p.apprenticeship_starts if p.state == APPRENTICESHIP else None
    on = args.get("on")
    if starts is None or on is None or on >= starts:
        return []
    return [
        Violation(
            "R9",
            f"the apprenticeship at {p.employer} starts {starts}: qualifying cannot be dated before it "
            f"(brobyg qualify {p.case} --on {starts}, once that day has come)",
        )
    ]


# The facts recorded inside a state that a void may take back (R15).
VOIDABLE_FACTS = (
    Pathway.ContactRecorded,
    Pathway.RequestRecorded,
    Pathway.AbsenceRecorded,
    Pathway.Assessed,
    Pathway.CadenceAgreed,
    Pathway.KuiContactRegistered,
)


def r15_voidable(p: Pathway, no: int, event: Any) -> Found:
    """R15 Corrections: a fact recorded inside a state of an active pathway, or the pathway's
    latest transition (not the referral), may be voided, once."""
    undo = f"brobyg history {p.case} shows each event's number"
    if event is None:
        return [Violation("R15", f"{p.case} has no event #{no} (it has {p.version}; {undo})")]
    if no in p.voided:
        by, at, _ = p.voided[no]
        return [Violation("R15", f"#{no} of {p.case} was voided already, by {by} on {at.date()}")]
    latest = max(p.before, default=None)
    if isinstance(event, Pathway.Transitioned):
        if isinstance(event, Pathway.Referred):
            return [
                Violation(
                    "R15",
                    f"the referral of {p.case} cannot be undone; withdraw the pathway instead (brobyg withdraw {p.case} --reason …)",
                )
            ]
        if no != latest:
            return [
                Violation("R15", f"#{no} of {p.case} is not its latest transition (#{latest} is); only the latest can be undone")
            ]
        return []
    if not isinstance(event, VOIDABLE_FACTS):
        return [
            Violation(
                "R15",
                f"#{no} of {p.case} ({type(event).__name__}) cannot be voided: a mentor change is corrected by another (brobyg assign)",
            )
        ]
    if p.state not in ACTIVE_STATES:
        return [Violation("R15", f"{p.case} has ended ({p.state}): only its latest transition (#{latest}) can be undone")]
    return []


def r13_effective_date(on: dt.date, today: dt.date, last_on: dt.date | None) -> Found:
    """R13 Time: no effective date lies in the future, and within a pathway they never go backwards."""
    found: Found = []
    if on > today:
        found.append(Violation("R13", f"the date {on} lies in the future (today is {today})"))
    if last_on is not None and on < last_on:
        found.append(Violation("R13", f"the date {on} is before the pathway's last recorded event ({last_on})"))
    return found


def r13_late_fact(on: dt.date, today: dt.date, episode_started: dt.date) -> Found:
    """R13 Time, for a fact inside a state (contact, request, absence, assessment, cadence): it
    may be recorded late, dated back to any day of the current episode, never in the future."""
    found: Found = []
    if on > today:
        found.append(Violation("R13", f"the date {on} lies in the future (today is {today})"))
    if on < episode_started:
        found.append(Violation("R13", f"the date {on} is before this episode began ({episode_started})"))
    return found


def r13_not_before(on: dt.date, what: str, since: dt.date) -> Found:
    """R13: nothing happens with a mentor or a partnership before it was recorded."""
    if on < since:
        return [Violation("R13", f"the date {on} is before {what} was recorded ({since})")]
    return []
