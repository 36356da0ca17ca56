"""The guide's rules, one small function per rule id.

Each returns the violations it finds: the rule id and a sentence a coordinator
understands, naming what is missing. A rule checks only the arguments it is given, so
the same function answers "may this happen?" for a command (all arguments) and for a
preview (`next`: only what the pathway itself decides).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

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
from brobyg.engine.text import Term, Text

if TYPE_CHECKING:  # the read models ask R6 of a timeline, and need no aggregate for it
    from brobyg.domain.mentor import Mentor
    from brobyg.domain.pathway import Pathway

Args = Mapping[str, Any]
Found = list[Violation]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def r0_reason_given(args: Args, what: Text) -> Found:
    """R0 (the workflow table): dropping out and withdrawing need a reason."""
    if "reason" in args and _blank(args["reason"]):
        return [Violation("R0", Text("{what} needs a reason (--reason)", what=what))]
    return []


def r1_eligibility(args: Args) -> Found:
    """R1 Eligibility: age 18–29 on the referral date; readiness; KUI refers under-25s;
    and one active pathway per person."""
    found: Found = []
    on: dt.date = args["on"]
    if "born" in args:
        age = age_on(args["born"], on)
        if not AGE_MIN <= age <= AGE_MAX:
            found.append(
                Violation(
                    "R1",
                    Text(
                        "the young person is {age} on {on}; bridging is for ages {low}–{high}",
                        age=age,
                        on=on,
                        low=AGE_MIN,
                        high=AGE_MAX,
                    ),
                )
            )
        if "via" in args and age < KUI_AGE_LIMIT and args["via"] != KUI:
            found.append(
                Violation(
                    "R1",
                    Text(
                        "the young person is {age}: under {limit} the referral comes through KUI (--via kui)",
                        age=age,
                        limit=KUI_AGE_LIMIT,
                    ),
                )
            )
        elif "via" in args and age >= KUI_AGE_LIMIT and args["via"] == KUI:
            found.append(
                Violation(
                    "R1",
                    Text(
                        "the young person is {age}: from {limit} the referral comes through the jobcentre (--via jobcentre)",
                        age=age,
                        limit=KUI_AGE_LIMIT,
                    ),
                )
            )
    if "via" in args and args["via"] not in REFERRAL_CHANNELS:
        found.append(Violation("R1", Text("unknown referral channel {via!r} (kui or jobcentre)", via=args["via"])))
    if "readiness" in args:
        if args["readiness"] not in READINESS:
            found.append(Violation("R1", Text("readiness must be one of {choices}", choices=list(READINESS))))
        elif args["readiness"] == ACTIVITY_READY and _blank(args.get("justification")):
            found.append(
                Violation(
                    "R1",
                    Text("activity-ready needs a written justification that the person is among the strongest (--justification)"),
                )
            )
    earlier = args.get("earlier_case")
    if earlier:
        case, state = earlier
        if state in ACTIVE_STATES:
            found.append(Violation("R1", Text("this person already has an active pathway (case {case})", case=case)))
        elif state == QUALIFIED:
            found.append(r1_already_qualified(case))
        else:
            found.append(
                Violation(
                    "R1",
                    Text(
                        "this person already has a pathway (case {case}, {state}): re-refer it (brobyg re-refer {case})",
                        case=case,
                        state=Term("state", state),
                    ),
                )
            )
    return found


def r1_already_qualified(case: str) -> Violation:
    """R1: a qualified skilled worker is out of the target group; the pathway stays ended."""
    return Violation(
        "R1",
        Text(
            "this person already qualified (case {case}): a qualified skilled worker is out of the target group "
            "for bridging (brobyg show {case})",
            case=case,
        ),
    )


def r1_kui_contact_under_25(born: dt.date, on: dt.date, case: str | None = None) -> Found:
    """R1/R3: a KUI contact person is for under-25s; from 25 the mentor is a LAB mentor."""
    age = age_on(born, on)
    if age < KUI_AGE_LIMIT:
        return []
    hint = (
        Text("brobyg assign {case} MENTOR", case=case)
        if case
        else Text("refer without --kui-contact, then brobyg assign CASE MENTOR")
    )
    return [
        Violation(
            "R1",
            Text(
                "the young person is {age}: a KUI contact person is for under-{limit}s; "
                "from {limit} a LAB mentor takes the case ({hint})",
                age=age,
                limit=KUI_AGE_LIMIT,
                hint=hint,
            ),
        )
    ]


def r2_mentor_before_bridging(p: Pathway, args: Args) -> Found:
    """R2 One primary contact: bridging cannot start without an education mentor."""
    if p.mentor is None:
        return [
            Violation("R2", Text("bridging cannot start without an education mentor (brobyg assign {case} MENTOR)", case=p.case))
        ]
    return []


def r3_right_mentor(p: Pathway, mentor: Mentor, reason: str | None, on: dt.date) -> Found:
    """R3 The right mentor: the KUI contact for under-25s who have one, otherwise a LAB
    mentor; anyone else needs a reason. Any change of mentor is a handover with a reason."""
    if p.mentor == mentor.mentor:
        return [Violation("R3", Text("{mentor} is already the mentor of {case}", mentor=mentor.mentor, case=p.case))]
    if p.mentor is not None:
        if _blank(reason):
            return [
                Violation(
                    "R3",
                    Text(
                        "handing {case} over from {old} to {new} needs a reason (--reason)",
                        case=p.case,
                        old=p.mentor,
                        new=mentor.mentor,
                    ),
                )
            ]
        return []
    if not _blank(reason):
        return []
    if p.kui_contact and age_on(p.born, on) < KUI_AGE_LIMIT:
        if mentor.mentor != p.kui_contact:
            return [
                Violation(
                    "R3",
                    Text(
                        "the KUI contact {kui_contact} is the expected mentor; assigning {mentor} needs a reason (--reason)",
                        kui_contact=p.kui_contact,
                        mentor=mentor.mentor,
                    ),
                )
            ]
    elif mentor.kind != LAB:
        return [
            Violation(
                "R3",
                Text(
                    "without a KUI contact under 25 the mentor is a LAB mentor; {mentor} is a KUI contact, so give a reason (--reason)",
                    mentor=mentor.mentor,
                ),
            )
        ]
    return []


def r4_caseload_cap(mentor: Mentor) -> Found:
    """R4 Caseload cap: a mentor takes no more active pathways than their capacity."""
    if mentor.load >= mentor.capacity:
        return [
            Violation(
                "R4",
                Text(
                    "mentor {mentor} is at capacity ({load} of {capacity} active pathways)",
                    mentor=mentor.mentor,
                    load=mentor.load,
                    capacity=mentor.capacity,
                ),
            )
        ]
    return []


def r5_placement_planned(p: Pathway, args: Args) -> Found:
    """R5 Taster placements: host, its kind, a named contact person, the purpose and the
    young person's own wish."""
    missing = [
        label
        for key, label in (
            ("host", Text("the host (--host)")),
            ("contact", Text("a named contact person at the host (--contact)")),
            ("wish", Text("the young person's own wish (--wish)")),
        )
        if key in args and _blank(args[key])
    ]
    if "host_kind" in args and args["host_kind"] not in HOST_KINDS:
        missing.append(Text("the host's kind, school or company (--host-kind)"))
    if "purpose" in args and args["purpose"] not in PLACEMENT_PURPOSES:
        missing.append(Text("the purpose: clarify, pressure-test or experience (--purpose)"))
    if missing:
        return [Violation("R5", Text("a taster placement needs {missing}", missing=missing))]
    return []


