"""The access log: every command that shows a person's data first records who was shown which
case, when and by which command, in an append-only table of the store; if it cannot, it shows
nothing. `access-log` lists a case's entries and `subject-access` writes everything held about
the person; on PostgreSQL both are an admin's, and the database lets the other roles only add
entries."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from brobyg.engine.access_log import TABLE
from brobyg.engine.store import parse_store_url
from tests import scenarios
from tests.helpers import PG_URL, admin_role, as_login, drop_logins_and_roles, make_app, needs_pg, new_logins, pg_sql, run_cli


@pytest.fixture
def cases(db_url: str) -> dict[str, str]:
    """Two pathways: Jens's in bridging with sara and his grades, Åse's referred and with peter."""
    app = make_app(db_url)
    scenarios.mentors(app)
    jens = scenarios.admitted(app, person="Jens").case
    aase = scenarios.referred(app, person="Åse", kui_contact=None).case
    app.assign(aase, "peter", on=scenarios.D(2026, 9, 2))
    app.close()
    return {"jens": jens, "aase": aase}


def who(url: str) -> tuple[str, str]:
    """(by, login) the suite's runs are recorded with: on PostgreSQL the login acts, on SQLite
    the --as given (below) beside the operating-system login."""
    return ("postgres", "postgres") if url.startswith("postgresql") else ("ida", getpass.getuser())


def cli(url: str, *args: str) -> Any:
    return run_cli(url, *args, actor=None if url.startswith("postgresql") else "ida")


def log_of(url: str, case: str) -> list[dict[str, Any]]:
    listed = cli(url, "access-log", case, "--json")
    assert listed.exit_code == 0, listed.output
    return [e for e in json.loads(listed.stdout) if e["command"] != "access-log"]  # without the looks at the log


def test_each_showing_records_who_when_and_which_command(db_url: str, cases: dict[str, str], tmp_path: Path) -> None:
    jens, aase = cases["jens"], cases["aase"]
    before = dt.datetime.now(dt.UTC)
    for command in (
        ["show", jens],
        ["history", jens, "--json"],
        ["next", jens],
        ["risk", "--json"],
        ["caseload", "--mentor", "sara"],
        ["caseload"],  # counts only: names no case
        ["export", str(tmp_path / "log.jsonl")],
    ):
        assert cli(db_url, *command).exit_code == 0, command
    after = dt.datetime.now(dt.UTC)
    by, login = who(db_url)
    listed = cli(db_url, "access-log", jens, "--json")
    entries = json.loads(listed.stdout)
    assert [e["command"] for e in entries] == [
        "show",
        "history",
        "next",
        "risk",
        "caseload --mentor",
        "export",
        "access-log",
    ]
    assert {(e["by"], e["login"]) for e in entries} == {(by, login)}
    assert all(set(e) == {"at", "by", "login", "command"} for e in entries)
    times = [dt.datetime.fromisoformat(e["at"]) for e in entries]
    assert all(t.utcoffset() == dt.timedelta(0) for t in times)  # UTC, and saying so
    assert before <= times[0] and times == sorted(times) and times[-2] <= after <= times[-1]
    assert [e["command"] for e in log_of(db_url, aase)] == ["risk", "export"]  # only where Åse's case was shown


def test_risk_logs_each_case_it_shows_and_no_other(db_url: str, cases: dict[str, str]) -> None:
    shown = cli(db_url, "risk", "--limit", "1")
    assert shown.exit_code == 0
    first = next(case for case in cases.values() if case in shown.stdout)
    other = next(case for case in cases.values() if case != first)
    assert [e["command"] for e in log_of(db_url, first)] == ["risk"]
    assert log_of(db_url, other) == []
    listed = cli(db_url, "risk", "--json")  # --json lists every case, logged while the list is worked out
    assert listed.exit_code == 0
    assert [e["command"] for e in log_of(db_url, other)] == ["risk"]
    assert all(log_of(db_url, row["case"])[-1]["command"] == "risk" for row in json.loads(listed.stdout))


def test_exporting_to_standard_output_logs_every_case(db_url: str, cases: dict[str, str]) -> None:
    assert cli(db_url, "export", "-").exit_code == 0
    for case in cases.values():
        assert [e["command"] for e in log_of(db_url, case)] == ["export"]


def test_the_html_report_logs_the_cases_it_lists(db_url: str, cases: dict[str, str], tmp_path: Path) -> None:
    assert cli(db_url, "report", "html", "-o", str(tmp_path / "counts.html")).exit_code == 0  # names nobody
    assert cli(db_url, "report", "html", "--with-cases", "-o", str(tmp_path / "cases.html")).exit_code == 0
    page = (tmp_path / "cases.html").read_text(encoding="utf-8")
    listed = {name for name, case in cases.items() if case in page}
    assert listed  # the fixture's cases are at risk
    for name, case in cases.items():
        assert [e["command"] for e in log_of(db_url, case)] == (["report html --with-cases"] if name in listed else [])


def test_subject_access_writes_everything_held_about_the_person(db_url: str, cases: dict[str, str], tmp_path: Path) -> None:
    jens = cases["jens"]
    assert cli(db_url, "show", jens).exit_code == 0
    file = tmp_path / "jens.json"
    written = cli(db_url, "subject-access", jens, "-o", str(file), "--json")
    assert written.exit_code == 0, written.output
    assert json.loads(written.stdout) == {"case": jens, "file": str(file), "events": 5}
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    held = json.loads(file.read_text(encoding="utf-8"))
    assert held["case"] == jens and held["written_by"] == who(db_url)[0]
    events = held["events"]
    assert [(e["no"], e["event"]) for e in events] == [
        (1, "Referred"),
        (2, "MentorAssigned"),
        (3, "BridgingStarted"),
        (4, "Assessed"),
        (5, "Assessed"),
    ]
    assert (events[0]["person"], events[0]["born"]) == ("Jens", "2004-03-02")  # opened, not as stored
    assert [(e["mentor"], e["event"]) for e in held["mentor_events"]] == [("sara", "CaseTakenOn")]
    rows = held["read_models"]
    assert [r["case"] for r in rows["rm_pathways"]] == [jens]
    assert [r["state"] for r in rows["rm_transitions"]] == ["referred", "bridging"]
    assert [(r["subject"], r["grade"]) for r in rows["rm_assessments"]] == [("danish", 4), ("maths", 2)]
    assert rows["rm_contacts"] == []
    assert [(r["case"], r["person"], r["born"], r["state"], r["mentor"]) for r in rows["rm_people"]] == [
        (jens, "Jens", "2004-03-02", "bridging", "sara")  # the sealed person opened
    ]
    assert [e["command"] for e in held["access_log"]] == ["show", "subject-access"]  # this request too
    assert cases["aase"] not in file.read_text(encoding="utf-8")
    again = cli(db_url, "subject-access", jens, "-o", str(file))
    assert again.exit_code == 2 and "add --force to replace it" in again.stderr
    assert cli(db_url, "subject-access", jens, "-o", str(file), "--force").exit_code == 0


def test_a_failed_log_entry_shows_nothing(db_url: str, cases: dict[str, str], tmp_path: Path) -> None:
    jens, out = cases["jens"], tmp_path / "out"
    out.mkdir()
    assert cli(db_url, "show", jens).exit_code == 0  # the access log is there
    _refuse_inserts(db_url)
    for command in (
        ["show", jens],
        ["show", jens, "--json"],
        ["history", jens],
        ["next", jens, "--json"],
        ["risk"],
        ["risk", "--json"],  # its entries written while the list is worked out
        ["agenda", "--json"],  # its entries written while the names are opened
        ["caseload", "--mentor", "sara", "--json"],
        ["export", "-"],
        ["export", str(out / "log.jsonl")],
        ["subject-access", jens, "-o", str(out / "jens.json")],
        ["access-log", jens],
    ):
        result = cli(db_url, *command)
        assert result.exit_code == 1, command
        assert result.stdout == ""
        assert result.stderr.startswith("error: the access log could not be written (no room for the log)")
        assert result.stderr.endswith("so nothing is shown\n") and len(result.stderr.splitlines()) == 1
    assert list(out.iterdir()) == []  # neither file, nor a partial one
    assert cli(db_url, "caseload").exit_code == 0  # what names nobody is still shown


def test_the_access_log_is_never_changed_or_deleted(db_url: str, cases: dict[str, str]) -> None:
    assert cli(db_url, "show", cases["jens"]).exit_code == 0
    for statement in (f"UPDATE {{s}}{TABLE} SET command = 'nothing'", f"DELETE FROM {{s}}{TABLE}"):
        with pytest.raises((sqlite3.IntegrityError, psycopg.errors.InsufficientPrivilege), match="never changed or deleted"):
            _sql(db_url, statement)
    if db_url.startswith("postgresql"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="never changed or deleted"):
            _sql(db_url, f"TRUNCATE {{s}}{TABLE}")
    assert [e["command"] for e in log_of(db_url, cases["jens"])] == ["show"]


def test_the_access_log_holds_case_ids_and_logins_never_names(db_url: str, cases: dict[str, str]) -> None:
    assert cli(db_url, "show", cases["aase"]).exit_code == 0
    rows = _sql(db_url, f"SELECT * FROM {{s}}{TABLE}")
    assert len(rows) == 1 and not any("Åse" in str(value) for value in rows[0])


# --- roles on PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture
def staffed(pg_url: str) -> Iterator[tuple[str, dict[str, str], str]]:
    """A store its owner set up, Jens's case, and a login for each role."""
    app = make_app(pg_url)
    scenarios.mentors(app)
    case = scenarios.bridging(app, person="Jens").case
    app.close()
    logins = new_logins(pg_url)
    for role, login in logins.items():
        args = ["--mentor", "sara"] if role == "mentor" else []
        assert run_cli(pg_url, "access", "grant", login, "--role", role, *args).exit_code == 0
    yield pg_url, logins, case
    drop_logins_and_roles(pg_url, logins)


