"""PostgreSQL connections the way libpq users expect: the password from libpq's own places
(never needed in --db), libpq's options passed through, `brobyg` as the application name."""

from __future__ import annotations

from pathlib import Path

import pytest

from brobyg.engine.errors import StoreUrlError
from brobyg.engine.store import parse_store_url
from tests.helpers import make_app, needs_pg, run_cli

pytestmark = needs_pg


def passwords_used(url: str) -> tuple[str | None, str | None]:
    """The password libpq used for the event store's connection and for the read models'."""
    app = make_app(url)
    try:
        with app.recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
            events = conn.info.password
        raw = app.sql_engine.raw_connection()
        try:
            models = raw.driver_connection.info.password  # type: ignore[union-attr]
        finally:
            raw.close()
        return events, models
    finally:
        app.close()


def test_the_password_comes_from_pgpassword(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", "from-the-environment")
    assert "PGPASSWORD" not in pg_url and ":" not in pg_url.split("//")[1].split("@")[0]
    assert passwords_used(pg_url) == ("from-the-environment", "from-the-environment")


def test_the_password_comes_from_a_password_file(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    passfile = tmp_path / "pgpass"
    passfile.write_text("*:*:*:*:from-the-file\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    assert passwords_used(pg_url) == ("from-the-file", "from-the-file")


def test_libpq_options_reach_the_server(pg_url: str) -> None:
    app = make_app(pg_url)
    try:
        with app.recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
            assert conn.execute("SELECT current_setting('application_name')").fetchone()["current_setting"] == "brobyg"
    finally:
        app.close()
    named = make_app(f"{pg_url}&application_name=intake-desk")
    try:
        with named.recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
            assert conn.execute("SELECT current_setting('application_name')").fetchone()["current_setting"] == "intake-desk"
    finally:
        named.close()
    # This server has no TLS: a required one is refused by libpq, which shows the option arrived.
    result = run_cli(f"{pg_url}&sslmode=require", "mentor", "add", "ida", "--name", "Ida", "--kind", "lab")
    assert result.exit_code == 1 and "SSL" in result.stderr and "sslmode=require" in result.stderr


def test_a_password_in_the_url_is_never_shown() -> None:
    store = parse_store_url("postgresql://ann:s3cret@db:5432/cases?sslmode=verify-full&sslrootcert=/etc/ca.pem")
    assert "s3cret" not in store.display
    assert store.display == "postgresql://ann@db:5432/cases?sslmode=verify-full&sslrootcert=/etc/ca.pem"
    with pytest.raises(StoreUrlError, match="unknown database URL option"):
        parse_store_url("postgresql://db/cases?search_path=x")