def r5_placement_followed_up(p: Pathway, args: Args) -> Found:
    """R5: ending a taster placement needs a follow-up note."""
    if "follow_up" in args and _blank(args["follow_up"]):
        return [Violation("R5", Text("ending a taster placement needs a follow-up note (--follow-up)"))]
    return []


def r6_ready_for_education(p: Pathway, args: Args) -> Found:
    """R6 Starting education: the chosen programme, the admission requirements (a recorded
    grade of at least 02 in Danish and in maths), and a retention mentor."""
    found: Found = []
    if "programme" in args and _blank(args["programme"]):
        found.append(Violation("R6", Text("starting the basic course needs the chosen programme (--programme)")))
    unmet = admission_unmet(p.grades)
    if unmet:
        found.append(
            Violation(
                "R6",
                Text(
                    "admission requirements not met ({unmet}; needs {grade} or better)",
                    unmet=_semicolons(unmet),
                    grade=grade_text(ADMISSION_GRADE),
                ),
            )
        )
    if p.mentor is None:
        found.append(Violation("R6", Text("starting the basic course needs a retention mentor")))
    new_mentor = args.get("mentor")
    if new_mentor and new_mentor != p.mentor and _blank(args.get("reason")):
        found.append(
            Violation(
                "R6",
                Text(
                    "the education mentor {mentor} continues as retention mentor; handing over to {new} needs a reason (--reason)",
                    mentor=p.mentor,
                    new=new_mentor,
                ),
            )
        )
    return found


