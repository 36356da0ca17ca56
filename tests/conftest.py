"""Fixtures: every store-backed test runs twice, on a SQLite file and on PostgreSQL.

PostgreSQL comes from BROBYG_TEST_PG (the Makefile sets the machine's URL); each test
gets its own schema, dropped afterwards. Without BROBYG_TEST_PG those runs are skipped,
and `make test` / CI always set it. What tests import by name is in tests/helpers.py.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from brobyg.domain.application import Brobyg
from tests.helpers import NO_PG, PG_URL, drop_pg_schema, make_app, new_pg_store

# One master key for the run (each worker its own), never the user's own: the CLI subprocesses
# the tests start inherit it.
# The suite reads English unless a test asks for Danish, whatever the machine's locale.
os.environ["BROBYG_LANG"] = "en"
os.environ["BROBYG_KEY_FILE"] = str(Path(tempfile.mkdtemp(prefix="brobyg-test-keys-")) / "master.key")


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty store."""
    if request.param == "sqlite":
        yield str(tmp_path / "brobyg.sqlite")
        return
    if not PG_URL:
        pytest.skip(NO_PG)
    url, schema = new_pg_store()
    yield url
    drop_pg_schema(schema)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL for an empty PostgreSQL store, for what only PostgreSQL has (concurrent writers,
    notifications); tests using it are marked `needs_pg`."""
    url, schema = new_pg_store()
    yield url
    drop_pg_schema(schema)


@pytest.fixture
def app(db_url: str) -> Iterator[Brobyg]:
    application = make_app(db_url)
    yield application
    application.close()
