"""Start-up of a reading command: it imports the module that defines it, not every command's
(`cli.main.ONLY`), and the command it gets is the one the whole group has; it asks the store
for what it needs once (the master key's fingerprint, the access log's tables)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest

from brobyg.cli import main as cli_main
from tests import scenarios
from tests.helpers import TODAY, make_app, read_alone, run_cli

# What a command takes and holds, as its help and parsing see them: run here and in a process
# that imports only the command's own module (so it imports nothing of the tests).
SHAPE = """
def shape(command):
    from brobyg.cli.app import _equip

    _equip(command)  # as the group's `main` does (idempotent)
    return {
        "class": type(command).__name__,
        "help": command.help,
        "params": [[p.name, p.opts, p.secondary_opts, getattr(p, "hidden", None), type(p.type).__name__] for p in command.params],
        "commands": {name: shape(sub) for name, sub in sorted(getattr(command, "commands", {}).items())},
    }
"""
ALONE = (
    "import json, sys\n"
    "from brobyg.cli import main\n"
    "main.load([*sys.argv[1:], '--json'])\n"
    "from brobyg.cli.app import cli\n"
    f"{SHAPE}\n"
    "print(json.dumps({'shape': shape(cli.commands[sys.argv[-1]]), 'commands': sorted(cli.commands),"
    " 'modules': sorted(m for m in sys.modules if m.startswith('brobyg.cli.'))}))\n"
)


def _shape(command: click.Command) -> Any:
    found: dict[str, Any] = {}
    exec(SHAPE, found)
    return found["shape"](command)


@pytest.mark.parametrize("name", sorted(cli_main.ONLY))
def test_a_reading_command_alone_is_the_command_of_the_whole_group(name: str) -> None:
    everything = cli_main.cli  # every module imported
    argv = ["--db", "x.sqlite", "--as", "someone", "--today=2026-11-26", name]
    done = subprocess.run(
        [sys.executable, "-c", ALONE, *argv], capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent
    )
    alone = json.loads(done.stdout)
    assert alone["shape"] == json.loads(json.dumps(_shape(everything.commands[name])))
    assert len(alone["commands"]) < len(everything.commands)  # not every module's commands
    unused = ("access", "corrections", "demo", "personal", "projections_admin", "simulate", "transfer")
    assert {f"brobyg.cli.{m}" for m in unused}.isdisjoint(alone["modules"])


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["caseload", "--json"], "caseload"),
        (["--db", "risk", "caseload"], "caseload"),  # an option's value is not the command
        (["--db=x.sqlite", "--lang", "da", "report", "outcomes"], "report"),
        (["--help"], None),
        (["--version"], None),
        (["-h", "caseload"], None),
        (["--unknown", "caseload"], None),
        ([], None),
    ],
)
def test_the_command_is_found_before_the_group_parses(args: list[str], named: str | None) -> None:
    assert cli_main.command_named(args) == named


def test_help_and_an_unknown_command_see_every_command(tmp_path: Path) -> None:
    code = "import sys\nfrom brobyg.cli.main import main\nmain()\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROBYG_")}
    shown = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True, env=env, check=True).stdout
    assert all(f"  {name} " in shown for name in cli_main.cli.commands)
    typo = subprocess.run([sys.executable, "-c", code, "caseloda"], capture_output=True, text=True, env=env)
    assert typo.returncode == 2 and "No such command 'caseloda'" in typo.stderr


def test_find_on_a_caught_up_store_builds_no_application(tmp_path: Path) -> None:
    db = str(tmp_path / "small.sqlite")
    app = make_app(db)
    scenarios.mentors(app)
    case = scenarios.bridging(app, person="Jens Hansen").case
    app.close()
    assert run_cli(db, "risk", "--json").exit_code == 0  # caught up
    for command in (["find", "jens"], ["mentor", "list"]):
        loaded, shown = read_alone(db, *command)
        assert loaded == []
        assert shown == json.loads(run_cli(db, *command, "--json").stdout)
    assert [r["case"] for r in json.loads(run_cli(db, "find", "jens", "--json").stdout)] == [case]


def test_the_master_keys_fingerprint_is_asked_once(tmp_path: Path) -> None:
    from brobyg.engine.personal import FINGERPRINT_CLAIM, PersonalData

    asked: list[list[str]] = []
    app = make_app(str(tmp_path / "keys.sqlite"))
    try:
        scenarios.mentors(app)
        scenarios.bridging(app, person="Jens Hansen")
        held = app.recorder.holders

        def lookup(keys: list[str]) -> dict[str, str]:
            asked.append(list(keys))
            return held(keys)  # type: ignore[no-any-return]

        personal = PersonalData(lookup, app.personal._load_master)
        personal.check_master()
        personal.check_master()
        assert personal.master.fingerprint == app.personal.master.fingerprint
        assert asked == [[FINGERPRINT_CLAIM]]
    finally:
        app.close()


def test_a_reader_that_found_the_access_log_does_not_look_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlalchemy as sa

    from brobyg.engine import access_log
    from brobyg.engine.clock import Clock
    from brobyg.engine.reader import Reader
    from brobyg.engine.store import parse_store_url

    db = str(tmp_path / "log.sqlite")
    app = make_app(db)
    scenarios.mentors(app)
    case = scenarios.bridging(app, person="Jens Hansen").case
    app.close()
    assert run_cli(db, "risk", "--json").exit_code == 0  # catches up, and makes the access log

    def reader() -> Reader:
        return Reader(parse_store_url(db), Clock(TODAY), "tester", lambda: None)

    found = reader()
    assert found.ready() and found.access_log_found
    statements: list[str] = []  # SQLite's entries are written through sqlite3: its statements traced
    connect = sqlite3.connect

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(sqlite3, "connect", traced)
    access_log.append(found, "show", [case])
    monkeypatch.undo()
    assert not any("sqlite_master" in s for s in statements)  # only the entry and its pragmas
    assert any(s.startswith("INSERT INTO brobyg_access_log") for s in statements)
    found.sql_engine.dispose()
    with sa.create_engine(f"sqlite:///{db}").begin() as conn:
        conn.exec_driver_sql(f"DROP TRIGGER {access_log.APPEND_ONLY}_delete")
    missing = reader()
    assert missing.ready() and not missing.access_log_found  # the store is whole; the log's trigger is not
    access_log.append(missing, "show", [case])  # makes the trigger again before the entry
    assert missing.sql_engine in access_log._ready
    missing.sql_engine.dispose()
    assert reader().ready()
    assert [e.command for e in access_log.entries(make_app(db), case)][-1] == "show"


def test_read_models_in_their_current_shape_are_found_with_one_query(tmp_path: Path) -> None:
    """A caught-up store: the models' positions (one query), nothing more but the log's head.
    A model without its tracking row (as after an upgrade that adds one) is made and caught up."""
    import sqlalchemy as sa

    from brobyg.engine.read_models import tracking
    from brobyg.projections.readmodels import ReadModels

    db = str(tmp_path / "models.sqlite")
    app = make_app(db)
    scenarios.mentors(app)
    scenarios.bridging(app, person="Jens Hansen")
    try:
        ReadModels(app).catch_up()
        models = ReadModels(app)
        statements: list[str] = []
        sa.event.listen(models.engine, "before_cursor_execute", lambda *a: statements.append(" ".join(a[2].split())))
        assert models.catch_up() == 0
        # (the log's head is asked of the application's recorder, not through SQLAlchemy)
        assert statements == ['SELECT view_tracking."view", view_tracking.position FROM view_tracking']
        with models.engine.begin() as conn:
            conn.execute(tracking.delete().where(tracking.c.view == "settled"))
        again = ReadModels(app)
        assert again.catch_up() > 0  # the settled pathways' model from the start of the log
        assert {s.name: s.behind for s in again.status()}["settled"] == 0
    finally:
        app.close()


def test_history_and_next_write_their_entry_without_sqlalchemy(tmp_path: Path) -> None:
    """They read the application's events only: their access-log entry goes through sqlite3 itself,
    written as SQLAlchemy writes it (the log reads it back alike), and SQLAlchemy is not imported."""
    from brobyg.engine import access_log

    db = str(tmp_path / "entries.sqlite")
    app = make_app(db)
    scenarios.mentors(app)
    case = scenarios.bridging(app, person="Jens Hansen").case
    app.close()
    assert run_cli(db, "show", case, "--json").exit_code == 0  # through SQLAlchemy: makes the access log
    for command in (["history", case], ["next", case]):
        code = (
            "import sys\n"
            f"sys.argv = ['brobyg', '--db', {db!r}, '--today', {str(TODAY)!r}, *{command!r}, '--json']\n"
            "from brobyg.cli.main import main\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
            "print('sqlalchemy' in sys.modules, file=sys.stderr)\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert done.stderr.split() == ["False"]
        assert json.loads(done.stdout) == json.loads(run_cli(db, *command, "--json").stdout)
    reader = make_app(db)
    try:
        entries = access_log.entries(reader, case)
    finally:
        reader.close()
    assert [e.command for e in entries] == ["show", "history", "history", "next", "next"]
    assert all(e.at.tzinfo is not None and e.at.utcoffset() == dt.timedelta(0) for e in entries)
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    import sqlite3

    stored = [row[0] for row in sqlite3.connect(db).execute(f"SELECT at FROM {access_log.TABLE} ORDER BY id")]
    assert {len(at) for at in stored} == {len("2026-12-03 07:45:22.321138")}  # one form, SQLAlchemy's
