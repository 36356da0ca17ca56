"""Every store-backed test runs twice: on a SQLite file and on PostgreSQL.

PostgreSQL comes from BROBYG_TEST_PG (the Makefile sets the machine's URL); each test
gets its own schema, dropped afterwards. Without BROBYG_TEST_PG those runs are skipped,
and `make test` / CI always set it.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator

import pytest

from brobyg.domain.application import Brobyg
from brobyg.engine.clock import Clock
from brobyg.engine.store import parse_store_url, with_schema
from brobyg.projections.readmodels import ReadModels

TODAY = dt.date(2026, 11, 26)
PG_URL = os.environ.get("BROBYG_TEST_PG")


def _drop_schema(schema: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(parse_store_url(PG_URL or "").sqlalchemy_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()


def new_pg_store() -> tuple[str, str]:
    """The URL of an empty PostgreSQL store in a schema of its own, and that schema."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    return with_schema(PG_URL or "", schema), schema


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A URL for an empty store."""
    if request.param == "sqlite":
        yield str(tmp_path / "brobyg.sqlite")
        return
    if not PG_URL:
        pytest.skip("BROBYG_TEST_PG is not set (make test sets it)")
    url, schema = new_pg_store()
    yield url
    _drop_schema(schema)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL for an empty PostgreSQL store, for what only PostgreSQL has (concurrent writers,
    notifications); tests using it are marked `needs_pg`."""
    url, schema = new_pg_store()
    yield url
    _drop_schema(schema)


needs_pg = pytest.mark.skipif(not PG_URL, reason="BROBYG_TEST_PG is not set (make test sets it)")


def assert_rebuild_changes_nothing(read_models: ReadModels) -> None:
    """Read models kept up to date page by page equal the same read models rebuilt from the log."""
    incremental = read_models.dump()
    read_models.rebuild()
    assert read_models.dump() == incremental


def make_app(url: str, today: dt.date = TODAY, actor: str = "tester", seed: int | None = 7) -> Brobyg:
    return Brobyg(parse_store_url(url), Clock(today), actor, seed=seed)


@pytest.fixture
def app(db_url: str) -> Iterator[Brobyg]:
    application = make_app(db_url)
    yield application
    application.close()
