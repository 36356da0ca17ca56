"""The simulator: the same seed writes the same database, every step passes the rules, and the
default parameters land near the evaluation's figures."""

from __future__ import annotations

import json
from collections import Counter
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
    """Every stored event in order, its personal fields opened (they are sealed with random
    keys and nonces, so their bytes differ from store to store)."""
    app = Brobyg(parse_store_url(str(db)), Clock(TODAY, simulated=True))
    try:
        return [
            (n.originator_id, n.originator_version, n.topic, sorted(vars(app.mapper.to_domain_event(n)).items(), key=str))
            for n in app.recorder.select_notifications(start=1, limit=1_000_000)
        ]
    finally:
        app.close()


def test_the_same_seed_writes_the_same_database(tmp_path: Path) -> None:
    first = simulate(tmp_path / "a.sqlite", "--pathways", "60", "--seed", "3")
    simulate(tmp_path / "b.sqlite", "--pathways", "60", "--seed", "3")
    simulate(tmp_path / "c.sqlite", "--pathways", "60", "--seed", "4")
    assert (first["pathways"], first["events"], first["refused"]) == (60, 1753, 0)
    assert len(rows(tmp_path / "a.sqlite")) == first["events"]
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
    # Seeded, so the same figures on every run and on either store. A live caseload today, not
    # only finished histories: 57 pathways still active, 30 of them with a mentor (in
    # apprenticeship the mentor has let go).
    outcomes = read_models.outcomes(TODAY)["overall"]
    assert {k: v for k, v in outcomes.items() if k != "funnel"} == {
        "pathways": 300, "completed_basic_course": 0.1433, "completed_main_course": 0.01, "employed": 0.27,
        "dropped_out": 0.4967, "withdrawn": 0.0333, "active": 0.19,
    }  # fmt: skip
    caseload = {m["mentor"]: m["active"] for m in read_models.caseload(TODAY)}
    assert caseload == {"mentor-001": 5, "mentor-002": 7, "mentor-003": 5, "mentor-004": 7, "mentor-005": 6}
    risk = read_models.risk(TODAY)
    assert len(risk) == round(0.19 * 300) == 57  # every active pathway
    assert Counter(r["state"] for r in risk) == {
        "apprenticeship": 27, "bridging": 14, "basic_course": 12, "awaiting_main_course": 2, "main_course": 1, "taster_placement": 1,
    }  # fmt: skip
    assert Counter(r["level"] for r in risk) == {"low": 48, "medium": 9}
    assert app.count_events() == 8160
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
