"""A reading command reads a caught-up store without building the event-sourced application
(`engine.reader`), on PostgreSQL as on SQLite, and asks the store what the application would:
whether it is whole, who reads (their role, `--as`), the master key, the log's settled head."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from brobyg.engine.clock import Clock
from brobyg.engine.store import parse_store_url
from tests import scenarios
from tests.helpers import TODAY, as_login, drop_logins_and_roles, make_app, needs_pg, new_logins, read_alone, run_cli


def test_the_names_the_reader_looks_for_are_the_applications() -> None:
    from brobyg.cli.app import EVENTS_TABLE
    from brobyg.domain.application import Brobyg
    from brobyg.engine import access_log, claims_postgres, reader

    assert Brobyg.events_table() == EVENTS_TABLE
    assert reader.SETTLED_FUNCTION == claims_postgres.SETTLED_FUNCTION
    made = (claims_postgres.RECORD_FUNCTION, claims_postgres.NOTIFY_FUNCTION, claims_postgres.APPEND_ONLY)
    assert set(reader.PG_FUNCTIONS) == {*made, claims_postgres.SETTLED_FUNCTION}
    assert reader.PG_TRIGGERS == (claims_postgres.APPEND_ONLY, claims_postgres.APPEND_ONLY + "_truncate")
    assert reader.ACCESS_LOG == access_log.TABLE
    assert reader.ACCESS_LOG_TRIGGERS == (access_log.APPEND_ONLY, access_log.APPEND_ONLY + "_truncate")


@needs_pg
@pytest.mark.parametrize("command", [["caseload"], ["risk"], ["agenda"]])
def test_a_json_read_on_postgresql_builds_no_application(pg_url: str, command: list[str]) -> None:
    app = make_app(pg_url)
    scenarios.mentors(app)
    case = scenarios.bridging(app, person="Jens").case
    app.close()
    behind, first = read_alone(pg_url, *command)  # catching up decodes the log
    assert behind == ["eventsourcing.application", "brobyg.domain.application"]
    # Until a command shows someone's data, the store has no access log: the application reads,
    # so that the owner's first such command makes it (`engine.access_log`), as before.
    assert run_cli(pg_url, "risk", "--json").exit_code == 0
    caught_up, again = read_alone(pg_url, *command)
    assert caught_up == []
    assert again == first
    assert run_cli(pg_url, "contact", case, "--channel", "phone").exit_code == 0
    after_a_write, _ = read_alone(pg_url, *command)
    assert after_a_write == ["eventsourcing.application", "brobyg.domain.application"]


@needs_pg
def test_the_reader_asks_the_store_what_the_application_asks(pg_url: str) -> None:
    from brobyg.engine.access import grant_of, role_name
    from brobyg.engine.identity import is_admin
    from brobyg.engine.reader import Reader

    app = make_app(pg_url)
    scenarios.mentors(app)
    scenarios.bridging(app, person="Jens")
    assert run_cli(pg_url, "caseload").exit_code == 0  # the owner's first read makes the access log
    logins = new_logins(pg_url)
    try:
        for role, login in logins.items():
            args = ["--mentor", "sara"] if role == "mentor" else []
            assert run_cli(pg_url, "access", "grant", login, "--role", role, *args).exit_code == 0
        for login in [*logins.values(), "postgres"]:
            url = as_login(pg_url, login)
            reader = Reader(parse_store_url(url), Clock(TODAY), login, lambda: None, events_table=app.events_table())
            other = make_app(pg_url) if login == "postgres" else None
            try:
                assert reader.ready()
                assert reader.login == login
                assert reader.grant_of(login) == grant_of(app, login)
                assert reader.role_name("admin") == role_name(app, "admin")
                if login == "postgres":
                    assert reader.is_admin() == is_admin(app) is True
                    assert reader.log_head() == app.log_head()
                    assert reader.is_simulated() == app.is_simulated()
            finally:
                reader.sql_engine.dispose()
                if other is not None:
                    other.close()
    finally:
        app.close()
        drop_logins_and_roles(pg_url, logins)


@needs_pg
def test_a_reader_refuses_as_the_application_does(pg_url: str) -> None:
    """Reading through the reader, a coordinator may not act for someone else and an analyst
    reads nothing: in the application's words."""
    app = make_app(pg_url)
    scenarios.mentors(app)
    scenarios.bridging(app, person="Jens")
    app.close()
    assert run_cli(pg_url, "risk", "--json").exit_code == 0
    logins = new_logins(pg_url)
    try:
        for role in ("coordinator", "analyst"):
            assert run_cli(pg_url, "access", "grant", logins[role], "--role", role).exit_code == 0
        coordinator = as_login(pg_url, logins["coordinator"])
        acting = run_cli(coordinator, "risk", "--json", actor="someone")
        assert acting.exit_code == 1
        assert f"the login {logins['coordinator']} may not act as someone" in acting.output
        assert run_cli(coordinator, "risk", "--json").exit_code == 0
        analyst = run_cli(as_login(pg_url, logins["analyst"]), "risk", "--json")
        assert analyst.exit_code == 1 and "(role analyst) reads only the report views" in analyst.output
    finally:
        drop_logins_and_roles(pg_url, logins)


@needs_pg
def test_reading_by_key_sets_the_planner_back(pg_url: str) -> None:
    import sqlalchemy as sa

    from brobyg.projections.readmodels import ReadModels
    from brobyg.projections.timeline import load_timelines

    app = make_app(pg_url)
    scenarios.mentors(app)
    p = scenarios.bridging(app, person="Jens")
    read_models = ReadModels(app)
    read_models.catch_up()
    asked = sa.text("SELECT current_setting('enable_seqscan'), current_setting('max_parallel_workers_per_gather')")
    try:
        with app.sql_engine.connect() as conn:
            before = conn.execute(asked).one()
            timelines = load_timelines(conn, TODAY, [p.id.hex], recent=TODAY - dt.timedelta(days=120))
            after = conn.execute(asked).one()
        assert tuple(after) == tuple(before) and before[0] == "on"
        assert list(timelines) == [p.id.hex] and timelines[p.id.hex].state_on(TODAY) == p.state
    finally:
        app.close()


def test_a_sqlite_store_an_older_brobyg_made_is_read_through_the_application(tmp_path: Path) -> None:
    """No read-model tables yet: the application makes them, as before."""
    db = str(tmp_path / "old.sqlite")
    app = make_app(db)
    scenarios.mentors(app)
    app.close()
    loaded, rows = read_alone(db, "caseload")
    assert "brobyg.domain.application" in loaded
    assert [r["mentor"] for r in rows] == sorted(r["mentor"] for r in rows)  # type: ignore[union-attr]
