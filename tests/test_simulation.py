"""The simulator: the same seed writes the same database, every step passes the rules, and the
default parameters land near the evaluation's figures."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from brobyg.domain.application import Brobyg
from brobyg.engine.clock import Clock
from brobyg.engine.store import parse_store_url
from brobyg.projections.readmodels import ReadModels
from brobyg.projections.timeline import load_timelines
from brobyg.simulator.calibration import calibration
from brobyg.simulator.simulate import Simulation
from tests.helpers import TODAY, run_cli


def simulate(db: Path, *args: str) -> dict:
    result = run_cli(str(db), "simulate", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid").fetchall()


def test_the_same_seed_writes_the_same_database(tmp_path: Path) -> None:
    first = simulate(tmp_path / "a.sqlite", "--pathways", "60", "--seed", "3")
    simulate(tmp_path / "b.sqlite", "--pathways", "60", "--seed", "3")
    simulate(tmp_path / "c.sqlite", "--pathways", "60", "--seed", "4")
    assert first["events"] > 60 * 10
    assert rows(tmp_path / "a.sqlite") == rows(tmp_path / "b.sqlite")
    assert rows(tmp_path / "a.sqlite") != rows(tmp_path / "c.sqlite")


def test_simulating_needs_an_empty_store_and_a_start_before_today(tmp_path: Path) -> None:
    simulate(tmp_path / "a.sqlite", "--pathways", "5")
    again = run_cli(str(tmp_path / "a.sqlite"), "simulate", "--pathways", "5")
    assert again.exit_code == 2 and "already holds events" in again.stderr
    late = run_cli(str(tmp_path / "b.sqlite"), "simulate", "--pathways", "5", "--start", "2027-01-01")
    assert late.exit_code == 2


def test_intake_flows_up_to_today(db_url: str) -> None:
    app = Brobyg(parse_store_url(db_url), Clock(TODAY, simulated=True), "simulator", seed=2)
    Simulation(app, 300, 2, TODAY.replace(year=TODAY.year - 3), TODAY).run()
    read_models = ReadModels(app)
    caseload = read_models.caseload(TODAY)
    assert sum(m["active"] for m in caseload) > 10  # a live caseload today, not only finished histories
    assert read_models.risk(TODAY)
    outcomes = read_models.outcomes(TODAY)["overall"]
    assert outcomes["pathways"] == 300 and 0 < outcomes["active"] < 0.5
    app.close()


def test_the_defaults_land_near_the_evaluation(tmp_path: Path) -> None:
    """A quick look at 1,500 pathways (the 2-point check at 10,000 is in bench/README.md)."""
    app = Brobyg(parse_store_url(str(tmp_path / "c.sqlite")), Clock(TODAY, simulated=True), "simulator", seed=1)
    Simulation(app, 1500, 1, TODAY.replace(year=TODAY.year - 6), TODAY).run()
    read_models = ReadModels(app)
    read_models.catch_up()
    with read_models.engine.connect() as conn:
        figures = calibration(load_timelines(conn, TODAY), TODAY)
    for key in ("completed_basic_course", "completed_main_course", "employed"):
        assert figures[key]["share"] == pytest.approx(figures[key]["evaluation"], abs=0.06), key
    app.close()
