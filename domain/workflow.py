"""The pathway workflow: states, triggers and guards exactly as in the guide's table."""

from __future__ import annotations

from brobyg.domain import rules
from brobyg.domain.pathway import Pathway
from brobyg.domain.terms import (
    ACTIVE_STATES,
    ALL_STATES,
    APPRENTICESHIP,
    AWAITING_MAIN_COURSE,
    BASIC_COURSE,
    BRIDGING,
    DROPPED_OUT,
    EMPLOYED,
    MAIN_COURSE,
    NEW,
    QUALIFIED,
    REFERRED,
    TASTER_PLACEMENT,
    WITHDRAWN,
)
from brobyg.engine.text import Text
from brobyg.engine.workflow import Transition, Workflow

TRANSITIONS = [
    Transition("refer", [NEW], REFERRED, Pathway.Referred),
    Transition("start_bridging", [REFERRED], BRIDGING, Pathway.BridgingStarted),
    Transition("start_placement", [BRIDGING], TASTER_PLACEMENT, Pathway.PlacementStarted),
    Transition("end_placement", [TASTER_PLACEMENT], BRIDGING, Pathway.PlacementEnded),
    Transition("start_basic_course", [BRIDGING], BASIC_COURSE, Pathway.BasicCourseStarted),
    Transition("complete_basic_course", [BASIC_COURSE], AWAITING_MAIN_COURSE, Pathway.BasicCourseCompleted),
    Transition("start_main_course", [AWAITING_MAIN_COURSE], MAIN_COURSE, Pathway.MainCourseStarted),
    Transition("secure_apprenticeship", [AWAITING_MAIN_COURSE, MAIN_COURSE], APPRENTICESHIP, Pathway.ApprenticeshipSecured),
    Transition("qualify", [MAIN_COURSE, APPRENTICESHIP], QUALIFIED, Pathway.Qualified),
    Transition("employ", list(ACTIVE_STATES), EMPLOYED, Pathway.Employed),
    Transition("drop_out", list(ACTIVE_STATES), DROPPED_OUT, Pathway.DroppedOut),
    Transition("withdraw", list(ACTIVE_STATES), WITHDRAWN, Pathway.Withdrew),
    # A job can end: employed is an outcome one can be re-referred from; qualified is not (R1).
    Transition("re_refer", [DROPPED_OUT, WITHDRAWN, EMPLOYED], REFERRED, Pathway.ReReferred),
]

PATHWAY: Workflow[Pathway] = Workflow(
    name="Pathway",
    states=ALL_STATES,
    initial=NEW,
    transitions=TRANSITIONS,
    workflow_rule="R0",  # our id for the table itself (docs/architecture.md: "How the rules read in code")
    guards={
        "refer": [lambda p, args: rules.r1_eligibility(args)],
        "start_bridging": [rules.r2_mentor_before_bridging],
        "start_placement": [rules.r5_placement_planned],
        "end_placement": [rules.r5_placement_followed_up],
        "start_basic_course": [rules.r6_ready_for_education],
        "secure_apprenticeship": [rules.r9_apprenticeship_agreed],
        "qualify": [rules.r9_qualified_after_start],
        "drop_out": [lambda p, args: rules.r0_reason_given(args, Text("dropping out"))],
        "withdraw": [lambda p, args: rules.r0_reason_given(args, Text("withdrawing"))],
        "re_refer": [lambda p, args: rules.r1_eligibility({"born": p.born, **args})],
    },
    # A trigger given from a state it has no edge from is refused by the rule it belongs to.
    order_rules={
        "start_placement": ("R5", Text("taster placements happen during bridging, one at a time")),
        "end_placement": ("R5", Text("there is no taster placement to end")),
        "start_basic_course": ("R6", Text("education starts from bridging")),
        "complete_basic_course": ("R8", Text("the basic course has to be started first")),
        "start_main_course": ("R8", Text("the basic course must be completed first")),
        "secure_apprenticeship": ("R8", Text("an apprenticeship follows the basic course")),
    },
)
