"""A small scripted municipality: a handful of young people, each at a different point
of the model, written as the coordinators' own diary of commands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from domain.application import Brobyg
from engine.rules import Refused


@dataclass(frozen=True)
class Step:
    days_ago: int
    command: str
    args: dict[str, object]


def _born(today: dt.date, years: int) -> dt.date:
    return today.replace(year=today.year - years, day=1)


def _bridging(start: int, mentor: str, grades: tuple[str, str] = ("4", "02"), weeks: int = 4) -> list[Step]:
    """Referral, mentor, bridging, two assessments and weekly contacts for a few weeks."""
    from domain.terms import GRADES

    steps = [
        Step(start, "assign", {"mentor": mentor}),
        Step(start - 3, "start_bridging", {"school": "Tech College Aarhus"}),
        Step(start - 10, "assess", {"subject": "danish", "grade": GRADES[grades[0]]}),
        Step(start - 10, "assess", {"subject": "maths", "grade": GRADES[grades[1]]}),
    ]
    steps += [Step(start - 3 - 7 * w, "contact", {"channel": "meeting"}) for w in range(1, weeks + 1) if start - 3 - 7 * w > 0]
    return steps


def _placement(day: int, host: str) -> list[Step]:
    return [
        Step(
            day,
            "start_placement",
            {
                "host": host,
                "host_kind": "company",
                "contact": "Mette (workshop lead)",
                "purpose": "clarify",
                "wish": f"to try {host}",
            },
        ),
        Step(day - 10, "end_placement", {"follow_up": "talked it through with the mentor; wants to continue"}),
    ]


# Who is referred, how long ago, and what has happened since (days ago, newest last).
SCRIPT: list[tuple[str, int, str, str | None, list[Step]]] = [
    ("Demo person 1", 21, "education-ready", "kui-sara", _bridging(40, "kui-sara", ("02", "-3"))),
    (
        "Demo person 2",
        23,
        "education-ready",
        "kui-sara",
        [*_bridging(120, "kui-sara"), *_placement(90, "carpentry"), Step(70, "start_basic_course", {"programme": "Carpenter"})],
    ),
    (
        "Demo person 3",
        26,
        "activity-ready",
        None,
        [
            *_bridging(300, "lab-peter", ("7", "4")),
            *_placement(270, "a bakery"),
            Step(230, "start_basic_course", {"programme": "Baker"}),
            Step(60, "complete_basic_course", {}),
            Step(30, "secure_apprenticeship", {"employer": "Bageriet Sol", "starts": None}),
        ],
    ),
    (
        "Demo person 4",
        19,
        "education-ready",
        "kui-sara",
        [*_bridging(80, "kui-sara", ("4", "4"), weeks=3), Step(50, "drop_out", {"reason": "stopped attending after moving out"})],
    ),
    (
        "Demo person 5",
        28,
        "education-ready",
        None,
        [*_bridging(200, "lab-peter", ("10", "7")), Step(150, "employ", {"employer": "Nordic Logistics"})],
    ),
    ("Demo person 6", 24, "education-ready", "kui-ali", [Step(5, "assign", {"mentor": "kui-ali"})]),
    (
        "Demo person 7",
        22,
        "education-ready",
        "kui-ali",
        [
            *_bridging(400, "kui-ali", ("4", "02")),
            Step(330, "start_basic_course", {"programme": "Electrician"}),
            Step(150, "complete_basic_course", {}),
            Step(120, "start_main_course", {}),
        ],
    ),
    (
        "Demo person 8",
        27,
        "education-ready",
        None,
        [*_bridging(60, "lab-peter", weeks=1), Step(45, "withdraw", {"reason": "moved"})],
    ),
]

MENTORS = [("kui-sara", "Sara Holm", "kui", 20), ("kui-ali", "Ali Demir", "kui", 20), ("lab-peter", "Peter Lund", "lab", 15)]
PARTNERSHIPS = [("aarhus-tech", "Jobcenter Aarhus", "Tech College Aarhus", 30, 42_000)]


def run_demo(app: Brobyg, today: dt.date, report: Callable[[str], None] = print) -> list[str]:
    """Create the demo population; returns the case ids, oldest referral first."""
    start = today - dt.timedelta(days=500)
    for mentor, name, kind, capacity in MENTORS:
        app.add_mentor(mentor, name, kind, capacity, on=start)
    for partnership, jobcentre, school, places, price in PARTNERSHIPS:
        app.add_partnership(partnership, jobcentre, school, places, price, on=start)
    cases: dict[str, str] = {}
    for person, age, readiness, kui, steps in sorted(SCRIPT, key=lambda s: -max((st.days_ago for st in s[4]), default=0)):
        first = max((s.days_ago for s in steps), default=0) + 2
        referred = today - dt.timedelta(days=first)
        p = app.refer(
            person,
            _born(referred, age),
            readiness,
            justification="strong motivation and steady attendance in a previous course"
            if readiness == "activity-ready"
            else None,
            kui_contact=kui,
            partnership="aarhus-tech",
            on=referred,
        )
        cases[person] = p.case
        for step in sorted(steps, key=lambda s: -s.days_ago):
            on = today - dt.timedelta(days=step.days_ago)
            args = dict(step.args)
            if step.command == "secure_apprenticeship":
                args["starts"] = on + dt.timedelta(days=30)
            getattr(app, step.command)(p.case, **args, on=on)
    # One refusal, to show what a coordinator sees: the first person's maths is not yet 02.
    try:
        app.start_basic_course(cases["Demo person 1"], programme="Carpenter", on=today)
    except Refused as refused:
        report(f"refused, as the guide wants: {refused}")
    return list(cases.values())
