"""Stored events outlive the code: a store written by an earlier shape of the events opens,
replays and grows with the present code.

tests/fixtures/store-0.1.sqlite was written before events recorded the login that wrote them
(event class version 1). Its three pathways hold 23 of the 26 kinds of event (not
MainCourseStarted, Qualified, Employed): Jens through bridging, a placement and a basic course
into an apprenticeship; Åse handed over, dropped out and re-referred; Mo with a KUI contact,
withdrawn. docs/events.md says how a shape changes.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from brobyg.domain import queries
from brobyg.domain.application import Brobyg
from brobyg.engine.transfer import export_log, import_log
from brobyg.projections.readmodels import ReadModels
from tests import scenarios
from tests.helpers import TODAY, assert_rebuild_changes_nothing, make_app, run_cli

FIXTURE = Path(__file__).parent / "fixtures" / "store-0.1.sqlite"

# What the code that wrote the fixture showed for each case.
CASES = {
    "BABQZQV": {"state": "apprenticeship", "episode": 1, "person": "Jens Hansen", "grades": {"danish": 4, "maths": 2}},
    "BXY7P9Q": {"state": "referred", "episode": 2, "person": "Åse Øberg", "grades": {}},
    "B6X9PS7": {"state": "withdrawn", "episode": 1, "person": "Mo Ali", "grades": {}},
}
EVENTS = {"BABQZQV": 16, "BXY7P9Q": 7, "B6X9PS7": 5}


@pytest.fixture
def old_store(tmp_path: Path) -> str:
    """A copy of the fixture store, opened where a user's store would be."""
    copy = tmp_path / "store-0.1.sqlite"
    shutil.copyfile(FIXTURE, copy)
    return str(copy)


@pytest.fixture
def old_events(db_url: str, old_store: str) -> str:
    """The fixture's log, exported as the earlier code stored it and imported into an empty
    store of each kind (on PostgreSQL this is how an old shape arrives)."""
    source = make_app(old_store)
    out = io.StringIO()
    try:
        export_log(source, out)
    finally:
        source.close()
    target = make_app(db_url)
    try:
        import_log(target, out.getvalue().splitlines())
    finally:
        target.close()
    return db_url


def summary(app: Brobyg, case: str) -> dict[str, Any]:
    p = app.pathway(case)
    return {"state": p.state, "episode": p.episode, "person": p.person, "grades": dict(p.grades)}


def test_the_fixture_predates_the_login() -> None:
    """What the fixture holds: version-1 events, no login in any of them."""
    import sqlite3

    with sqlite3.connect(FIXTURE) as conn:
        states = [json.loads(row[0]) for row in conn.execute("SELECT state FROM stored_events")]
    assert len(states) == 39
    assert not any("login" in s or "class_version" in s for s in states)


def test_every_pathway_replays_as_it_was_written(old_events: str) -> None:
    app = make_app(old_events)
    try:
        assert {case: summary(app, case) for case in CASES} == CASES
        assert app.mentor("peter").capacity == 15 and app.partnership("aarhus").id
        for case, count in EVENTS.items():
            entries = queries.history(app, case)
            assert len(entries) == count
            assert {e.login for e in entries} == {None}  # not recorded then, and not made up now
            assert {e.actor for e in entries} == {"coordinator"}
    finally:
        app.close()


def test_a_new_event_on_an_old_stream_records_its_login(old_events: str) -> None:
    app = make_app(old_events)
    try:
        app.qualify("BABQZQV", on=TODAY)
        entries = queries.history(app, "BABQZQV")
        assert [e.login for e in entries] == [None] * EVENTS["BABQZQV"] + [app.login]
        assert entries[-1].event == "Qualified" and app.pathway("BABQZQV").state == "qualified"
        stored = app.recorder.select_events(app.pathway("BABQZQV").id)[-1]
        state = json.loads(stored.state)
        assert state["class_version"] == 2 and state["login"] == app.login
    finally:
        app.close()


def test_read_models_built_from_old_and_new_events_equal_a_rebuild(old_events: str) -> None:
    app = make_app(old_events)
    try:
        app.assign("BXY7P9Q", "peter", on=TODAY)
        read_models = ReadModels(app)
        read_models.catch_up()
        caseload = {m["mentor"]: m["active"] for m in read_models.caseload(TODAY)}
        assert caseload == {"peter": 1, "sara": 0}
        assert_rebuild_changes_nothing(read_models)
    finally:
        app.close()


def test_the_command_line_reads_the_old_store_in_place(old_store: str) -> None:
    """The upgrade a user of the embedded store makes: install the new code, run it on the file."""
    shown = run_cli(old_store, "show", "BABQZQV", "--json")
    assert shown.exit_code == 0, shown.output
    assert {k: json.loads(shown.stdout)[k] for k in ("state", "person", "grades")} == {
        "state": "apprenticeship",
        "person": "Jens Hansen",
        "grades": {"danish": "4", "maths": "02"},
    }
    history = run_cli(old_store, "history", "BXY7P9Q", "--json")
    assert history.exit_code == 0, history.output
    assert [(e["event"], e["login"]) for e in json.loads(history.stdout)][:2] == [
        ("Referred", None),
        ("MentorAssigned", None),
    ]
    written = run_cli(old_store, "contact", "BXY7P9Q", "--on", TODAY.isoformat(), actor="sara")
    assert (written.exit_code, written.stdout) == (1, "")  # the old stream is refused as it always was
    assert written.stderr.startswith("refused: R2: BXY7P9Q has no mentor")
    assigned = run_cli(old_store, "assign", "BXY7P9Q", "peter", actor="sara")
    assert assigned.exit_code == 0, assigned.output
    last = json.loads(run_cli(old_store, "history", "BXY7P9Q", "--json").stdout)[-1]
    assert (last["event"], last["actor"]) == ("MentorAssigned", "sara") and last["login"]


def test_erasing_a_person_stored_before_encryption_warns_that_the_log_keeps_them(old_store: str, tmp_path: Path) -> None:
    case = sorted(CASES)[0]
    erased = run_cli(old_store, "erase", case, "--reason", "the person's request")
    assert erased.exit_code == 0
    assert any(line.startswith(f"warning: {case} has personal fields stored in clear") for line in erased.stderr.splitlines())
    fresh = str(tmp_path / "new.sqlite")
    app = make_app(fresh)
    scenarios.mentors(app)
    new_case = scenarios.referred(app).case
    app.close()
    quiet = run_cli(fresh, "erase", new_case, "--reason", "the person's request")
    assert quiet.exit_code == 0 and quiet.stderr == ""
