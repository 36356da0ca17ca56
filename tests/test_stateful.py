"""Random coordinators: valid and invalid commands at several pathways and mentors.

Two coordinators take turns, each in a process that remembers what it last saw (so each
often decides on memory the other has made out of date); every refusal is checked against
a third process that remembers nothing: it must refuse the same command for the same rules.

After every step: each aggregate equals its replay from the store; every state is one of
the machine's and every recorded transition an edge of its graph; exactly one mentor from
bridging until release; no mentor above capacity; and the mentor only ever changes by a
handover with a reason (so the education mentor continues as retention mentor).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from brobyg.domain.application import Brobyg
from brobyg.domain.mentor import Mentor
from brobyg.domain.pathway import Pathway
from brobyg.domain.terms import ALL_STATES, GRADES, OUTCOME_STATES, RETENTION_MENTOR_STATES
from brobyg.domain.workflow import PATHWAY
from brobyg.engine.errors import NotFound, Refused
from brobyg.projections.readmodels import ReadModels
from tests.helpers import TODAY, assert_rebuild_changes_nothing, make_app

START = dt.date(2024, 1, 1)
_run = itertools.count()

# Which trigger each transition event records: the workflow names the event of each trigger.
TRIGGER_OF = {PATHWAY.event(trigger): trigger for trigger in PATHWAY.triggers}
# The mentor is there from bridging until released (R2, R7).
MENTORED = ("bridging", "taster_placement", *RETENTION_MENTOR_STATES)

maybe_text = st.sampled_from(["", "  ", "a reason", "Mette at the bakery"])
grades = st.sampled_from(sorted(GRADES.values()))


class Coordinators(RuleBasedStateMachine):
    coordinators: tuple[Brobyg, Brobyg]  # one store per test run; each example uses fresh names in it
    forgetful: Brobyg  # the same store, with no memory between commands
    read_models: ReadModels  # kept up step by step: at the end they must equal a rebuild

    cases = Bundle("cases")
    mentors = Bundle("mentors")

    def __init__(self) -> None:
        super().__init__()
        self.run = next(_run)
        self.day = START
        self.known_cases: dict[str, Pathway] = {}
        self.known_mentors: list[str] = []
        self.desk = 0  # which coordinator gives the next commands

    @classmethod
    def on_store(cls, db_url: str, seed: int) -> list[Brobyg]:
        """Two coordinators' processes and a forgetful one on the store at `db_url`, to close after."""
        here, there, forgetful = (make_app(db_url, today=TODAY, seed=seed + n) for n in range(3))
        assert forgetful.repository.cache is not None
        forgetful.repository.cache = None
        cls.coordinators, cls.forgetful = (here, there), forgetful
        cls.read_models = ReadModels(forgetful)
        return [here, there, forgetful]

    @property
    def app(self) -> Brobyg:
        return self.coordinators[self.desk]

    # --- helpers -------------------------------------------------------------------

    def attempt(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a command; a refusal must name a rule and write nothing. The other coordinator
        gives the next command, unless `the_same_coordinator_goes_on`."""
        self.desk = 1 - self.desk
        before = self.app.count_events()
        try:
            result = command(*args, **kwargs)
        except Refused as refused:
            assert refused.violations and all(v.rule.startswith("R") for v in refused.violations)
            assert self.app.count_events() == before, f"refused but wrote: {refused}"
            with pytest.raises(Refused) as again:  # not refused on what was out of date
                getattr(self.forgetful, command.__name__)(*args, **kwargs)
            assert again.value.violations == refused.violations
            return None
        assert self.app.count_events() > before
        if isinstance(result, Pathway):
            self.known_cases[result.case] = result
        return result

    def on(self, back: int) -> dt.date:
        return self.day - dt.timedelta(days=back)

    # --- setting up --------------------------------------------------------------------

    @initialize(target=mentors)
    def first_mentor(self) -> str:
        name = f"m{self.run}-0"
        self.app.add_mentor(name, "First", "lab", capacity=4, on=START)
        self.known_mentors.append(name)
        return name

    @rule(target=mentors, kind=st.sampled_from(["kui", "lab"]), capacity=st.integers(1, 3))
    def add_mentor(self, kind: str, capacity: int) -> str:
        name = f"m{self.run}-{len(self.known_mentors)}"
        self.app.add_mentor(name, name.upper(), kind, capacity=capacity, on=START)
        self.known_mentors.append(name)
        return name

    @rule()
    def the_same_coordinator_goes_on(self) -> None:
        self.desk = 1 - self.desk

    @rule(days=st.integers(1, 40))
    def time_passes(self, days: int) -> None:
        self.day = min(self.day + dt.timedelta(days=days), TODAY)

    @rule(
        target=cases,
        age=st.one_of(st.integers(18, 29), st.integers(16, 31)),
        readiness=st.sampled_from(["education-ready", "activity-ready"]),
        justification=maybe_text,
        kui=st.one_of(st.none(), st.none(), mentors),
        person=st.integers(0, 30),
    )
    def refer(self, age: int, readiness: str, justification: str, kui: str | None, person: int) -> str:
        born = dt.date(self.day.year - age, self.day.month, min(self.day.day, 28)) - dt.timedelta(days=30)
        p = self.attempt(
            self.app.refer, f"person {self.run}-{person}", born, readiness, justification, kui_contact=kui, on=self.day
        )
        return p.case if p else "BNONE22"  # a case that does not exist: commands on it are "not found"

    # --- commands on a case -----------------------------------------------------------------

    def on_case(self, case: str, command: Any, *args: Any, **kwargs: Any) -> None:
        try:
            self.attempt(command, case, *args, **kwargs)
        except NotFound:
            assert case not in self.known_cases

    @rule(case=cases, mentor=mentors, reason=maybe_text, back=st.sampled_from([0, 0, 0, 3]))
    def assign(self, case: str, mentor: str, reason: str, back: int) -> None:
        self.on_case(case, self.app.assign, mentor, reason, on=self.on(back))

    @rule(case=cases, reason=maybe_text)
    def release(self, case: str, reason: str) -> None:
        self.on_case(case, self.app.release, reason, on=self.day)

    @rule(case=cases)
    def start_bridging(self, case: str) -> None:
        self.on_case(case, self.app.start_bridging, "Tech College", on=self.day)

    @rule(case=cases, subject=st.sampled_from(["danish", "maths"]), grade=grades)
    def assess(self, case: str, subject: str, grade: int) -> None:
        self.on_case(case, self.app.assess, subject, grade, on=self.day)

    @rule(case=cases, contact=maybe_text, purpose=st.sampled_from(["clarify", "experience", "wrong"]))
    def start_placement(self, case: str, contact: str, purpose: str) -> None:
        self.on_case(case, self.app.start_placement, "Bageriet", "company", contact, purpose, "baking", on=self.day)

    @rule(case=cases, follow_up=maybe_text)
    def end_placement(self, case: str, follow_up: str) -> None:
        self.on_case(case, self.app.end_placement, follow_up, on=self.day)

    @rule(case=cases, mentor=st.one_of(st.none(), mentors), reason=maybe_text)
    def start_basic_course(self, case: str, mentor: str | None, reason: str) -> None:
        self.on_case(case, self.app.start_basic_course, "Carpenter", mentor, reason, on=self.day)

    @rule(case=cases)
    def complete_basic_course(self, case: str) -> None:
        self.on_case(case, self.app.complete_basic_course, on=self.day)

    @rule(case=cases)
    def start_main_course(self, case: str) -> None:
        self.on_case(case, self.app.start_main_course, on=self.day)

    @rule(case=cases, employer=maybe_text)
    def secure_apprenticeship(self, case: str, employer: str) -> None:
        self.on_case(case, self.app.secure_apprenticeship, employer, self.day, on=self.day)

    @rule(case=cases, outcome=st.sampled_from(["qualify", "employ", "drop_out", "withdraw"]), reason=maybe_text)
    def end(self, case: str, outcome: str, reason: str) -> None:
        command = getattr(self.app, outcome)
        if outcome in ("drop_out", "withdraw"):
            self.on_case(case, command, reason, on=self.day)
        else:
            self.on_case(case, command, on=self.day)

    @rule(case=cases, readiness=st.sampled_from([None, "education-ready", "activity-ready"]))
    def re_refer(self, case: str, readiness: str | None) -> None:
        self.on_case(case, self.app.re_refer, readiness, on=self.day)

    @rule(case=cases, what=st.sampled_from(["contact", "request", "absence"]), back=st.sampled_from([0, 0, 5, -1]))
    def record_fact(self, case: str, what: str, back: int) -> None:
        self.on_case(case, getattr(self.app, what), on=self.on(back))

    @rule(case=cases, subject=st.sampled_from(["danish", "maths"]), grade=grades, back=st.sampled_from([3, 20, 400]))
    def assess_late(self, case: str, subject: str, grade: int, back: int) -> None:
        """An assessment written up late (R13): allowed within the current episode."""
        self.on_case(case, self.app.assess, subject, grade, on=self.on(back))

    @rule(case=cases, which=st.sampled_from(["latest", "latest transition", "random"]), pick=st.integers(1, 60))
    def void(self, case: str, which: str, pick: int) -> None:
        """R15: void the latest event, the latest transition (an undo), or any event."""
        if case not in self.known_cases:
            return
        p = self.forgetful.pathway(case)
        no = {"latest": p.version, "latest transition": max(p.before, default=1), "random": pick}[which]
        self.on_case(case, self.app.void, no, "a mistake")

    @rule(case=cases, mentor=mentors, choices=st.lists(st.booleans(), min_size=1, max_size=8))
    def progress(self, case: str, mentor: str, choices: list[bool]) -> None:
        """A few steps of what a coordinator would do next, with everything the rules ask for."""
        if case not in self.known_cases:
            return
        for choice in choices:
            self.day = min(self.day + dt.timedelta(days=7), TODAY)
            self.natural_step(case, mentor, choice)

    def natural_step(self, case: str, mentor: str, choice: bool) -> None:
        p, app, on = self.forgetful.pathway(case), self.app, self.day  # as the store has it
        if p.state == "referred" and p.mentor is None:
            self.on_case(case, app.assign, mentor, "planned in the weekly meeting", on=on)
        elif p.state == "referred":
            self.on_case(case, app.start_bridging, "Tech College", on=on)
        elif p.state == "bridging" and len(p.grades) < 2:
            self.on_case(case, app.assess, "danish" if "danish" not in p.grades else "maths", 7, on=on)
        elif p.state == "bridging" and p.placements == 0 and choice:
            self.on_case(case, app.start_placement, "Bageriet", "company", "Mette", "clarify", "baking", on=on)
        elif p.state == "bridging":
            self.on_case(case, app.start_basic_course, "Carpenter", on=on)
        elif p.state == "taster_placement":
            self.on_case(case, app.end_placement, "went well", on=on)
        elif p.state == "basic_course":
            self.on_case(case, app.complete_basic_course, on=on)
        elif p.state == "awaiting_main_course" and choice:
            self.on_case(case, app.start_main_course, on=on)
        elif p.state in ("awaiting_main_course", "main_course") and not choice:
            self.on_case(case, app.secure_apprenticeship, "Tømrer A/S", on, on=on)
        elif p.state in ("main_course", "apprenticeship"):
            self.on_case(case, app.qualify, on=on)
        elif p.state in ("dropped_out", "withdrawn"):
            self.on_case(case, app.re_refer, on=on)

    # --- invariants (read through the forgetful process: loading through a coordinator
    # would bring its memory up to date) -------------------------------------------------

    @invariant()
    def read_models_keep_up(self) -> None:
        self.read_models.catch_up()

    @invariant()
    def aggregates_equal_their_replay(self) -> None:
        for case, in_memory in self.known_cases.items():
            stored = self.forgetful.pathway(case)
            replayed = None
            for event in self.forgetful.events.get(stored.id):
                replayed = event.mutate(replayed)
            assert vars(stored) == vars(replayed)
            assert stored.version == in_memory.version or stored.version > in_memory.version
            if stored.version == in_memory.version:
                assert {k: v for k, v in vars(stored).items() if k != "_pending_events"} == {
                    k: v for k, v in vars(in_memory).items() if k != "_pending_events"
                }

    @invariant()
    def what_each_coordinator_remembers_was_true(self) -> None:
        """A coordinator's memory of a pathway or mentor is the store's history up to that version."""
        ids = [Pathway.id_for(case) for case in self.known_cases] + [Mentor.id_for(m) for m in self.known_mentors]
        for coordinator in self.coordinators:
            assert coordinator.repository.cache is not None
            for aggregate_id in ids:
                try:
                    remembered = coordinator.repository.cache.get(aggregate_id)
                except KeyError:
                    continue
                assert vars(remembered) == vars(self.forgetful.repository.get(aggregate_id, version=remembered.version))

    @invariant()
    def histories_walk_the_graph(self) -> None:
        for case in self.known_cases:
            state = "new"
            mentor = None
            came_from: dict[int, str] = {}  # transition number → the state it left (an undo goes back there)
            for event in self.forgetful.events.get(self.forgetful.pathway(case).id):
                if isinstance(event, Pathway.Transitioned):
                    assert (state, TRIGGER_OF[type(event)], event.new_state) in PATHWAY.edges
                    came_from[event.originator_version] = state
                    state = event.new_state
                    assert state in ALL_STATES
                elif isinstance(event, Pathway.Voided) and event.voided_no in came_from:
                    assert event.voided_no == max(came_from), "only the latest transition is undone"
                    state = came_from.pop(event.voided_no)
                elif isinstance(event, Pathway.MentorHandedOver):
                    assert event.from_mentor == mentor and event.reason and event.reason.strip()
                    mentor = event.to_mentor
                elif isinstance(event, Pathway.MentorAssigned):
                    assert mentor is None
                    mentor = event.mentor
                elif isinstance(event, Pathway.MentorReleased):
                    assert mentor == event.mentor
                    mentor = None
                # The mentor only changes by the events above: continuity into education (R6). An
                # undo's mentor comes back with the events saved right after it.
                if state in MENTORED and not isinstance(event, Pathway.Voided):
                    assert mentor is not None, f"{case} in {state} without a mentor"

    @invariant()
    def mentors_hold_exactly_their_cases(self) -> None:
        pathways = {case: self.forgetful.pathway(case) for case in self.known_cases}
        for name in self.known_mentors:
            m = self.forgetful.load(Mentor.id_for(name), Mentor)
            assert m is not None and m.load <= m.capacity, f"{name} above capacity"
            assert sorted(m.cases) == sorted(c for c, p in pathways.items() if p.mentor == name)
        for p in pathways.values():
            if p.state in MENTORED:
                assert p.mentor is not None
            if p.state in OUTCOME_STATES or p.state == "apprenticeship":
                assert p.mentor is None
            expected_role = None if p.mentor is None else ("retention" if p.state in RETENTION_MENTOR_STATES else "education")
            assert p.mentor_role == expected_role


@pytest.mark.parametrize("examples", [25])
def test_random_coordinators_never_break_the_rules(db_url: str, examples: int) -> None:
    apps = Coordinators.on_store(db_url, seed=11)
    try:
        run_state_machine_as_test(
            Coordinators,
            settings=settings(
                max_examples=examples,
                stateful_step_count=50,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
        # Voids and late facts included, the read models kept up page by page equal a rebuild.
        Coordinators.read_models.catch_up()
        assert_rebuild_changes_nothing(Coordinators.read_models)
    finally:
        for app in apps:
            app.close()
