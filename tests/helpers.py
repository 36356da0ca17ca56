"""What tests share: the day they run on, the stores they open, the command line they type.

Fixtures live in conftest.py; everything a test imports by name lives here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from brobyg.cli.main import cli
from brobyg.domain.application import Brobyg
from brobyg.engine.clock import Clock
from brobyg.engine.store import parse_store_url, with_schema
from brobyg.projections.readmodels import ReadModels

TODAY = dt.date(2026, 11, 26)
PG_URL = os.environ.get("BROBYG_TEST_PG")
NO_PG = "BROBYG_TEST_PG is not set (make test sets it)"

needs_pg = pytest.mark.skipif(not PG_URL, reason=NO_PG)


def new_pg_store() -> tuple[str, str]:
    """The URL of an empty PostgreSQL store in a schema of its own, and that schema."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    return with_schema(PG_URL or "", schema), schema


def drop_pg_schema(schema: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(parse_store_url(PG_URL or "").sqlalchemy_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()


def make_app(url: str, today: dt.date = TODAY, actor: str = "tester", seed: int | None = 7) -> Brobyg:
    return Brobyg(parse_store_url(url), Clock(today), actor, seed=seed)


def count_events(url: str) -> int:
    """How many events the store holds, counted (on PostgreSQL the log's head may be higher: a
    save that lost a race took a notification id it never used)."""
    import sqlalchemy as sa

    app = make_app(url)
    try:
        table = "stored_events" if app.store.is_sqlite else f'"{app.recorder.datastore.schema}"."{app.events_table()}"'
        with app.sql_engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        app.close()


def assert_rebuild_changes_nothing(read_models: ReadModels) -> None:
    """Read models kept up to date page by page equal the same read models rebuilt from the log."""
    incremental = read_models.dump()
    read_models.rebuild()
    assert read_models.dump() == incremental


def run_cli(db: str, *args: str, today: dt.date | str = TODAY, actor: str | None = None) -> Result:
    """`brobyg --db DB --today DATE [--as ACTOR] ARGS…`, in-process."""
    argv = ["--db", db, "--today", str(today)]
    if actor is not None:
        argv += ["--as", actor]
    return CliRunner().invoke(cli, [*argv, *args])


# What a reading command should not need on a caught-up store.
HEAVY = ("eventsourcing.application", "brobyg.domain.application", "rich", "babel")


def read_alone(db: str, *command: str, lang: str | None = None) -> tuple[list[str], Any]:
    """`brobyg --db DB --today DATE COMMAND… --json` in a process of its own (in `lang`, if
    given): which of `HEAVY` it imported, and what it printed."""
    code = (
        "import sys\n"
        f"sys.argv = ['brobyg', '--db', {db!r}, '--today', {str(TODAY)!r}, *{list(command)!r}, '--json']\n"
        "from brobyg.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        f"print(*[m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)\n"
    )
    env = {**os.environ, **({"BROBYG_LANG": lang} if lang else {})}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    return done.stderr.split(), json.loads(done.stdout)


def installed_brobyg() -> str:
    """The `brobyg` console script of the environment running the tests (beside its interpreter)."""
    folder = Path(sys.executable).parent
    found = shutil.which("brobyg", path=str(folder))
    if found is None:
        pytest.fail(f"no brobyg console script in {folder}: install the package into this environment (pip install -e '.[dev]')")
    return found


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll `condition` until it holds; fail naming `what` if it does not within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:g} s for {what}")
        time.sleep(0.05)


# --- logins of their own on PostgreSQL (roles and who acts) --------------------------------------------


def pg_sql(url: str, statement: str) -> list[tuple[Any, ...]]:
    """Run one statement as the URL's login, as psql would; the rows it returns, if any."""
    import psycopg

    with psycopg.connect(parse_store_url(url).libpq_url, autocommit=True) as conn:
        cursor = conn.execute(statement)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


def as_login(url: str, login: str) -> str:
    """The same PostgreSQL store, logged in as `login` (the suite's URL logs in as postgres)."""
    return url.replace("postgres@", f"{login}@", 1)


def admin_role(url: str) -> str:
    from brobyg.engine.access import role_name

    app = make_app(url)
    try:
        return role_name(app, "admin")
    finally:
        app.close()


def new_logins(url: str) -> dict[str, str]:
    """A fresh PostgreSQL login for each brobyg role (not yet granted it), by role."""
    import uuid

    from brobyg.engine.access import ROLES

    tag = uuid.uuid4().hex[:6]
    logins = {role: f"{role}_{tag}" for role in ROLES}
    for login in logins.values():
        pg_sql(url, f'CREATE ROLE "{login}" LOGIN')
    return logins


def drop_logins_and_roles(url: str, logins: dict[str, str]) -> None:
    """Drop the logins and the store's group roles, and whatever they own."""
    from brobyg.engine.access import ROLES, role_name

    app = make_app(url)
    groups = [role_name(app, role) for role in ROLES]
    app.close()
    for name in [*logins.values(), *groups]:
        pg_sql(url, f'DROP OWNED BY "{name}"')
        pg_sql(url, f'DROP ROLE "{name}"')
