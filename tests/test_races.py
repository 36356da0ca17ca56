"""Many coordinators at once: OS processes giving commands to the same pathways and mentors.

Afterwards no event is lost or duplicated, every aggregate replays, no mentor is above
capacity, no pathway has two mentors, and the read models equal a rebuild. A command that lost
a race was retried on fresh state or refused cleanly.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import traceback
import uuid
from collections import Counter

import psycopg
import pytest

from brobyg.domain.application import Brobyg
from brobyg.domain.mentor import Mentor
from brobyg.engine.errors import AlreadyExists, Conflict, NotFound, Refused
from brobyg.engine.store import parse_store_url
from brobyg.projections.readmodels import ReadModels
from tests.helpers import TODAY, assert_rebuild_changes_nothing, make_app, needs_pg

PROCESSES, COMMANDS = 8, 200
MENTORS = [f"m{i}" for i in range(6)]


def coordinator(url: str, number: int, cases: list[str], queue: multiprocessing.Queue) -> None:
    try:
        queue.put(_coordinate(url, number, cases))
    except BaseException:  # report it, so the test fails at once with the reason
        queue.put({"crash": traceback.format_exc()})


def _coordinate(url: str, number: int, cases: list[str]) -> dict[str, int]:
    rng = random.Random(number)
    app = make_app(url, actor=f"coordinator-{number}", seed=100 + number)
    outcome: Counter[str] = Counter()
    save = app.save

    def counted(*aggregates: object, **kwargs: object) -> list[object]:
        recordings = save(*aggregates, **kwargs)  # only what the store accepted
        outcome["events saved"] += len(recordings)
        return recordings

    app.save = counted  # type: ignore[method-assign]
    for _ in range(COMMANDS):
        case, mentor = rng.choice(cases), rng.choice(MENTORS)
        action = rng.choice(["assign", "assign", "contact", "start_bridging", "request", "absence", "assess"])
        try:
            if action == "assign":
                app.assign(case, mentor, "rebalancing caseloads", on=TODAY)
            elif action == "contact":
                app.contact(case, on=TODAY)
            elif action == "start_bridging":
                app.start_bridging(case, on=TODAY)
            elif action == "request":
                app.request(case, on=TODAY)
            elif action == "absence":
                app.absence(case, 1, on=TODAY)
            else:
                app.assess(case, "maths", 4, on=TODAY)
            outcome["done"] += 1
        except Refused:
            outcome["refused"] += 1
        except Conflict:
            outcome["conflict"] += 1
        except (NotFound, AlreadyExists) as e:  # pragma: no cover - would be a bug
            outcome[f"error {e}"] += 1
    app.close()
    return dict(outcome)


def events_in_log(app: Brobyg, limit: int = 1_000_000) -> int:
    events = len(app.recorder.select_notifications(None, limit))
    assert events < limit  # all of them, not a page
    return events


def test_eight_processes_on_twenty_pathways(db_url: str) -> None:
    app = make_app(db_url)
    for m in MENTORS:
        app.add_mentor(m, m.upper(), "lab", capacity=4, on=TODAY - dt.timedelta(days=30))  # 24 places for 20 pathways
    cases = [
        app.refer(f"P{i}", dt.date(1999, 1, 1 + i), "education-ready", on=TODAY - dt.timedelta(days=10)).case for i in range(20)
    ]
    ReadModels(app).catch_up()
    before = events_in_log(app)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=coordinator, args=(db_url, n, cases, queue)) for n in range(PROCESSES)]
    for w in workers:
        w.start()
    results = [queue.get(timeout=240) for _ in workers]
    crashes = [r["crash"] for r in results if "crash" in r]
    assert not crashes, crashes[0]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    total = Counter()
    for r in results:
        total.update(r)
    saved = total.pop("events saved", 0)
    assert set(total) <= {"done", "refused", "conflict"}, total
    assert sum(total.values()) == PROCESSES * COMMANDS and total["done"] > 0
    # The log holds exactly what the coordinators were told was saved: nothing lost, nothing twice.
    assert events_in_log(app) == before + saved

    # Every stream replays; versions are contiguous (no lost or duplicated event).
    holders: Counter[str] = Counter()
    for m in MENTORS:
        mentor = app.load(Mentor.id_for(m), Mentor)
        assert mentor is not None and mentor.load <= mentor.capacity, f"{m} above capacity"
        holders.update(mentor.cases)
    for case in cases:
        p = app.pathway(case)
        events = list(app.events.get(p.id))
        assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
        replayed = None
        for e in events:
            replayed = e.mutate(replayed)
        assert vars(replayed) == vars(p)
        assert holders[case] == (1 if p.mentor else 0), f"{case} is held by {holders[case]} mentors"
        if p.mentor:
            assert case in app.mentor(p.mentor).cases
    read_models = ReadModels(app)
    read_models.catch_up()
    assert_rebuild_changes_nothing(read_models)
    app.close()


@needs_pg
def test_a_coordinator_holds_one_connection_to_the_server(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL allows 100 connections by default; every coordinator's process holds one."""
    name = f"brobyg-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PGAPPNAME", name)  # libpq names every connection this process opens
    app = make_app(pg_url)
    app.add_mentor("sara", "Sara", "kui", on=TODAY)
    case = app.refer("Ada", dt.date(2000, 1, 1), "education-ready", on=TODAY).case
    app.assign(case, "sara", "planned", on=TODAY)
    app.contact(case, on=TODAY)
    assert app.pathway(case).mentor == "sara"
    with psycopg.connect(parse_store_url(pg_url).libpq_url, application_name="counting") as conn:
        held = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)).fetchone()
    app.close()
    assert held == (1,)
