"""A long-running process keeps aggregates between commands (eventsourcing's cache with
fast-forward): each command gets its own copy, and another process's writes are always seen."""

from __future__ import annotations

import copy

from domain.pathway import Pathway
from tests.conftest import TODAY, make_app
from tests.scenarios import basic_course, mentors


def test_a_command_gets_a_copy_that_shares_nothing_with_the_cache(db_url: str) -> None:
    app = make_app(db_url)
    mentors(app)
    case = basic_course(app).case
    first = app.pathway(case)
    first.grades["maths"] = 99
    first.entered.clear()
    first.last_on = TODAY.replace(year=1999)
    again = app.pathway(case)
    assert again.grades.get("maths") != 99 and again.entered and again.last_on != first.last_on
    assert copy.deepcopy(again).__dict__ == again.__dict__
    app.close()


def test_what_another_process_writes_is_seen_at_the_next_load(db_url: str) -> None:
    here, there = make_app(db_url), make_app(db_url)
    mentors(here)
    case = basic_course(here).case
    before = here.pathway(case).version  # now cached here
    there.contact(case, on=TODAY)
    there.absence(case, 2, on=TODAY)
    assert here.pathway(case).version == before + 2
    here.contact(case, on=TODAY)  # and a command here builds on it, without a lost race
    assert here.retried == 0 and there.pathway(case).version == before + 3
    assert here.load(Pathway.id_for(case), Pathway).version == before + 3
    here.close()
    there.close()


def test_a_command_after_another_process_wrote_builds_on_its_events(db_url: str) -> None:
    here, there = make_app(db_url), make_app(db_url)
    mentors(here)
    case = basic_course(here).case
    here.contact(case, on=TODAY)  # the pathway is now cached here, as saved
    version = here.pathway(case).version
    there.absence(case, 2, on=TODAY)  # here does not know yet
    here.contact(case, on=TODAY)
    events = list(here.events.get(Pathway.id_for(case)))
    assert [e.originator_version for e in events] == list(range(1, version + 3))  # nothing lost, nothing twice
    assert type(events[-2]).__name__ == "AbsenceRecorded" and type(events[-1]).__name__ == "ContactRecorded"
    here.close()
    there.close()
