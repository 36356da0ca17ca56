"""A long-running process keeps aggregates between commands: each command gets its own copy,
and another process's writes are always seen.

A command first decides on what the process remembers, without asking the store. These
scenarios show what a coordinator would notice if that went wrong: a command refused for a
change made elsewhere, a change made elsewhere overwritten, or a decision saved on an
out-of-date read.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator

import pytest
from eventsourcing.persistence import IntegrityError

from brobyg.domain.application import Brobyg
from brobyg.domain.mentor import Mentor
from brobyg.domain.pathway import Pathway
from brobyg.engine.aggregate import EventSourced
from brobyg.engine.errors import Conflict, Refused
from brobyg.engine.rules import Violation
from tests.helpers import TODAY, make_app
from tests.scenarios import basic_course, mentors, referred

Processes = tuple[Brobyg, Brobyg]


@pytest.fixture
def here_and_there(db_url: str) -> Iterator[Processes]:
    """Two coordinators' processes on one store, with the scenario's mentors."""
    here, there = make_app(db_url), make_app(db_url)
    mentors(here)
    yield here, there
    here.close()
    there.close()


def reads_from_the_store(app: Brobyg, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The reads of events the process makes from now on."""
    reads: list[object] = []
    select_events = app.recorder.select_events
    monkeypatch.setattr(app.recorder, "select_events", lambda *a, **k: reads.append(a) or select_events(*a, **k))
    return reads


def record_request(p: Pathway, text: str) -> None:
    """What a command written for a test records: a request naming what it decided on."""
    p.record(Pathway.RequestRecorded, TODAY, "tester", dt.datetime(2026, 11, 26, 12), login="tester", text=text)


def test_a_command_gets_a_copy_that_shares_nothing_with_the_cache(app: Brobyg) -> None:
    mentors(app)
    case = basic_course(app).case
    first = app.pathway(case)
    first.grades["maths"] = 99
    first.entered.clear()
    first.last_on = TODAY.replace(year=1999)
    again = app.pathway(case)
    assert again.grades.get("maths") != 99 and again.entered and again.last_on != first.last_on
    assert copy.deepcopy(again).__dict__ == again.__dict__


def test_what_another_process_writes_is_seen_at_the_next_load(here_and_there: Processes) -> None:
    here, there = here_and_there
    case = basic_course(here).case
    before = here.pathway(case).version  # now cached here
    there.contact(case, on=TODAY)
    there.absence(case, 2, on=TODAY)
    assert here.pathway(case).version == before + 2
    here.contact(case, on=TODAY)  # and a command here builds on it, without a lost race
    assert (here.refreshed, here.retried) == (0, 0) and there.pathway(case).version == before + 3
    assert here.load(Pathway.id_for(case), Pathway).version == before + 3


def test_a_command_after_another_process_wrote_builds_on_its_events(here_and_there: Processes) -> None:
    here, there = here_and_there
    case = basic_course(here).case
    here.contact(case, on=TODAY)  # the pathway is now cached here, as saved
    version = here.pathway(case).version
    there.absence(case, 2, on=TODAY)  # here does not know yet
    here.contact(case, on=TODAY)
    events = list(here.events.get(Pathway.id_for(case)))
    assert [e.originator_version for e in events] == list(range(1, version + 3))  # nothing lost, nothing twice
    assert type(events[-2]).__name__ == "AbsenceRecorded" and type(events[-1]).__name__ == "ContactRecorded"


def test_a_contact_is_not_refused_for_a_mentor_assigned_elsewhere(here_and_there: Processes) -> None:
    here, there = here_and_there
    case = referred(here).case  # remembered here without a mentor
    there.assign(case, "sara", on=TODAY)
    here.contact(case, on=TODAY)  # what here remembers would refuse it (R2); the store does not
    last = list(here.events.get(Pathway.id_for(case)))[-1]
    assert type(last).__name__ == "ContactRecorded" and last.mentor == "sara"
    assert here.refreshed == 1 and here.retried == 0


def test_a_release_elsewhere_is_respected(here_and_there: Processes) -> None:
    here, there = here_and_there
    case = referred(here).case
    here.assign(case, "sara", on=TODAY)  # remembered here with its mentor
    there.release(case, "moved away", on=TODAY)
    before = here.count_events()
    with pytest.raises(Refused, match=r"R2: .* has no mentor"):
        here.contact(case, on=TODAY)
    assert here.count_events() == before
    assert here.pathway(case).mentor is None and here.mentor("sara").cases == []