def admission_unmet(grades: Mapping[str, int]) -> list[Text]:
    """R6's admission requirements (adgangskrav): what is missing of a grade of at least 02 in
    Danish and in maths, given the valid grades (`valid_grades`). `next`, `show` and the read
    models (`risk`, through `admission_met`) ask the same question through this function."""
    return [
        Text("no grade in {subject}", subject=Term("subject", subject))
        if grade is None
        else Text("{subject} is {grade}", subject=Term("subject", subject), grade=grade_text(grade))
        for subject, grade in _short_of_admission(grades)
    ]


def admission_met(grades: Mapping[str, int]) -> bool:
    """R6's admission requirements met: `admission_unmet` says nothing (asked for every
    pathway in bridging on the risk list, so without making its sentences)."""
    return not _short_of_admission(grades)


def _short_of_admission(grades: Mapping[str, int]) -> list[tuple[str, int | None]]:
    """Each subject short of a grade of at least 02, with its grade (None: no grade)."""
    return [(s, grades.get(s)) for s in SUBJECTS if grades.get(s) is None or grades[s] < ADMISSION_GRADE]


def _semicolons(parts: list[Text]) -> Text:
    """`parts` as one sentence, separated by semicolons (each part translated on its own)."""
    joined = parts[0]
    for part in parts[1:]:
        joined = Text("{before}; {after}", before=joined, after=part)
    return joined


def r7_retention_mentor_stays(p: Pathway) -> Found:
    """R7 Retention: the mentor stays until an apprenticeship is secured."""
    return [
        Violation(
            "R7",
            Text(
                "the retention mentor {mentor} stays with {case} until an apprenticeship is secured or the pathway ends",
                mentor=p.mentor,
                case=p.case,
            ),
        )
    ]


def r9_apprenticeship_agreed(p: Pathway, args: Args) -> Found:
    """R9 Apprenticeship: the employer and the agreement's start date."""
    missing = []
    if "employer" in args and _blank(args["employer"]):
        missing.append(Text("the employer (--employer)"))
    if "starts" in args and args["starts"] is None:
        missing.append(Text("the agreement's start date (--starts)"))
    elif "starts" in args and args["starts"] < p.entered.get(REFERRED, args["starts"]):
        return [
            Violation(
                "R9",
                Text(
                    "the agreement cannot start ({starts}) before the referral ({referred})",
                    starts=args["starts"],
                    referred=p.entered[REFERRED],
                ),
            )
        ]
    if missing:
        if len(missing) == 2:
            return [
                Violation(
                    "R9", Text("securing an apprenticeship needs {first} and {second}", first=missing[0], second=missing[1])
                )
            ]
        return [Violation("R9", Text("securing an apprenticeship needs {missing}", missing=missing[0]))]
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
            Text(
                "the apprenticeship at {employer} starts {starts}: qualifying cannot be dated before it "
                "(brobyg qualify {case} --on {starts_iso}, once that day has come)",
                employer=p.employer,
                starts=starts,
                case=p.case,
                starts_iso=starts.isoformat(),
            ),
        )
    ]


