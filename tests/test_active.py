"""Today's lists read one row per active pathway (`projections.active`) and say what the fact
tables say, on any day; a pathway that ends leaves the table, a correction changes its row."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import sqlalchemy as sa

from brobyg.domain.application import Brobyg
from brobyg.engine.clock import Clock
from brobyg.engine.store import parse_store_url
from brobyg.projections import active, capacity, facts, fidelity, outcomes
from brobyg.projections.agenda import PARTS as AGENDA_PARTS
from brobyg.projections.agenda import agenda
from brobyg.projections.caseload import PARTS as CASELOAD_PARTS
from brobyg.projections.caseload import caseload
from brobyg.projections.find import current
from brobyg.projections.readmodels import ReadModels
from brobyg.projections.risk import risk
from brobyg.projections.timeline import load_timelines
from brobyg.simulator.simulate import Simulation
from tests.helpers import TODAY, assert_rebuild_changes_nothing


def _simulated(db_url: str) -> tuple[Brobyg, ReadModels]:
    app = Brobyg(parse_store_url(db_url), Clock(TODAY, simulated=True), "simulator", seed=5)
    Simulation(app, 300, 5, TODAY.replace(year=TODAY.year - 3), TODAY).run()
    rm = ReadModels(app)
    rm.catch_up()
    return app, rm


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, default=str) == json.dumps(b, default=str)


def _assert_lists_equal_the_facts(rm: ReadModels, on: dt.date) -> None:
    """The lists as the command line asks them equal the lists worked out from the fact tables."""
    recent = on - active.recent_window(rm.policy)
    with rm.engine.connect() as conn:
        streams = [c.stream for c in current(conn, on)]

        def from_facts(parts: tuple[str, ...]) -> Any:
            return load_timelines(conn, on, streams, parts, recent=recent)

        everyone = rm.caseload(on)
        assert _same(everyone, caseload(conn, from_facts(CASELOAD_PARTS), on, rm.policy)), on
        for row in everyone:  # one mentor's, from the pathways they hold only: their row of the whole
            assert _same(rm.caseload(on, row["mentor"]), [row]), (on, row["mentor"])
        assert _same(rm.risk(on), risk(from_facts(active.KINDS), on, rm.policy)), on
        assert _same(rm.agenda(on, 14), agenda(from_facts(AGENDA_PARTS), on, 14, rm.policy)), on


def _rows(rm: ReadModels) -> dict[str, Any]:
    with rm.engine.connect() as conn:
        return {r.stream: r for r in conn.execute(sa.select(active.active))}


def _without(stream: str, rm: ReadModels, *kinds: str) -> str:
    """The row's facts without these kinds (as no correction could make them)."""
    held = json.loads(_rows(rm)[stream].facts)
    return json.dumps({kind: rows for kind, rows in held.items() if kind not in kinds})


def _contacted_lately(rm: ReadModels) -> tuple[str, str]:
    """A pathway in education whose contact is not overdue: its case and stream."""
    education = ("basic_course", "awaiting_main_course", "main_course")
    case = next(r["case"] for r in rm.risk(TODAY) if r["state"] in education and "contact_overdue" not in r["reasons"])
    with rm.engine.connect() as conn:
        return case, conn.execute(sa.select(facts.pathways.c.stream).where(facts.pathways.c.case == case)).scalar_one()


def test_lists_from_the_active_rows_equal_the_lists_from_the_facts(db_url: str) -> None:
    app, rm = _simulated(db_url)
    rows = _rows(rm)
    with rm.engine.connect() as conn:
        now = {c.stream for c in current(conn, TODAY)}
        assert not conn.execute(sa.select(active.pending)).all()  # caught up: every row worked out
        # Every active pathway has its row, and only those: ended ones have left.
        assert set(rows) == now and len(rows) > 50
    # Today and later (rows hold), and before some pathways' last facts (those read from the facts).
    for on in (TODAY, TODAY + dt.timedelta(days=30), TODAY - dt.timedelta(days=20), TODAY - dt.timedelta(days=400)):
        _assert_lists_equal_the_facts(rm, on)
    app.close()


def test_the_lists_read_the_rows(db_url: str) -> None:
    """A row, not the fact tables, is what a list reads of a pathway: one whose row lost its
    contacts (as no correction could) is overdue at once."""
    app, rm = _simulated(db_url)
    case, stream = _contacted_lately(rm)
    without = _without(stream, rm, "contacts")
    with rm.engine.begin() as conn:
        conn.execute(active.active.update().where(active.active.c.stream == stream).values(facts=without))
    assert "contact_overdue" in next(r["reasons"] for r in rm.risk(TODAY) if r["case"] == case)
    app.close()


