"""Reports from the settled pathways' kept parts (`projections.settled`) give the very figures
the facts give, on any day, and read no fact of a pathway settled by then."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from brobyg.domain.application import Brobyg
from brobyg.engine.clock import Clock
from brobyg.engine.store import parse_store_url
from brobyg.projections import capacity, facts, fidelity, indicators, outcomes, settled
from brobyg.projections.policy import DEFAULT, load_policy
from brobyg.projections.readmodels import ReadModels
from brobyg.projections.timeline import load_timelines
from brobyg.simulator.simulate import Simulation
from tests.helpers import TODAY, assert_rebuild_changes_nothing

D = dt.date


def _simulated(db_url: str) -> tuple[Brobyg, ReadModels]:
    app = Brobyg(parse_store_url(db_url), Clock(TODAY, simulated=True), "simulator", seed=3)
    Simulation(app, 400, 3, TODAY.replace(year=TODAY.year - 6), TODAY).run()
    rm = ReadModels(app)
    rm.catch_up()
    return app, rm


def _assert_reports_equal_the_facts(rm: ReadModels, on: dt.date) -> None:
    with rm.engine.connect() as conn:
        timelines = load_timelines(conn, on)
        occupancy = capacity.capacity(conn, timelines, on)
        for cohort in outcomes.COHORTS:
            assert rm.outcomes(on, cohort) == outcomes.outcomes(timelines, on, cohort), (on, cohort)
        assert rm.capacity(on) == occupancy
        assert rm.fidelity(on) == fidelity.fidelity(timelines, on, rm.policy, occupancy)
        for t in timelines.values():  # fidelity's bisection decides as the indicators do, one by one
            part = fidelity.part(t, on, rm.policy)
            due = [r.on for r in t.requests if (on - r.on).days > rm.policy.request_answer_days]
            assert part.requests_answered == sum(indicators.request_answered_in_time(t, day, rm.policy) for day in due)
            episodes = indicators.critical_absence_starts(t, on, rm.policy)
            assert part.absence_followed_up == sum(indicators.absence_followed_up(t, day, rm.policy) for day in episodes)
        found = settled.gathered(conn, on, ("outcomes",), rm.policy)  # every pathway referred by then counted once
        assert sum(t.pathways for _first, t in found.tallies["outcomes"]) + len(found.stored["outcomes"]) + len(
            found.others
        ) == len(timelines)


def test_reports_from_tallies_and_kept_parts_equal_reports_from_the_facts(db_url: str) -> None:
    app, rm = _simulated(db_url)
    with rm.engine.connect() as conn:
        kept = conn.execute(sa.select(sa.func.count()).select_from(settled.settled)).scalar()
        assert kept is not None and kept > 150  # most of six years' pathways have ended
        # Today the months whose pathways have all settled are read as one tally each.
        found = settled.gathered(conn, TODAY, ("outcomes",), rm.policy)
        assert len(found.tallies["outcomes"]) > 12 and sum(t.pathways for _first, t in found.tallies["outcomes"]) > 100
        # A month some of whose pathways settle after the day keeps its tally, less their parts.
        rows = conn.execute(sa.select(settled.tallies.c.last_settles, settled.tallies.c.last_referred)).all()
        capacity_now = settled.gathered(conn, TODAY, ("capacity",), rm.policy)
        assert any(last_settles > TODAY for last_settles, _last in rows)
        assert len(capacity_now.tallies["capacity"]) == sum(last <= TODAY for _settles, last in rows)
        # Every pathway settled by today is read as kept (tallied or one by one), none from its
        # facts; so is one that ended within the margin (60 days) once its parts no longer change
        # (`settled.holds_early`: its last fact a week back); one that ended within the last week
        # is worked out from them.
        held_by = TODAY + settled.holds_early(rm.policy)
        s = settled.settled.c
        early = conn.execute(sa.select(sa.func.count()).where(s.settles_on > TODAY, s.settles_on <= held_by)).scalar()
        recent = conn.execute(sa.select(sa.func.count()).where(s.settles_on > held_by)).scalar()
        assert early and recent
        assert sum(t.pathways for _first, t in found.tallies["outcomes"]) + len(found.stored["outcomes"]) == kept - recent

    # Today, a year ago, before most of them ended, and days on which a horizon's day falls
    # inside a tallied month (its pathways are then counted one by one).
    for on in (TODAY, TODAY - dt.timedelta(days=365), TODAY - dt.timedelta(days=4 * 365), D(2026, 3, 17), D(2025, 7, 1)):
        _assert_reports_equal_the_facts(rm, on)
    app.close()


def test_a_settled_pathway_corrected_leaves_its_tally_and_a_rebuild_agrees(db_url: str) -> None:
    app, rm = _simulated(db_url)
    t, p = facts.transitions, facts.pathways
    with rm.engine.connect() as conn:
        found = settled.gathered(conn, TODAY, ("outcomes",), rm.policy)
        first = min(first for first, _t in found.tallies["outcomes"])
        # An early pathway that dropped out: its drop-out is its latest transition.
        latest = sa.select(t.c.stream, sa.func.max(t.c.seq).label("seq")).group_by(t.c.stream).subquery()
        query = (
            sa.select(p.c.case, t.c.seq, p.c.referred_on)
            .join(latest, sa.and_(t.c.stream == latest.c.stream, t.c.seq == latest.c.seq))
            .join(p, p.c.stream == t.c.stream)
            .where(t.c.state == "dropped_out", p.c.referred_on <= first + dt.timedelta(days=90))
            .order_by(p.c.referred_on)
        )
        case, no, referred_on = conn.execute(query).first()
        month = f"{referred_on.year}-{referred_on.month:02d}"
        before = conn.execute(sa.select(settled.tallies.c.pathways).where(settled.tallies.c.month == month)).scalar_one()

    corrector = Brobyg(parse_store_url(db_url), Clock(TODAY), "coordinator", seed=3)
    corrector.void(case, no, "another young person's drop-out")
    rm.catch_up()
    with rm.engine.connect() as conn:
        now = conn.execute(sa.select(settled.tallies.c.pathways).where(settled.tallies.c.month == month)).scalar()
        assert (now or 0) == before - 1  # out of its month's tally (a month with none left has no row)
        assert conn.execute(
            sa.select(settled.unsettled.c.stream).where(settled.unsettled.c.stream == p.c.stream, p.c.case == case)
        ).scalar()
    _assert_reports_equal_the_facts(rm, TODAY)
    assert_rebuild_changes_nothing(rm)

    corrector.drop_out(case, "moved away", on=TODAY)  # it ends again, today: settled after the margin
    rm.catch_up()
    _assert_reports_equal_the_facts(rm, TODAY)
    _assert_reports_equal_the_facts(rm, TODAY + dt.timedelta(days=400))
    assert_rebuild_changes_nothing(rm)
    corrector.close()
    app.close()


def test_parts_kept_under_another_policy_are_worked_out_again(app: Brobyg, tmp_path: Path) -> None:
    Simulation(app, 60, 4, TODAY.replace(year=TODAY.year - 3), TODAY).run()
    ReadModels(app).catch_up()
    stricter = tmp_path / "policy.toml"
    stricter.write_text(Path(DEFAULT).read_text().replace("request_answer_days = 1", "request_answer_days = 0"))
    other = ReadModels(app, load_policy(stricter))
    with other.engine.connect() as conn:
        found = settled.gathered(conn, TODAY, ("capacity", "fidelity"), other.policy)
        assert (
            found.tallies == found.stored == {"capacity": [], "fidelity": []} and found.others
        )  # nothing kept under these numbers
        timelines = load_timelines(conn, TODAY)
        occupancy = capacity.capacity(conn, timelines, TODAY)
    assert other.fidelity(TODAY) == fidelity.fidelity(timelines, TODAY, other.policy, occupancy)
