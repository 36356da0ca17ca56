"""Who acts: on PostgreSQL the actor is the database login, and only an admin may act for
someone else (both are then recorded); on SQLite the operating-system login is recorded beside
--as. The stored events cannot be changed or deleted, not even by the store's owner."""

from __future__ import annotations

import getpass
import json
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from brobyg.engine.store import parse_store_url
from tests.helpers import PG_URL, admin_role, as_login, count_events, needs_pg, pg_sql, run_cli

MENTOR = ["mentor", "add", "ida", "--name", "Ida Berg", "--kind", "lab"]


@pytest.fixture
def coordinator(pg_url: str) -> Iterator[str]:
    """A login of its own that may use the store its owner created, as a coordinator's would."""
    assert run_cli(pg_url, "mentor", "add", "sara", "--name", "Sara Holm", "--kind", "kui").exit_code == 0
    assert run_cli(pg_url, "caseload").exit_code == 0  # the read models' tables, made by the owner
    login = f"coordinator_{uuid.uuid4().hex[:8]}"
    schema = parse_store_url(pg_url).schema
    pg_sql(pg_url, f'CREATE ROLE "{login}" LOGIN')
    for grant in (
        f'GRANT USAGE ON SCHEMA "{schema}" TO "{login}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO "{login}"',
        f'REVOKE UPDATE, DELETE ON "{schema}".brobyg_events FROM "{login}"',  # the log only grows
        f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{login}"',
    ):
        pg_sql(pg_url, grant)
    yield login
    pg_sql(pg_url, f'DROP OWNED BY "{login}"')
    pg_sql(pg_url, f'DROP ROLE "{login}"')


@needs_pg
def test_the_actor_is_the_database_login(pg_url: str, coordinator: str) -> None:
    url = as_login(pg_url, coordinator)
    assert run_cli(url, *MENTOR).exit_code == 0  # no --as: the login acts
    before = count_events(pg_url)
    refused = run_cli(url, "mentor", "add", "bo", "--name", "Bo", "--kind", "lab", actor="Datatilsynet")
    assert refused.exit_code == 1 and refused.stdout == ""
    assert (
        refused.stderr == f"refused: mentor: the login {coordinator} may not act as Datatilsynet "
        f"(--as is for members of {admin_role(pg_url)})\n"
    )
    assert count_events(pg_url) == before
    app_events = _actors(pg_url)
    assert app_events[-1] == (coordinator, coordinator)


@needs_pg
def test_an_admin_may_act_for_someone_else_and_both_are_recorded(pg_url: str) -> None:
    assert run_cli(pg_url, *MENTOR, actor="sara").exit_code == 0  # postgres owns the store
    assert _actors(pg_url)[-1] == ("sara", "postgres")


def test_on_sqlite_the_os_login_is_recorded_beside_as(tmp_path) -> None:
    db = str(tmp_path / "s.sqlite")
    assert run_cli(db, *MENTOR, actor="sara").exit_code == 0
    assert _actors(db) == [("sara", getpass.getuser())]


@needs_pg
def test_no_login_changes_or_deletes_a_stored_event(pg_url: str, coordinator: str) -> None:
    schema = parse_store_url(pg_url).schema
    events = f'"{schema}".brobyg_events'
    for url, why in ((as_login(pg_url, coordinator), "permission denied"), (pg_url, "never changed or deleted")):
        for statement in (f"DELETE FROM {events}", f"UPDATE {events} SET topic = topic", f"TRUNCATE {events}"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match=why):
                pg_sql(url, statement)
    assert count_events(pg_url) == 1


def _actors(url: str) -> list[tuple[str, str]]:
    """(actor, login) of every event, oldest first, as `history --json` of the mentors shows them."""
    from tests.helpers import make_app

    app = make_app(url)
    try:
        found = []
        start = 1
        while page := app.recorder.select_notifications(start=start, limit=100):
            for n in page:
                state = json.loads(n.state)
                found.append((state["actor"], state["login"]))
            start = page[-1].id + 1
        return found
    finally:
        app.close()


assert PG_URL is None or "postgres@" in PG_URL  # the tests log in as others by replacing this user
