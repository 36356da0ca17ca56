"""Reports from the settled pathways' kept parts (`projections.settled`) give the very figures
the facts give, on any day, and read no fact of a pathway settled by then."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from brobyg.domain.application import Brobyg
from brobyg.engine.clock import Clock
from brobyg.engine.store import parse_store_url
from brobyg.projections import capacity, fidelity, outcomes, settled
from brobyg.projections.policy import DEFAULT, load_policy
from brobyg.projections.readmodels import ReadModels
from brobyg.projections.timeline import load_timelines
from brobyg.simulator.simulate import Simulation
from tests.helpers import TODAY


def test_reports_from_kept_parts_equal_reports_from_the_facts(db_url: str) -> None:
    app = Brobyg(parse_store_url(db_url), Clock(TODAY, simulated=True), "simulator", seed=3)
    Simulation(app, 400, 3, TODAY.replace(year=TODAY.year - 6), TODAY).run()
    rm = ReadModels(app)
    rm.catch_up()
    with rm.engine.connect() as conn:
        kept = conn.execute(sa.select(sa.func.count()).select_from(settled.settled)).scalar()
        assert kept is not None and kept > 150  # most of six years' pathways have ended

        # Today, a year ago, and before most of them ended: kept parts are used only once settled.
        for on in (TODAY, TODAY - dt.timedelta(days=365), TODAY - dt.timedelta(days=4 * 365)):
            timelines = load_timelines(conn, on)
            occupancy = capacity.capacity(conn, timelines, on)
            assert rm.outcomes(on, "quarter") == outcomes.outcomes(timelines, on, "quarter")
            assert rm.capacity(on) == occupancy
            assert rm.fidelity(on) == fidelity.fidelity(timelines, on, rm.policy, occupancy)
            stored, others = settled.parts(conn, on, "outcomes", rm.policy)
            assert len(stored) + len(others) == len(timelines)
        # Ended within the margin (60 days): kept, but worked out from the facts until it has passed.
        recent = conn.execute(sa.select(sa.func.count()).where(settled.settled.c.settles_on > TODAY)).scalar()
        assert len(settled.parts(conn, TODAY, "outcomes", rm.policy)[0]) == kept - recent


def test_parts_kept_under_another_policy_are_worked_out_again(app: Brobyg, tmp_path: Path) -> None:
    Simulation(app, 60, 4, TODAY.replace(year=TODAY.year - 3), TODAY).run()
    ReadModels(app).catch_up()
    stricter = tmp_path / "policy.toml"
    stricter.write_text(Path(DEFAULT).read_text().replace("request_answer_days = 1", "request_answer_days = 0"))
    other = ReadModels(app, load_policy(stricter))
    with other.engine.connect() as conn:
        stored, others = settled.parts(conn, TODAY, "fidelity", other.policy)
        assert stored == [] and others  # nothing kept under these numbers
        timelines = load_timelines(conn, TODAY)
        occupancy = capacity.capacity(conn, timelines, TODAY)
    assert other.fidelity(TODAY) == fidelity.fidelity(timelines, TODAY, other.policy, occupancy)