def test_a_refusal_stands_when_the_store_agrees(app: Brobyg) -> None:
    mentors(app)
    case = referred(app).case
    before = app.count_events()
    with pytest.raises(Refused, match="R2: "):
        app.contact(case, on=TODAY)
    with pytest.raises(Refused, match="R11: "):
        app.absence(case, 1, on=TODAY)
    assert app.count_events() == before


def test_an_aggregate_only_read_from_memory_is_checked_before_saving(here_and_there: Processes) -> None:
    here, there = here_and_there
    case = referred(here).case
    other = referred(here, person="Ida").case
    sara = here.mentor("sara")  # remembered here
    there.assign(other, "sara", on=TODAY)  # sara changes elsewhere
    seen: list[int] = []

    def note_what_sara_holds() -> tuple[None, list[Pathway]]:
        # A command that reads a mentor without saving it, and decides on what it read.
        mentor = here.load(Mentor.id_for("sara"), Mentor)
        assert mentor is not None
        seen.append(mentor.version)
        p = here.pathway(case)
        record_request(p, f"sara holds {mentor.cases}")
        return None, [p]

    here.run(note_what_sara_holds)
    assert seen[-1] == sara.version + 1  # decided on the store, not on what was remembered
    assert list(here.events.get(Pathway.id_for(case)))[-1].text == f"sara holds {[other]}"


def test_an_aggregate_returned_unchanged_from_memory_is_checked_before_saving(here_and_there: Processes) -> None:
    here, there = here_and_there
    case = referred(here).case
    other = referred(here, person="Ida").case
    here.mentor("sara")  # remembered here
    there.assign(other, "sara", on=TODAY)

    def note_and_return_sara() -> tuple[None, list[EventSourced]]:
        mentor = here.mentor("sara")
        p = here.pathway(case)
        record_request(p, f"sara holds {mentor.cases}")
        return None, [p, mentor]  # the mentor among what is saved, but with nothing new to save

    here.run(note_and_return_sara)
    assert list(here.events.get(Pathway.id_for(case)))[-1].text == f"sara holds {[other]}"
    assert here.mentor("sara").cases == [other]


def test_what_a_command_returns_or_leaves_half_done_is_not_remembered(app: Brobyg) -> None:
    mentors(app)
    case = basic_course(app).case
    returned = app.contact(case, on=TODAY)
    returned.grades["maths"] = 99  # a caller changing what it was given
    returned.entered.clear()

    def refused_after_recording() -> tuple[None, list[Pathway]]:
        p = app.pathway(case)
        record_request(p, "never saved")
        p.grades["danish"] = 0
        raise Refused([Violation("R2", "refused after recording")])

    with pytest.raises(Refused, match="R2: refused after recording"):
        app.run(refused_after_recording)
    app.request(case, "a bus card", on=TODAY)
    replayed = None
    for event in app.events.get(Pathway.id_for(case)):
        replayed = event.mutate(replayed)
    assert vars(app.pathway(case)) == vars(replayed)
    assert replayed.grades.get("maths") != 99 and replayed.grades.get("danish") != 0 and replayed.entered


def test_a_command_on_what_is_remembered_reads_nothing_before_saving(app: Brobyg, monkeypatch: pytest.MonkeyPatch) -> None:
    mentors(app)
    case = basic_course(app).case
    reads = reads_from_the_store(app, monkeypatch)
    app.contact(case, on=TODAY)
    app.request(case, "a bus card", on=TODAY)
    assert reads == []  # one round trip to the store per command: the save
    assert [type(e).__name__ for e in list(app.events.get(Pathway.id_for(case)))[-2:]] == ["ContactRecorded", "RequestRecorded"]


def test_a_pathway_others_write_to_is_read_first_until_they_stop(
    here_and_there: Processes, monkeypatch: pytest.MonkeyPatch
) -> None:
    here, there = here_and_there
    case = basic_course(here).case
    version = there.pathway(case).version  # both remember it now
    for _ in range(5):  # two coordinators taking turns on one pathway
        here.contact(case, on=TODAY)
        there.request(case, "a bus card", on=TODAY)
    # Each found its memory behind once, then read the newer events first, not a failed save each time.
    assert (here.refreshed, there.refreshed, here.retried, there.retried) == (1, 1, 0, 0)
    reads = reads_from_the_store(here, monkeypatch)
    for _ in range(4):  # the other has stopped: one read finds nothing new, and memory is trusted again
        here.contact(case, on=TODAY)
    assert len(reads) == 2 and here.refreshed == 1
    events = list(here.events.get(Pathway.id_for(case)))
    assert [e.originator_version for e in events] == list(range(1, version + 15))


