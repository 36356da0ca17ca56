"""Stores and files the command line touches: reading never creates a store, a failed write
leaves none behind, and an output file is written whole, never over anything but a regular
file, never without --force, never by creating folders."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from brobyg.engine.store import parse_store_url
from tests import scenarios
from tests.helpers import PG_URL, count_events, make_app, needs_pg, new_pg_store, run_cli

READING = [
    ["show", "BAAAAAA"],
    ["history", "BAAAAAA"],
    ["caseload", "--json"],
    ["risk"],
    ["report", "outcomes", "--json"],
    ["export", "-"],
    ["projections", "status"],
]


def schema_exists(schema: str) -> bool:
    engine = sa.create_engine(parse_store_url(PG_URL or "").sqlalchemy_url)
    try:
        with engine.connect() as conn:
            query = sa.text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s")
            return conn.execute(query, {"s": schema}).first() is not None
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", READING, ids=lambda c: c[0])
def test_reading_a_mistyped_sqlite_path_creates_nothing(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "brobgy.sqlite"
    result = run_cli(str(missing), *command)
    assert result.exit_code == 2, result.output
    assert f"there is no store at {missing}" in result.stderr and result.stdout == ""
    assert list(tmp_path.iterdir()) == []


@needs_pg
@pytest.mark.parametrize("command", READING[:3], ids=lambda c: c[0])
def test_reading_a_mistyped_schema_creates_nothing(command: list[str]) -> None:
    url, schema = new_pg_store()
    result = run_cli(url, *command)
    assert result.exit_code == 2, result.output
    assert "there is no store at" in result.stderr and f"schema={schema}" in result.stderr
    assert not schema_exists(schema)


def test_a_failed_write_to_a_new_sqlite_store_leaves_no_store(tmp_path: Path) -> None:
    new = tmp_path / "new.sqlite"
    assert run_cli(str(new), "contact", "BAAAAAA").exit_code == 1  # no such case
    refused = run_cli(str(new), "refer", "Jens", "--born", "2020-01-01", "--readiness", "education-ready")
    assert refused.exit_code == 1 and "R1" in refused.stderr
    assert list(tmp_path.iterdir()) == []
    assert run_cli(str(new), "mentor", "add", "sara", "--name", "Sara Holm", "--kind", "kui").exit_code == 0
    assert new.exists()


@needs_pg
def test_a_failed_write_to_a_new_schema_leaves_no_schema() -> None:
    url, schema = new_pg_store()
    assert run_cli(url, "contact", "BAAAAAA").exit_code == 1
    assert not schema_exists(schema)


# --- output files ---------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = str(tmp_path / "store.sqlite")
    app = make_app(url)
    scenarios.mentors(app)
    scenarios.bridging(app)
    app.close()
    return url


@pytest.mark.parametrize(
    "command",
    [["export"], ["report", "outcomes", "--format", "csv", "-o"], ["report", "html", "-o"]],
    ids=["export", "report -o", "report html"],
)
def test_an_output_file_is_written_whole_and_replaced_only_with_force(store: str, tmp_path: Path, command: list[str]) -> None:
    target = tmp_path / "out" / "file.txt"
    missing_folder = run_cli(store, *command, str(target))
    assert missing_folder.exit_code == 2 and f"the folder {target.parent} does not exist" in missing_folder.stderr
    assert not target.parent.exists()
    target.parent.mkdir()
    assert run_cli(store, *command, str(target)).exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # it may name young people
    first = target.read_bytes()
    again = run_cli(store, *command, str(target))
    assert again.exit_code == 2 and "exists; add --force to replace it" in again.stderr
    assert run_cli(store, *command, str(target), "--force").exit_code == 0
    assert target.read_bytes() == first and sorted(p.name for p in target.parent.iterdir()) == ["file.txt"]


def test_nothing_but_a_regular_file_is_replaced(store: str, tmp_path: Path) -> None:
    fifo, link = tmp_path / "fifo", tmp_path / "link"
    os.mkfifo(fifo)
    (tmp_path / "real").write_text("kept")
    link.symlink_to(tmp_path / "real")
    for target in (fifo, link, Path("/dev/null")):
        result = run_cli(store, "export", str(target), "--force")
        assert result.exit_code == 2 and "is not a regular file; it is never replaced" in result.stderr, target
    assert (tmp_path / "real").read_text() == "kept"


def test_a_failed_export_leaves_the_old_file_and_no_partial(store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import brobyg.engine.transfer as transfer

    target = tmp_path / "log.jsonl"
    target.write_text("the previous export")

    def disk_full(app: Any, out: Any, progress: Any = None, before_writing: Any = None) -> int:
        out.write("half a line")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(transfer, "export_log", disk_full)
    result = run_cli(store, "export", str(target), "--force")
    assert result.exit_code == 1
    assert result.stderr == f"error: cannot write {target}: No space left on device; nothing was written\n"
    assert target.read_text() == "the previous export"
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("store.sqlite")] == ["log.jsonl"]


def test_a_store_is_discarded_only_while_it_holds_no_event(db_url: str) -> None:
    """What a failed command's clean-up checks under the write lock: a store someone else has
    written to in the meantime is kept."""
    from brobyg.domain.application import Brobyg

    store = parse_store_url(db_url)
    app = make_app(db_url)
    app.add_mentor("sara", "Sara Holm", "kui")
    app.close()
    assert store.discard(Brobyg.events_table(), drop_schema=True) is False
    assert count_events(db_url) == 1
    empty_url = db_url.replace("brobyg.sqlite", "empty.sqlite") if store.is_sqlite else new_pg_store()[0]
    make_app(empty_url).close()
    empty = parse_store_url(empty_url)
    assert empty.exists(Brobyg.events_table())
    assert empty.discard(Brobyg.events_table(), drop_schema=True) is True
    assert not empty.exists(Brobyg.events_table())


def test_a_today_after_the_real_date_leaves_no_new_store(tmp_path: Path) -> None:
    new = tmp_path / "new.sqlite"
    result = run_cli(str(new), "mentor", "add", "sara", "--name", "Sara", "--kind", "kui", today="2099-01-01")
    assert result.exit_code == 2 and "after the real date" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_reader_that_stops_early_is_no_error(tmp_path: Path) -> None:
    """`brobyg export - | head -1`: the command stops quietly when its reader has gone."""
    import subprocess

    from tests.helpers import installed_brobyg

    db = str(tmp_path / "s.sqlite")
    assert run_cli(db, "simulate", "--pathways", "40").exit_code == 0
    process = subprocess.Popen([installed_brobyg(), "--db", db, "export", "-"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline().startswith(b'{"format"')
    process.stdout.close()  # as head does after its line
    _, err = process.communicate(timeout=60)
    assert (process.returncode, err) == (0, b"")
