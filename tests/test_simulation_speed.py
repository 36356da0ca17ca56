"""What makes a simulation faster must not change what it writes. The simulator keeps the
mentors' loads itself, and finds the least loaded without a scan, instead of loading every
mentor for every assignment: it must choose exactly the mentors the scan chose, so the same
seed writes the same events, and its loads must be the mentors' streams' own."""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path

import pytest

from brobyg.domain.application import Brobyg
from brobyg.engine.clock import Clock
from brobyg.engine.errors import Refused
from brobyg.engine.store import parse_store_url
from brobyg.simulator.simulate import Simulation
from tests.helpers import TODAY
from tests.scenarios import mentors, referred


class ScanningSimulation(Simulation):
    """The simulator as it chose before: every mentor's aggregate read for every choice, the
    expected KUI contact if free, else the least loaded free LAB mentor, else any."""

    def free_mentors(self) -> dict[str, int]:
        free = {}
        for m in self.mentors:
            mentor = self.app.mentor(m)
            if mentor.load < mentor.capacity:
                free[m] = mentor.load
        return free

    def choose_mentor(self, expected: str | None) -> str | None:
        free = self.free_mentors()
        if not free or expected in free:
            return expected if free else None
        labs = [m for m in free if self.kinds[m] == "lab"]
        return min(labs or free, key=free.__getitem__)


class CountingSimulation(Simulation):
    """The simulator as it is, counting the choices in which some mentor was full."""

    full = 0

    def choose_mentor(self, expected: str | None) -> str | None:
        self.full += any(load >= self.capacities[m] for m, load in self.loads.items())
        return super().choose_mentor(expected)


def simulated(db: Path, cls: type[Simulation]) -> tuple[Simulation, Brobyg]:
    """400 young people in two years and only four mentors, so that capacity (R4) decides often."""
    app = Brobyg(parse_store_url(str(db)), Clock(TODAY, simulated=True), "simulator", seed=5)
    sim = cls(app, 400, 5, TODAY - dt.timedelta(days=730), TODAY)
    sim.mentors = sim.mentors[:4]
    sim.run()
    return sim, app


def events(app: Brobyg) -> list[tuple]:
    """Every stored event in order, its personal fields opened (sealed with random nonces)."""
    return [
        (n.originator_id, n.originator_version, n.topic, sorted(vars(app.mapper.to_domain_event(n)).items(), key=str))
        for n in app.recorder.select_notifications(start=1, limit=1_000_000)
    ]


def test_the_kept_loads_choose_as_the_scan_did_and_match_the_mentors(tmp_path: Path) -> None:
    kept, kept_app = simulated(tmp_path / "kept.sqlite", CountingSimulation)
    scanned, scanned_app = simulated(tmp_path / "scanned.sqlite", ScanningSimulation)
    try:
        assert kept.loads == {m: kept_app.mentor(m).load for m in kept.mentors}
        assert isinstance(kept, CountingSimulation) and kept.full > 50  # R4 took part in the choices
        assert events(kept_app) == events(scanned_app)
        assert (kept.refused, len(kept.people)) == (scanned.refused, len(scanned.people))
    finally:
        kept_app.close()
        scanned_app.close()


def test_a_batch_lets_go_of_what_it_saved_and_still_refuses_a_second_referral(app: Brobyg) -> None:
    """Once saved, a batch's claims are the store's to answer for and what it was asked to
    forget is dropped (a simulation's memory); R1 still refuses the same person twice."""
    mentors(app)
    with app.batch(flush_every=1) as batch:
        first = referred(app, person="Ida")
        assert batch.claims == {}  # saved at once (flush_every=1)
        with pytest.raises(Refused, match="R1"):
            referred(app, person="Ida")
        app.assign(first.case, "sara", on=TODAY)
        batch.flush_every = 1_000  # the next events stay unsaved for a while
        app.contact(first.case, on=TODAY)
        batch.forget([first.id])
        assert first.id in batch.aggregates  # unsaved: kept
        batch.flush()
        assert first.id not in batch.aggregates
        assert app.pathway(first.case).version == first.version  # loaded again, as saved
    assert app.mentor("sara").cases == [first.case]


def test_a_batch_holds_the_collector_off_and_gives_it_back_even_after_a_refusal(app: Brobyg) -> None:
    """While a batch is open the cycle collector runs once a flush, not as objects come; a
    long-running process (`projections follow`) must get it back whatever ended the batch."""
    mentors(app)
    assert gc.isenabled()
    with app.batch(flush_every=1_000):
        referred(app, person="Ida")
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(Refused, match="R1"), app.batch(flush_every=1_000):
        referred(app, person="Ida")
    assert gc.isenabled()
