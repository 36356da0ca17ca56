"""One source for each rule and term: the read models ask the domain, and the workflow names
the event of every trigger."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brobyg.domain import queries
from brobyg.domain.pathway import Pathway
from brobyg.domain.terms import GRADES, SUBJECTS
from brobyg.domain.workflow import PATHWAY, TRANSITIONS
from brobyg.engine.workflow import Transition, Workflow
from brobyg.projections.readmodels import ReadModels
from tests.helpers import make_app
from tests.scenarios import D, bridging, mentors

_store = itertools.count()

assessments = st.lists(
    st.tuples(st.sampled_from(SUBJECTS), st.sampled_from(sorted(GRADES.values())), st.integers(0, 40)), max_size=6
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=assessments)
def test_risk_flags_admission_exactly_when_r6_refuses_it(tmp_path_factory: pytest.TempPathFactory, history) -> None:
    """Whatever grades were recorded, in whatever order: `risk` says "admission requirement not
    met" exactly when R6 refuses the basic course for want of grades (the best grade counts)."""
    app = make_app(str(tmp_path_factory.mktemp("s") / f"{next(_store)}.sqlite"))
    try:
        mentors(app)
        case = bridging(app).case
        for subject, grade, day in sorted(history, key=lambda h: h[2]):
            app.assess(case, subject, grade, on=D(2026, 9, 4) + dt.timedelta(days=day))
        on = app.clock.today()
        (step,) = [s for s in queries.next_steps(app, case) if s.trigger == "start_basic_course"]
        r6_admission = any(v.rule == "R6" and "admission" in v.message for v in step.violations)
        (row,) = ReadModels(app).risk(on)
        assert ("admission_requirement_not_met" in row["reasons"]) == r6_admission
    finally:
        app.close()


def test_risk_and_next_judge_admission_on_the_same_grades(app) -> None:
    mentors(app)
    case = bridging(app).case
    app.assess(case, "danish", 4, on=D(2026, 9, 20))
    app.assess(case, "maths", 0, on=D(2026, 10, 1))
    app.assess(case, "maths", 2, on=D(2026, 9, 20))  # written up late: the later-dated 00 is the valid grade
    (row,) = ReadModels(app).risk(app.clock.today())
    assert "admission_requirement_not_met" in row["reasons"]
    assert [s.allowed for s in queries.next_steps(app, case) if s.trigger == "start_basic_course"] == [False]
    app.void(case, app.pathway(case).version - 1, "the 00 was another young person's")
    (row,) = ReadModels(app).risk(app.clock.today())
    assert "admission_requirement_not_met" not in row["reasons"]
    assert [s.allowed for s in queries.next_steps(app, case) if s.trigger == "start_basic_course"] == [True]


def test_every_trigger_names_its_own_transition_event() -> None:
    events = {PATHWAY.event(t.trigger) for t in TRANSITIONS}
    assert len(events) == len(TRANSITIONS)  # one event class per trigger, none shared
    transition_events = {cls for cls in vars(Pathway).values() if isinstance(cls, type) and issubclass(cls, Pathway.Transitioned)}
    assert events == transition_events - {Pathway.Transitioned}
    assert {PATHWAY.event("refer"), PATHWAY.event("withdraw")} == {Pathway.Referred, Pathway.Withdrew}


@pytest.mark.parametrize(
    ("transitions", "initial", "unknown"),
    [
        ([Transition("go", ["a"], "bb")], "a", "bb"),
        ([Transition("go", ["aa"], "b")], "a", "aa"),
        ([Transition("go", ["a"], "b")], "zz", "zz"),
    ],
)
def test_the_engine_refuses_a_transition_table_naming_an_unknown_state(transitions, initial, unknown) -> None:
    with pytest.raises(ValueError, match=f"unknown states: \\['{unknown}'\\]"):
        Workflow(name="W", states=["a", "b"], initial=initial, transitions=transitions, workflow_rule="R0")


def test_the_engine_refuses_guards_for_a_trigger_it_does_not_have() -> None:
    with pytest.raises(ValueError, match="unknown triggers: \\['stop'\\]"):
        Workflow(
            name="W",
            states=["a", "b"],
            initial="a",
            transitions=[Transition("go", ["a"], "b")],
            workflow_rule="R0",
            guards={"stop": []},
        )