def test_the_reports_read_an_active_pathways_kept_parts_carried_to_the_day(db_url: str) -> None:
    """Capacity and fidelity take an active pathway's parts from its row where they hold for the
    day, carried on by the weeks of bridging since: equal to the parts from the facts on days
    after, and a row's part changed (as no correction could) is what the report counts."""
    app, rm = _simulated(db_url)
    later = TODAY + dt.timedelta(days=45)  # every row's parts hold; those in bridging grow weeks
    with rm.engine.connect() as conn:
        streams = [c.stream for c in current(conn, TODAY)]
        held = active.held_parts(conn, later, streams, rm.policy, ("capacity", "fidelity"))
        assert len(held) == len(streams)
        assert len(active.held_parts(conn, later, streams, rm.policy, ("outcomes",))) == len(streams)
        everyone = load_timelines(conn, later)
        for cohort in outcomes.COHORTS:  # the kept outcome parts count the horizons passed by the day
            assert rm.outcomes(later, cohort) == outcomes.outcomes(everyone, later, cohort), cohort
        growing = conn.execute(sa.select(sa.func.count()).where(active.active.c.bridging_since.is_not(None))).scalar()
        assert growing
        for t in load_timelines(conn, later, streams).values():
            assert held[t.stream]["fidelity"] == fidelity.part(t, later, rm.policy), t.case
            assert held[t.stream]["capacity"] == capacity.part(t, later), t.case
    before = rm.fidelity(later)
    stream = next(iter(held))
    part = dataclasses.replace(held[stream]["fidelity"], basic_course_starts=held[stream]["fidelity"].basic_course_starts + 7)
    with rm.engine.begin() as conn:
        row = active.active.update().where(active.active.c.stream == stream)
        conn.execute(row.values(fidelity=json.dumps(part.to_json())))
    after = rm.fidelity(later)  # basic course starts are the denominator of "same mentor"
    assert _measure(after, "same_mentor")["denominator"] == _measure(before, "same_mentor")["denominator"] + 7
    app.close()


def _measure(report: dict[str, Any], key: str) -> dict[str, Any]:
    return next(m for m in report["measures"] if m["key"] == key)


def test_a_pathway_that_ends_leaves_and_a_voided_contact_leaves_its_row(db_url: str) -> None:
    app, rm = _simulated(db_url)
    rows = _rows(rm)
    c, p = facts.contacts, facts.pathways
    with rm.engine.connect() as conn:
        # An active pathway with a contact in the last weeks.
        case, stream, no = conn.execute(
            sa.select(p.c.case, c.c.stream, c.c.seq)
            .join(p, p.c.stream == c.c.stream)
            .where(c.c.stream.in_(list(rows)), c.c.on >= TODAY - dt.timedelta(days=30))
            .order_by(c.c.on.desc(), c.c.seq)
        ).first()
    assert any(fact[0] == no for fact in json.loads(rows[stream].facts)["contacts"])

    corrector = Brobyg(parse_store_url(db_url), Clock(TODAY), "coordinator", seed=3)
    corrector.void(case, no, "recorded on the wrong young person")
    rm.catch_up()
    assert not any(fact[0] == no for fact in json.loads(_rows(rm)[stream].facts).get("contacts", []))
    _assert_lists_equal_the_facts(rm, TODAY)

    corrector.drop_out(case, "moved away", on=TODAY)
    rm.catch_up()
    assert stream not in _rows(rm)
    _assert_lists_equal_the_facts(rm, TODAY)
    assert_rebuild_changes_nothing(rm)
    corrector.close()
    app.close()


def test_a_pathway_touched_but_not_yet_worked_out_is_read_from_its_facts(db_url: str) -> None:
    """Rows are worked out on the page that reaches the log's head; one still waiting (a catch-up
    stopped between pages) is not trusted."""
    app, rm = _simulated(db_url)
    case, stream = _contacted_lately(rm)
    without = _without(stream, rm, "contacts")
    with rm.engine.begin() as conn:
        conn.execute(active.active.update().where(active.active.c.stream == stream).values(facts=without))
        conn.execute(active.pending.insert(), [{"stream": stream}])
    _assert_lists_equal_the_facts(rm, TODAY)
    assert "contact_overdue" not in next(r["reasons"] for r in rm.risk(TODAY) if r["case"] == case)
    app.close()
