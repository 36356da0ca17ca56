"""Read models are exact: incremental equals rebuilt equals the aggregates, whatever the
commands, and a crash or a repeated page changes nothing."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from brobyg.domain.mentor import Mentor
from brobyg.engine.read_models import TrackedReadModels
from brobyg.projections.facts import PathwayFacts, all_read_models
from brobyg.projections.readmodels import ReadModels
from brobyg.projections.timeline import load_timelines
from tests.helpers import make_app
from tests.scenarios import D, basic_course, bridging, mentors
from tests.test_stateful import TODAY, Coordinators


class CoordinatorsReading(Coordinators):
    """The random coordinators, with readers catching up at random moments."""

    read_models: ReadModels

    @rule(reader=st.sampled_from(["caseload", "risk", "status"]))
    def read(self, reader: str) -> None:
        if reader == "caseload":
            self.read_models.caseload(self.day)
        elif reader == "risk":
            self.read_models.risk(self.day)
        else:
            self.read_models.catch_up()

    def teardown(self) -> None:
        rm = self.read_models
        rm.catch_up()
        incremental = rm.dump()
        self.compare_with_aggregates(rm)
        rm.rebuild()
        assert rm.dump() == incremental, "a rebuild differs from the incrementally maintained read models"

    def compare_with_aggregates(self, rm: ReadModels) -> None:
        with rm.engine.connect() as conn:
            timelines = {t.case: t for t in load_timelines(conn, TODAY).values()}
        for case in self.known_cases:
            p, t = self.forgetful.pathway(case), timelines[case]
            assert (t.state_on(TODAY), t.episode_on(TODAY), t.mentor_on(TODAY), t.mentor_role_on(TODAY)) == (
                p.state,
                p.episode,
                p.mentor,
                p.mentor_role if p.mentor else None,
            )
            assert t.grades_on(TODAY) == p.grades
            assert len([x for x in t.placements if x.kind == "start"]) >= p.placements
        loads = {row["mentor"]: row["active"] for row in rm.caseload(TODAY)}
        for name in self.known_mentors:
            mentor = self.forgetful.load(Mentor.id_for(name), Mentor)
            assert mentor is not None and loads[name] == mentor.load


def test_incremental_read_models_equal_a_rebuild_and_the_aggregates(db_url: str) -> None:
    apps = CoordinatorsReading.on_store(db_url, seed=5)
    CoordinatorsReading.read_models = ReadModels(apps[0])
    try:
        run_state_machine_as_test(
            CoordinatorsReading,
            settings=settings(max_examples=15, stateful_step_count=40, deadline=None, suppress_health_check=list(HealthCheck)),
        )
    finally:
        for app in apps:
            app.close()


# --- exactly once ------------------------------------------------------------------------------


class Crash(Exception):
    pass


class CrashingFacts(PathwayFacts):
    """Fails after handling a number of events, as a process killed mid-page would."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.left = after

    def handle(self, conn: sa.Connection, event: Any) -> None:
        self.left -= 1
        if self.left == 0:
            raise Crash
        super().handle(conn, event)


def _population(app: Any) -> None:
    mentors(app)
    for i in range(6):
        (basic_course if i % 2 else bridging)(app, person=f"P{i}")
    app.contact(bridging(app, person="last").case, on=D(2026, 9, 10))


@pytest.mark.parametrize("crash_after", [1, 7, 20, 21, 40])  # page_size 20: 21 is the first event of page 2
def test_a_crash_between_or_inside_pages_loses_and_repeats_nothing(db_url: str, crash_after: int) -> None:
    app = make_app(db_url)
    _population(app)
    engine = app.sql_engine
    crashing = TrackedReadModels(app, engine, [CrashingFacts(crash_after), *all_read_models()[1:]], page_size=20)
    with pytest.raises(Crash):
        crashing.catch_up()
    rm = ReadModels(app)
    rm.catch_up()  # a fresh process carries on from the last committed page
    after_crash = rm.dump()
    rm.rebuild()
    assert rm.dump() == after_crash
    app.close()


def test_a_catch_up_far_behind_takes_the_larger_pages_and_then_the_usual_ones(db_url: str) -> None:
    """After a simulation or an import the read models are far behind: they catch up in the
    rebuild's larger pages (each page's work done fewer times); a few new events, in the usual."""
    app = make_app(db_url)
    _population(app)
    head = app.log_head()
    tracked = TrackedReadModels(app, app.sql_engine, all_read_models(), page_size=3, rebuild_page_size=10)
    pages: list[int] = []
    assert tracked.catch_up(lambda done, _head: pages.append(done)) == head
    assert pages == [*range(10, head, 10), head]
    case = bridging(app, person="later").case
    for day in (11, 12):
        app.contact(case, on=D(2026, 9, day))
    pages.clear()
    assert tracked.catch_up(lambda done, _head: pages.append(done)) == app.log_head() - head
    assert pages == [*range(3, app.log_head() - head, 3), app.log_head() - head]
    app.close()


def test_two_readers_catching_up_at_once_apply_each_page_once(db_url: str) -> None:
    app = make_app(db_url)
    _population(app)
    readers = [ReadModels(make_app(db_url)) for _ in range(2)]
    for r in readers:
        r.tracked.page_size = 5
    errors: list[BaseException] = []

    def catch_up(r: ReadModels) -> None:
        try:
            r.catch_up()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=catch_up, args=(r,)) for r in readers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    both = readers[0].dump()
    readers[0].rebuild()
    assert readers[0].dump() == both
    # Processing the same page again is impossible: a fact row is keyed by its event.
    with pytest.raises(sa.exc.IntegrityError), readers[1].engine.begin() as conn:
        view = PathwayFacts()
        for event in app.events.get(app.pathway(next(iter(_cases(readers[1])))).id):
            view.handle(conn, event)
        view.flush(conn)
    for r in readers:
        r.app.close()
    app.close()


def _cases(rm: ReadModels) -> list[str]:
    with rm.engine.connect() as conn:
        return [t.case for t in load_timelines(conn, TODAY).values()]