@needs_pg
def test_only_an_admin_reads_the_access_log_or_takes_a_subject_access(staffed: tuple, tmp_path: Path) -> None:
    url, logins, case = staffed
    for role in ("coordinator", "mentor"):
        login = logins[role]
        assert run_cli(as_login(url, login), "show", case).exit_code == 0
        for command, what in (
            (["access-log", case], "read the access log"),
            (["subject-access", case, "-o", str(tmp_path / "jens.json")], "take a subject access"),
        ):
            refused = run_cli(as_login(url, login), *command)
            assert refused.exit_code == 1 and refused.stdout == ""
            assert refused.stderr == (
                f"refused: {command[0]}: the login {login} may not {what} (it is for members of {admin_role(url)})\n"
            )
    assert not (tmp_path / "jens.json").exists()
    admin = as_login(url, logins["admin"])
    listed = json.loads(run_cli(admin, "access-log", case, "--json").stdout)
    assert [(e["by"], e["command"]) for e in listed] == [
        (logins["coordinator"], "show"),
        (logins["mentor"], "show"),
        (logins["admin"], "access-log"),
    ]
    assert run_cli(admin, "subject-access", case, "-o", str(tmp_path / "jens.json")).exit_code == 0
    assert run_cli(admin, "show", case, actor="sara").exit_code == 0  # acting for someone: both are recorded
    shown = json.loads(run_cli(admin, "access-log", case, "--json").stdout)[-2]
    assert (shown["by"], shown["login"], shown["command"]) == ("sara", logins["admin"], "show")