# The facts recorded inside a state that a void may take back (R15), by their events' names.
VOIDABLE_FACTS = ("ContactRecorded", "RequestRecorded", "AbsenceRecorded", "Assessed", "CadenceAgreed", "KuiContactRegistered")


def r15_voidable(p: Pathway, no: int, event: Any) -> Found:
    """R15 Corrections: a fact recorded inside a state of an active pathway, or the pathway's
    latest transition (not the referral), may be voided, once."""
    if event is None:
        return [
            Violation(
                "R15",
                Text(
                    "{case} has no event #{no} (it has {version}; brobyg history {case} shows each event's number)",
                    case=p.case,
                    no=no,
                    version=p.version,
                ),
            )
        ]
    if no in p.voided:
        by, at, _ = p.voided[no]
        return [
            Violation("R15", Text("#{no} of {case} was voided already, by {by} on {on}", no=no, case=p.case, by=by, on=at.date()))
        ]
    from brobyg.domain.pathway import Pathway  # here, not above: the read models ask R6 without the aggregates

    latest = max(p.before, default=None)
    if isinstance(event, Pathway.Transitioned):
        if isinstance(event, Pathway.Referred):
            return [
                Violation(
                    "R15",
                    Text(
                        "the referral of {case} cannot be undone; withdraw the pathway instead (brobyg withdraw {case} --reason …)",
                        case=p.case,
                    ),
                )
            ]
        if no != latest:
            return [
                Violation(
                    "R15",
                    Text(
                        "#{no} of {case} is not its latest transition (#{latest} is); only the latest can be undone",
                        no=no,
                        case=p.case,
                        latest=latest,
                    ),
                )
            ]
        return []
    if not isinstance(event, tuple(getattr(Pathway, name) for name in VOIDABLE_FACTS)):
        return [
            Violation(
                "R15",
                Text(
                    "#{no} of {case} ({event}) cannot be voided: a mentor change is corrected by another (brobyg assign)",
                    no=no,
                    case=p.case,
                    event=Term("event", type(event).__name__),
                ),
            )
        ]
    if p.state not in ACTIVE_STATES:
        return [
            Violation(
                "R15",
                Text(
                    "{case} has ended ({state}): only its latest transition (#{latest}) can be undone",
                    case=p.case,
                    state=Term("state", p.state),
                    latest=latest,
                ),
            )
        ]
    return []


def r13_effective_date(on: dt.date, today: dt.date, last_on: dt.date | None) -> Found:
    """R13 Time: no effective date lies in the future, and within a pathway they never go backwards."""
    found: Found = []
    if on > today:
        found.append(Violation("R13", Text("the date {on} lies in the future (today is {today})", on=on, today=today)))
    if last_on is not None and on < last_on:
        found.append(
            Violation(
                "R13", Text("the date {on} is before the pathway's last recorded event ({last_on})", on=on, last_on=last_on)
            )
        )
    return found


def r13_late_fact(on: dt.date, today: dt.date, episode_started: dt.date) -> Found:
    """R13 Time, for a fact inside a state (contact, request, absence, assessment, cadence): it
    may be recorded late, dated back to any day of the current episode, never in the future."""
    found: Found = []
    if on > today:
        found.append(Violation("R13", Text("the date {on} lies in the future (today is {today})", on=on, today=today)))
    if on < episode_started:
        found.append(
            Violation("R13", Text("the date {on} is before this episode began ({started})", on=on, started=episode_started))
        )
    return found


def r13_not_before(on: dt.date, what: Text, since: dt.date) -> Found:
    """R13: nothing happens with a mentor or a partnership before it was recorded."""
    if on < since:
        return [Violation("R13", Text("the date {on} is before {what} was recorded ({since})", on=on, what=what, since=since))]
    return []
