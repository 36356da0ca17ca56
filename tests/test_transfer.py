"""Moving up from SQLite to PostgreSQL and back: identical histories, identical read models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from brobyg.domain.application import Brobyg
from brobyg.engine.clock import Clock
from brobyg.engine.errors import Refused
from brobyg.engine.store import parse_store_url
from brobyg.projections.readmodels import ReadModels
from brobyg.simulator.simulate import Simulation
from tests.helpers import TODAY, count_events, make_app, needs_pg, run_cli


def histories(url: str) -> list[tuple[str, int, str, bytes]]:
    app = make_app(url)
    rows, start = [], 1
    while page := app.recorder.select_notifications(start=start, limit=1000):
        rows += [(str(n.originator_id), n.originator_version, n.topic, n.state) for n in page]
        start = page[-1].id + 1
    app.close()
    return sorted(rows)


def read_models(url: str) -> dict:
    app = make_app(url)
    rm = ReadModels(app)
    rm.catch_up()
    dump = rm.dump()
    app.close()
    return dump


@pytest.fixture
def populated(tmp_path: Path) -> str:
    url = str(tmp_path / "first.sqlite")
    app = Brobyg(parse_store_url(url), Clock(TODAY, simulated=True), "simulator", seed=4)
    Simulation(app, 120, 4, TODAY.replace(year=TODAY.year - 3), TODAY).run()
    app.close()
    return url


@needs_pg
def test_sqlite_to_postgresql_to_sqlite_keeps_everything(populated: str, tmp_path: Path, pg_url: str) -> None:
    back = str(tmp_path / "back.sqlite")
    assert run_cli(populated, "export", str(tmp_path / "log.jsonl")).exit_code == 0
    imported = run_cli(pg_url, "import", str(tmp_path / "log.jsonl"), "--json")
    assert imported.exit_code == 0, imported.output
    assert run_cli(pg_url, "export", str(tmp_path / "again.jsonl")).exit_code == 0
    assert run_cli(back, "import", str(tmp_path / "again.jsonl")).exit_code == 0
    assert histories(populated) == histories(pg_url) == histories(back)
    assert read_models(populated) == read_models(pg_url) == read_models(back)
    # The claims came along: the same young person still cannot be referred twice.
    first = next(line for line in (tmp_path / "log.jsonl").read_text().splitlines() if '"claim": "person:' in line)
    assert json.loads(first)["holder"]
    moved = make_app(pg_url)
    case = moved.pathway(json.loads(first)["holder"])
    with pytest.raises(Refused):
        moved.refer(case.person, case.born, "education-ready", on=TODAY)
    moved.close()


def test_a_round_trip_between_sqlite_files(populated: str, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    result = run_cli(populated, "export", str(log), "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["events"] == count_events(populated) == 3449  # seed 4
    copy = str(tmp_path / "copy.sqlite")
    assert run_cli(copy, "import", str(log)).exit_code == 0
    assert histories(populated) == histories(copy)
    assert read_models(populated) == read_models(copy)


def test_importing_into_a_store_with_events_is_refused(populated: str, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    run_cli(populated, "export", str(log))
    before = count_events(populated)
    again = run_cli(populated, "import", str(log))
    assert again.exit_code == 1 and "already holds events" in again.stderr
    assert count_events(populated) == before


@pytest.mark.parametrize("damage", ["truncate", "garbage", "header"])
def test_a_damaged_file_imports_nothing(populated: str, tmp_path: Path, damage: str) -> None:
    log = tmp_path / "log.jsonl"
    run_cli(populated, "export", str(log))
    lines = log.read_text(encoding="utf-8").splitlines()
    if damage == "truncate":
        lines = lines[: len(lines) // 2]
    elif damage == "garbage":
        lines[5] = "{not json"
    else:
        lines[0] = json.dumps({"format": "something else"})
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    target = str(tmp_path / "target.sqlite")
    result = run_cli(target, "import", str(log))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert count_events(target) == 0


def test_export_writes_a_complete_file_or_none(populated: str, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    run_cli(populated, "export", str(log))
    header = json.loads(log.read_text(encoding="utf-8").splitlines()[0])
    assert header["format"] == "brobyg-event-log" and header["events"] == count_events(populated)
    assert not (tmp_path / "log.jsonl.partial").exists()
