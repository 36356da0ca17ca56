"""Roles on a shared PostgreSQL store, enforced by the database and tested with real logins:
a coordinator records but may not act for others, an admin may, a mentor records only on their
own caseload, an analyst reads the report views and nothing that names a person, and nobody
changes or deletes a stored event."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest

from brobyg.engine.store import parse_store_url
from tests import scenarios
from tests.helpers import (
    admin_role,
    as_login,
    count_events,
    drop_logins_and_roles,
    make_app,
    needs_pg,
    new_logins,
    pg_sql,
    run_cli,
)

pytestmark = needs_pg


@pytest.fixture
def staffed(pg_url: str) -> Iterator[tuple[str, dict[str, str], dict[str, str]]]:
    """A store its owner set up, two cases (sara's and peter's), and a login for each role."""
    app = make_app(pg_url)
    scenarios.mentors(app)
    cases = {"sara": scenarios.bridging(app, person="Jens").case}
    other = scenarios.referred(app, person="Åse", kui_contact=None).case
    app.assign(other, "peter", on=scenarios.D(2026, 9, 2))
    cases["peter"] = other
    app.close()
    logins = new_logins(pg_url)
    for role, login in logins.items():
        args = ["--mentor", "sara"] if role == "mentor" else []
        granted = run_cli(pg_url, "access", "grant", login, "--role", role, *args, "--json")
        assert granted.exit_code == 0, granted.output
        assert json.loads(granted.stdout) == {"login": login, "role": role, "mentor": "sara" if role == "mentor" else None}
    yield pg_url, logins, cases
    drop_logins_and_roles(pg_url, logins)


def test_the_owner_lists_who_holds_which_role(staffed: tuple) -> None:
    url, logins, _ = staffed
    listed = run_cli(url, "access", "list", "--json")
    assert json.loads(listed.stdout) == sorted(
        ({"login": login, "role": role, "mentor": "sara" if role == "mentor" else None} for role, login in logins.items()),
        key=lambda g: g["login"],
    )


def test_a_coordinator_records_but_only_an_admin_acts_for_someone_else(staffed: tuple) -> None:
    url, logins, cases = staffed
    coordinator, admin = as_login(url, logins["coordinator"]), as_login(url, logins["admin"])
    assert run_cli(coordinator, "contact", cases["peter"]).exit_code == 0
    adding = run_cli(coordinator, "mentor", "add", "bo", "--name", "Bo", "--kind", "lab")
    assert adding.exit_code == 1 and adding.stderr == (
        f"refused: mentor: the login {logins['coordinator']} (role coordinator) may not add mentors or partnerships; "
        "an admin does\n"
    )
    assert run_cli(admin, "mentor", "add", "bo", "--name", "Bo", "--kind", "lab").exit_code == 0
    refused = run_cli(coordinator, "contact", cases["peter"], actor="sara")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"refused: contact: the login {logins['coordinator']} may not act as sara (--as is for members of {admin_role(url)})\n"
    )
    assert run_cli(admin, "contact", cases["peter"], actor="sara").exit_code == 0
    history = json.loads(run_cli(url, "history", cases["peter"], "--json").stdout)
    assert [(e["actor"], e["login"]) for e in history[-2:]] == [
        (logins["coordinator"], logins["coordinator"]),
        ("sara", logins["admin"]),
    ]


def test_a_mentor_records_only_on_their_own_caseload(staffed: tuple) -> None:
    url, logins, cases = staffed
    mentor = as_login(url, logins["mentor"])
    assert run_cli(mentor, "contact", cases["sara"]).exit_code == 0
    before = count_events(url)
    for command in (
        ["contact", cases["peter"]],
        ["drop-out", cases["sara"], "--reason", "moved away"],
        ["refer", "Mo", "--born", "2004-01-01", "--readiness", "education-ready"],
    ):
        refused = run_cli(mentor, *command)
        assert refused.exit_code == 1 and refused.stdout == "", refused.output
        assert refused.stderr.startswith(f"refused: {command[0]}: the login {logins['mentor']} (role mentor")
        assert len(refused.stderr.splitlines()) == 1
    assert count_events(url) == before


def test_an_analyst_reads_the_report_views_and_nothing_naming_a_person(staffed: tuple) -> None:
    url, logins, _ = staffed
    analyst = as_login(url, logins["analyst"])
    schema = parse_store_url(url).schema
    refused = run_cli(analyst, "caseload")
    assert refused.exit_code == 1 and refused.stderr.startswith(
        f"refused: caseload: the login {logins['analyst']} (role analyst) reads only the report views"
    )
    assert sorted(pg_sql(analyst, f'SELECT state, pathways FROM "{schema}".report_states_by_cohort')) == [
        ("bridging", 1),
        ("referred", 1),
    ]
    for table in ("brobyg_events", "rm_pathways", "rm_contacts", "claims"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            pg_sql(analyst, f'SELECT * FROM "{schema}".{table}')


def test_no_role_changes_or_deletes_a_stored_event(staffed: tuple) -> None:
    url, logins, _ = staffed
    schema = parse_store_url(url).schema
    before = count_events(url)
    for login in logins.values():
        for statement in ("DELETE FROM {t}", "UPDATE {t} SET topic = topic", "TRUNCATE {t}"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                pg_sql(as_login(url, login), statement.format(t=f'"{schema}".brobyg_events'))
    assert count_events(url) == before


def test_a_revoked_login_can_no_longer_write(staffed: tuple) -> None:
    url, logins, cases = staffed
    assert json.loads(run_cli(url, "access", "revoke", logins["coordinator"], "--json").stdout)["revoked"] is True
    result = run_cli(as_login(url, logins["coordinator"]), "contact", cases["peter"])
    assert result.exit_code == 1 and "permission denied" in result.stderr


def test_roles_need_postgresql(tmp_path) -> None:
    db = str(tmp_path / "s.sqlite")
    make_app(db).close()
    result = run_cli(db, "access", "list")
    assert result.exit_code == 1
    assert (
        result.stderr
        == "refused: access: roles need a shared PostgreSQL store; on SQLite the file's permissions are the only guard\n"
    )


def test_only_an_admin_erases_a_person(staffed: tuple) -> None:
    url, logins, cases = staffed
    coordinator, admin = as_login(url, logins["coordinator"]), as_login(url, logins["admin"])
    before = count_events(url)
    for command in (["erase", cases["peter"], "--reason", "request"], ["retention"]):
        refused = run_cli(coordinator, *command)
        assert refused.exit_code == 1 and "may not erase" in refused.stderr, refused.output
    assert count_events(url) == before
    erased = run_cli(admin, "erase", cases["peter"], "--reason", "the person's request", "--json")
    assert erased.exit_code == 0, erased.output
    assert json.loads(run_cli(url, "show", cases["peter"], "--json").stdout)["person"] == "[erased]"
    schema = parse_store_url(url).schema
    assert not [k for k, holder in pg_sql(url, f'SELECT key, holder FROM "{schema}".claims') if holder == cases["peter"]]
