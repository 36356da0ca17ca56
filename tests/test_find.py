"""Finding a case (issue 17): `brobyg find` by a part of the person's reference, however it is
typed, or by the case id; narrowed by mentor and state; every case shown is in the access log;
the read model it searches holds the person sealed, an erased person never matches; and
`mentor list`, and the names beside the ids in caseload and risk tables."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brobyg.projections.people import people
from brobyg.projections.readmodels import ReadModels
from tests import scenarios
from tests.helpers import assert_rebuild_changes_nothing, count_events, make_app, run_cli

D = scenarios.D


@pytest.fixture
def cases(db_url: str) -> dict[str, str]:
    """Åse Øberg in bridging with sara since 3 September; Jens Hansen referred; Aase Berg (25,
    via the jobcentre) with peter; Ole Åberg referred and then dropped out."""
    app = make_app(db_url)
    scenarios.mentors(app)
    aase = scenarios.bridging(app, person="Åse Øberg").case
    jens = scenarios.referred(app, person="Jens Hansen", kui_contact=None).case
    berg = app.refer("Aase Berg", D(2000, 5, 6), "education-ready", on=D(2026, 9, 1)).case
    app.assign(berg, "peter", on=D(2026, 9, 2))
    ole = app.refer("Ole Åberg", D(2001, 1, 1), "education-ready", via="jobcentre", on=D(2026, 9, 1)).case
    app.drop_out(ole, "moved away", on=D(2026, 10, 1))
    app.close()
    return {"aase": aase, "jens": jens, "berg": berg, "ole": ole}


def found(url: str, *args: str) -> list[dict[str, Any]]:
    result = run_cli(url, "find", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def cases_found(url: str, *args: str) -> list[str]:
    return [r["case"] for r in found(url, *args)]


def test_a_part_of_the_name_finds_the_case_however_it_is_typed(db_url: str, cases: dict[str, str]) -> None:
    aase, berg = cases["aase"], cases["berg"]
    assert found(db_url, "øberg") == [
        {"case": aase, "person": "Åse Øberg", "born": "2004-03-02", "state": "bridging", "mentor": "sara", "since": "2026-09-03"}
    ]
    # capitals, no accents, decomposed, spaces, an invisible character
    for typed in ("ØBERG", "oberg", "A\u030ase Ø", "ase  øb", "Åse\u200b Øberg"):
        assert cases_found(db_url, typed) == [aase], typed
    assert cases_found(db_url, "berg") == [berg, aase]  # by person: Aase Berg before Åse Øberg
    assert cases_found(db_url, "nobody") == []


def test_the_case_id_finds_its_case_in_any_case(db_url: str, cases: dict[str, str]) -> None:
    jens = cases["jens"]
    assert cases_found(db_url, jens) == [jens]
    assert cases_found(db_url, f" {jens.lower()} ") == [jens]


def test_active_pathways_unless_all_or_an_outcome_state(db_url: str, cases: dict[str, str]) -> None:
    assert cases["ole"] not in cases_found(db_url)
    assert cases_found(db_url, "åberg") == []
    ended = found(db_url, "åberg", "--all")
    assert [(r["case"], r["state"], r["since"], r["mentor"]) for r in ended] == [
        (cases["ole"], "dropped_out", "2026-10-01", None)
    ]
    assert cases_found(db_url, "--state", "dropped-out") == [cases["ole"]]  # an outcome state looks among ended ones
    assert sorted(cases_found(db_url, "--all")) == sorted(cases.values())


def test_mentor_and_state_narrow_the_list(db_url: str, cases: dict[str, str]) -> None:
    assert cases_found(db_url, "--mentor", "peter") == [cases["berg"]]
    assert cases_found(db_url, "berg", "--mentor", "SARA") == [cases["aase"]]
    assert sorted(cases_found(db_url, "--state", "referred")) == sorted([cases["jens"], cases["berg"]])
    assert cases_found(db_url, "--state", "bridging", "--mentor", "peter") == []


def test_unknown_mentor_and_state_are_refused(db_url: str, cases: dict[str, str]) -> None:
    unknown = run_cli(db_url, "find", "--mentor", "nobody")
    assert unknown.exit_code == 1 and "nobody" in unknown.stderr
    assert run_cli(db_url, "find", "--state", "asleep").exit_code == 2


@pytest.mark.parametrize("command", [["find"], ["caseload"], ["agenda"]])
def test_an_unknown_mentor_is_said_in_one_line_and_a_known_one_is_named(
    db_url: str, cases: dict[str, str], command: list[str]
) -> None:
    """The mentor is looked up in the read models (a mentor's stream grows with every case taken
    on): an unknown one is the same one-line error the application gives, and nothing is written."""
    before = count_events(db_url)
    unknown = run_cli(db_url, *command, "--mentor", "nobody")
    assert unknown.exit_code == 1
    assert unknown.stderr.strip().splitlines() == ["error: no mentor 'nobody' (brobyg mentor add nobody --name … --kind …)"]
    assert run_cli(db_url, *command, "--mentor", "sara", "--json").exit_code == 0
    assert count_events(db_url) == before
    rm = ReadModels(make_app(db_url))
    assert rm.mentor_name("sara") == "Sara Holm"
    rm.app.close()


def test_the_names_beside_a_list_are_looked_up_by_case_not_by_reading_every_person(tmp_path: Path) -> None:
    """A list shows the person beside each case (`names`): found through an index on the case,
    not by scanning the people of every year (at 100,000 pathways, a second per 6,000 names)."""
    import sqlite3

    db = str(tmp_path / "names.sqlite")
    app = make_app(db)
    scenarios.mentors(app)
    case = scenarios.bridging(app, person="Jens").case
    rm = ReadModels(app)
    assert rm.names([case]) == {case: "Jens"}
    plan = sqlite3.connect(db).execute('EXPLAIN QUERY PLAN SELECT stream, sealed FROM rm_people WHERE "case" IN (?)', [case])
    assert [step for *_, step in plan] == ["SEARCH rm_people USING INDEX ix_rm_people_case (case=?)"]
    app.close()


def test_the_table_names_the_cases_and_each_case_shown_is_logged(db_url: str, cases: dict[str, str]) -> None:
    shown = run_cli(db_url, "find", "berg")
    assert shown.exit_code == 0, shown.output
    assert "Åse Øberg" in shown.stdout and "Aase Berg" in shown.stdout and "Jens" not in shown.stdout
    for name, case in cases.items():
        log = json.loads(run_cli(db_url, "access-log", case, "--json").stdout)
        assert [e["command"] for e in log if e["command"] != "access-log"] == (["find"] if name in ("aase", "berg") else [])
    assert "no case found" in run_cli(db_url, "find", "nobody").stdout


def test_the_table_shows_a_limited_number_and_logs_only_those(db_url: str, cases: dict[str, str]) -> None:
    shown = run_cli(db_url, "find", "--limit", "1")
    assert shown.exit_code == 0 and "the first 1 of 3" in shown.stdout
    logged = [c for c in cases.values() if len(json.loads(run_cli(db_url, "access-log", c, "--json").stdout)) > 1]
    assert logged == [c for c in cases.values() if c in shown.stdout] and len(logged) == 1


def test_an_erased_person_reads_erased_and_never_matches(db_url: str, cases: dict[str, str]) -> None:
    app = make_app(db_url)
    app.erase(cases["aase"], "asked to be forgotten")
    app.close()
    assert cases_found(db_url, "øberg") == []
    assert cases_found(db_url, "erased") == []
    listed = {r["case"]: r for r in found(db_url)}
    assert (listed[cases["aase"]]["person"], listed[cases["aase"]]["born"]) == ("[erased]", None)
    assert cases_found(db_url, cases["aase"]) == [cases["aase"]]  # still found by its id


def test_the_read_model_holds_no_name_in_clear_and_equals_a_rebuild(db_url: str, cases: dict[str, str]) -> None:
    app = make_app(db_url)
    read_models = ReadModels(app)
    read_models.catch_up()
    with read_models.engine.connect() as conn:
        sealed = [row.sealed for row in conn.execute(sa.select(people))]
    assert len(sealed) == 4 and all(blob is not None for blob in sealed)
    for secret in ("Øberg".encode(), b"Hansen", b"2004-03-02", "Øberg".encode().hex().encode()):
        assert not any(secret in blob for blob in sealed)
    assert_rebuild_changes_nothing(read_models)  # sealed the same way twice: the same bytes
    app.erase(cases["jens"], "asked to be forgotten")
    read_models.catch_up()
    assert_rebuild_changes_nothing(read_models)  # the erased person's row is empty either way
    with read_models.engine.connect() as conn:
        assert conn.execute(sa.select(people.c.sealed).where(people.c.sealed.is_(None))).all() != []
    app.close()


def test_mentor_list_shows_name_kind_capacity_and_load(db_url: str, cases: dict[str, str]) -> None:
    listed = run_cli(db_url, "mentor", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == [
        {"mentor": "peter", "name": "Peter Lund", "kind": "lab", "capacity": 20, "load": 1},
        {"mentor": "sara", "name": "Sara Holm", "kind": "kui", "capacity": 20, "load": 1},
    ]
    table = run_cli(db_url, "mentor", "list")
    assert "Peter Lund" in table.stdout and "Sara Holm" in table.stdout


def test_caseload_and_risk_tables_name_the_cases_and_their_json_does_not(db_url: str, cases: dict[str, str]) -> None:
    caseload = run_cli(db_url, "caseload", "--mentor", "sara")
    assert caseload.exit_code == 0 and "Åse Øberg" in caseload.stdout and "Aase Berg" not in caseload.stdout
    risk = run_cli(db_url, "risk", "--limit", "0")
    assert risk.exit_code == 0 and all(name in risk.stdout for name in ("Åse Øberg", "Jens Hansen", "Aase Berg"))
    for command in (["caseload", "--mentor", "sara"], ["risk"]):
        assert "Øberg" not in run_cli(db_url, *command, "--json").stdout


def test_a_store_written_before_sealing_is_searched_too(tmp_path: Path) -> None:
    """Its events hold the names in clear and no data key: nothing is sealed in the read model,
    and `find` reads those people from their events."""
    store = tmp_path / "store-0.1.sqlite"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "store-0.1.sqlite", store)
    assert [(r["person"], r["born"], r["state"]) for r in found(str(store), "øberg")] == [("Åse Øberg", "1999-06-30", "referred")]
    assert [r["person"] for r in found(str(store), "--all")] == ["Åse Øberg", "Jens Hansen", "Mo Ali"]


def test_any_text_finds_or_is_refused_as_input_never_breaks(db_url: str, cases: dict[str, str]) -> None:
    from tests.test_fuzz_cli import nasty_text

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(nasty_text, st.sampled_from([[], ["--all"], ["--mentor", "sara"], ["--state", "referred"]]))
    def run(text: str, options: list[str]) -> None:
        result = run_cli(db_url, "find", *options, "--json", "--", text)
        assert result.exit_code in (0, 2), (text, result.output[-300:], result.exception)
        assert result.exit_code == 0 or "control characters" in result.output or "characters long" in result.output
        if result.exit_code == 0:
            listed = json.loads(result.stdout)
            assert all(r["case"] in cases.values() for r in listed)

    run()


def test_an_undone_transition_and_an_earlier_day_are_found_as_they_stand(db_url: str, cases: dict[str, str]) -> None:
    app = make_app(db_url)
    ole = cases["ole"]
    dropped = app.pathway(ole).version  # the drop-out is the latest event
    app.void(ole, dropped, "recorded on the wrong case")
    read_models = ReadModels(app)
    read_models.catch_up()
    assert_rebuild_changes_nothing(read_models)
    app.close()
    assert [(r["case"], r["state"], r["since"]) for r in found(db_url, "åberg")] == [(ole, "referred", "2026-09-01")]
    # The day before the bridging started: Åse was referred, with sara already assigned.
    before = run_cli(db_url, "find", "øberg", "--json", today="2026-09-02")
    assert [(r["state"], r["since"], r["mentor"]) for r in json.loads(before.stdout)] == [("referred", "2026-09-01", "sara")]
    assert json.loads(run_cli(db_url, "find", "--all", "--json", today="2026-08-31").stdout) == []  # nobody referred yet
    load = json.loads(run_cli(db_url, "mentor", "list", "--json", today="2026-09-01").stdout)
    assert [(m["mentor"], m["load"]) for m in load] == [("peter", 0), ("sara", 0)]