@pytest.mark.parametrize("warm", [False, True])
def test_a_lost_save_counts_as_a_race_only_when_nothing_came_from_memory(
    here_and_there: Processes, warm: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup, app = here_and_there  # the second remembers nothing yet
    case = basic_course(setup).case
    if warm:
        app.contact(case, on=TODAY)
    save = app.save

    def lose_the_first(*args: object, **kwargs: object) -> object:
        monkeypatch.setattr(app, "save", save)
        raise IntegrityError("someone else saved first")

    monkeypatch.setattr(app, "save", lose_the_first)
    app.request(case, "a bus card", on=TODAY)
    # A race backs off before trying again; memory found behind is simply looked at again.
    assert (app.retried, app.refreshed) == ((0, 1) if warm else (1, 0))
    assert type(list(app.events.get(Pathway.id_for(case)))[-1]).__name__ == "RequestRecorded"


def test_what_a_batch_saved_is_remembered(app: Brobyg, monkeypatch: pytest.MonkeyPatch) -> None:
    mentors(app)
    earlier_case = basic_course(app).case  # remembered as it was before the batch
    with app.batch():  # as a simulation does: one writer's many commands
        app.contact(earlier_case, on=TODAY)
        new_case = referred(app, person="Ida").case
        app.assign(new_case, "sara", on=TODAY)
    reads = reads_from_the_store(app, monkeypatch)
    app.request(earlier_case, "a bus card", on=TODAY)
    app.contact(new_case, on=TODAY)
    assert reads == [] and (app.refreshed, app.retried) == (0, 0)  # no failed first attempt, no read
    events = list(app.events.get(Pathway.id_for(earlier_case)))
    assert [type(e).__name__ for e in events[-2:]] == ["ContactRecorded", "RequestRecorded"]


def test_what_a_discarded_batch_changed_is_not_remembered(app: Brobyg) -> None:
    mentors(app)
    case = basic_course(app).case
    version = app.pathway(case).version
    with pytest.raises(RuntimeError, match="stopped"), app.batch():
        app.contact(case, on=TODAY)
        raise RuntimeError("stopped before the batch was saved")
    assert app.pathway(case).version == version
    app.request(case, "a bus card", on=TODAY)
    assert app.pathway(case).version == version + 1 and (app.refreshed, app.retried) == (0, 0)


def versions_and_kinds(app: Brobyg, case: str) -> tuple[list[int], list[str]]:
    events = list(app.events.get(Pathway.id_for(case)))
    return [e.originator_version for e in events], [type(e).__name__ for e in events]


def test_a_batch_goes_no_further_after_a_command_failed_half_done(app: Brobyg) -> None:
    mentors(app)
    case = basic_course(app).case
    version = app.pathway(case).version

    def refused_after_recording() -> tuple[None, list[Pathway]]:
        record_request(app.pathway(case), "never saved")
        raise Refused([Violation("R2", "refused after recording")])

    with pytest.raises(RuntimeError, match="discarded after an error"), app.batch():
        app.contact(case, on=TODAY)
        with pytest.raises(RuntimeError, match="failed after recording"):
            app.run(refused_after_recording)  # a caller that catches this and goes on...
        app.request(case, "after the failure", on=TODAY)  # ...is stopped here
    app.request(case, "a bus card", on=TODAY)
    versions, kinds = versions_and_kinds(app, case)
    assert versions == list(range(1, version + 2)) and kinds[version:] == ["RequestRecorded"]  # nothing of the batch


def test_a_batch_that_lost_a_race_goes_no_further(here_and_there: Processes) -> None:
    here, there = here_and_there
    case = basic_course(here).case
    version = here.pathway(case).version
    with pytest.raises(RuntimeError, match="discarded after an error"), here.batch() as batch:
        here.contact(case, on=TODAY)
        there.request(case, "meanwhile", on=TODAY)  # another coordinator saves first
        with pytest.raises(Conflict, match="someone else wrote"):
            batch.flush()  # a caller that catches this and goes on...
        here.request(case, "after the conflict", on=TODAY)  # ...is stopped here
    here.contact(case, on=TODAY)  # and memory was not left ahead of the store
    versions, kinds = versions_and_kinds(here, case)
    assert versions == list(range(1, version + 3)) and kinds[version:] == ["RequestRecorded", "ContactRecorded"]