@needs_pg
def test_the_database_lets_the_other_roles_only_add_entries(staffed: tuple) -> None:
    url, logins, case = staffed
    table = f'"{parse_store_url(url).schema}".{TABLE}'
    entry = f"INSERT INTO {table} (at, by, login, case_id, command) VALUES (now(), 'x', 'x', '{case}', 'psql')"
    for role in ("coordinator", "mentor"):
        pg_sql(as_login(url, logins[role]), entry)
    for role, login in logins.items():
        statements = [f"SELECT * FROM {table}"] if role != "admin" else []
        statements += [f"UPDATE {table} SET command = 'x'", f"DELETE FROM {table}", f"TRUNCATE {table}"]
        if role == "analyst":
            statements.append(entry)
        for statement in statements:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                pg_sql(as_login(url, login), statement)
    assert len(pg_sql(as_login(url, logins["admin"]), f"SELECT * FROM {table}")) == 2


@needs_pg
def test_a_store_without_an_access_log_gets_one_from_its_owner(staffed: tuple) -> None:
    """A store set up before the access log existed: its owner's next reading command creates it,
    with the roles' grants; until then other logins are shown nothing."""
    url, logins, case = staffed
    pg_sql(url, f'DROP TABLE "{parse_store_url(url).schema}".{TABLE}')
    coordinator = as_login(url, logins["coordinator"])
    refused = run_cli(coordinator, "show", case)
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr == (
        f"error: the store has no access log yet and the login {logins['coordinator']} may not create it "
        "(its owner does, with brobyg access grant or any reading command), so nothing is shown\n"
    )
    assert run_cli(url, "show", case).exit_code == 0
    assert run_cli(coordinator, "show", case).exit_code == 0
    listed = json.loads(run_cli(url, "access-log", case, "--json").stdout)
    assert [(e["by"], e["command"]) for e in listed] == [
        ("postgres", "show"),
        (logins["coordinator"], "show"),
        ("postgres", "access-log"),
    ]


# --- helpers ------------------------------------------------------------------------------------------


def _sql(url: str, statement: str) -> list[tuple[Any, ...]]:
    """One statement on the store as its owner, as psql or sqlite3 would run it; `{s}` is where
    the store's schema goes on PostgreSQL."""
    store = parse_store_url(url)
    if store.is_sqlite:
        with sqlite3.connect(store.eventsourcing_env["SQLITE_DBNAME"]) as conn:
            return conn.execute(statement.replace("{s}", "")).fetchall()
    return pg_sql(url, statement.replace("{s}", f'"{store.schema}".'))


def _refuse_inserts(url: str) -> None:
    """The access log takes no more entries (a full disk, a revoked grant, …)."""
    if parse_store_url(url).is_sqlite:
        _sql(url, f"CREATE TRIGGER refuse BEFORE INSERT ON {TABLE} BEGIN SELECT RAISE(ABORT, 'no room for the log'); END")
        return
    _sql(url, "CREATE FUNCTION {s}refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE 'no room for the log'; END $$")
    _sql(url, f"CREATE TRIGGER refuse BEFORE INSERT ON {{s}}{TABLE} FOR EACH ROW EXECUTE FUNCTION {{s}}refuse()")


assert PG_URL is None or "postgres@" in PG_URL  # the tests log in as others by replacing this user
