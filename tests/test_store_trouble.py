"""Store trouble: one clear line naming the problem, a non-zero exit, nothing half-written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import Result

from tests.helpers import PG_URL, count_events, make_app, needs_pg, run_cli
from tests.scenarios import D


def one_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    return lines[0]


@needs_pg
def test_postgresql_not_running() -> None:
    line = one_line(run_cli("postgresql://postgres@127.0.0.1:5999/test", "show", "BAAAAAA"))
    assert "127.0.0.1:5999" in line and "refused" in line.lower()


@needs_pg
def test_wrong_user_or_database() -> None:
    no_role, no_database = "postgresql://nobody@127.0.0.1:5432/test", "postgresql://postgres:pw@127.0.0.1:5432/nodb"
    assert 'role "nobody" does not exist' in one_line(run_cli(no_role, "show", "BAAAAAA"))
    assert 'database "nodb" does not exist' in one_line(run_cli(no_database, "show", "BAAAAAA"))


def test_not_a_database_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n" * 200)
    assert "file is not a database" in one_line(run_cli(str(path), "show", "BAAAAAA"))
    assert path.read_text() == "not a database\n" * 200


def test_a_full_disk_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "b.sqlite")
    app = make_app(db)
    app.add_mentor("sara", "Sara", "kui", on=D(2026, 1, 5))
    before = app.count_events()
    app.close()
    from brobyg.engine.claims import SQLiteClaimingRecorder

    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(SQLiteClaimingRecorder, "_insert_events", full)
    line = one_line(run_cli(db, "refer", "Jens", "--born", "2004-03-02", "--readiness", "education-ready", "--on", "2026-09-01"))
    assert "disk is full" in line and "nothing was written" in line
    monkeypatch.undo()
    assert count_events(db) == before


def test_a_database_locked_by_another_program(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    make_app(str(db)).add_mentor("sara", "Sara", "kui", on=D(2026, 1, 5))
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the file
    try:
        line = one_line(run_cli(f"sqlite:///{db}?lock_timeout=1", "mentor", "add", "ali", "--name", "Ali", "--kind", "lab"))
        assert "locked" in line and "nothing was written" in line
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert count_events(str(db)) == 1


def test_a_read_only_database_file(tmp_path: Path) -> None:
    import shutil
    import subprocess

    db = tmp_path / "r.sqlite"
    make_app(str(db)).add_mentor("sara", "Sara", "kui", on=D(2026, 1, 5))
    # Tests run as root, for whom file modes do not stop a write; the immutable flag does.
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode:
        pytest.skip("cannot make a file read-only here (chattr +i)")
    try:
        line = one_line(run_cli(str(db), "mentor", "add", "ali", "--name", "Ali", "--kind", "lab"))
        assert "read" in line.lower() and "nothing was written" in line
    finally:
        subprocess.run(["chattr", "-i", str(db)], check=True)
    assert count_events(str(db)) == 1


def socket_url(folder: str, schema: str | None = None) -> str:
    """The test server's URL, but through its Unix socket in `folder`."""
    from urllib.parse import urlsplit

    parts = urlsplit(PG_URL or "")
    return f"postgresql://{parts.username}@:{parts.port or 5432}{parts.path}?host={folder}" + (
        f"&schema={schema}" if schema else ""
    )


@needs_pg
def test_a_server_on_the_same_machine_is_reached_through_its_socket(pg_url: str) -> None:
    import psycopg

    from brobyg.engine.store import parse_store_url
    from brobyg.projections.readmodels import ReadModels

    with psycopg.connect(parse_store_url(pg_url).libpq_url) as conn:
        folders = [f.strip() for f in conn.execute("SHOW unix_socket_directories").fetchone()[0].split(",")]  # type: ignore[index]
    folder = next((f for f in folders if f.startswith("/")), None)
    if folder is None:
        pytest.skip("the test server listens on no Unix socket")
    url = socket_url(folder, schema=parse_store_url(pg_url).schema)  # the fixture's own schema, dropped after
    app = make_app(url)
    app.add_mentor("sara", "Sara", "kui", on=D(2026, 1, 5))
    ReadModels(app).catch_up()
    with psycopg.connect(parse_store_url(url).libpq_url) as conn:
        assert conn.execute("SELECT inet_server_addr()").fetchone() == (None,)  # not over TCP
    app.close()
    assert count_events(url) == 1
    assert ReadModels(make_app(url)).status()[0].position == 1


@needs_pg
def test_no_server_behind_the_socket_folder(tmp_path: Path) -> None:
    line = one_line(run_cli(socket_url(str(tmp_path)), "show", "BAAAAAA"))
    assert str(tmp_path) in line
