"""Sixteen coordinators giving the same command at the same moment, each in its own process:
one young person however their name is typed, one handover however many are attempted."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import traceback
import unicodedata
from typing import Any

from brobyg.engine.errors import Refused
from tests import scenarios
from tests.helpers import TODAY, count_events, make_app

PROCESSES = 16
NAME = "Åse Øberg"
SPELLINGS = [
    unicodedata.normalize("NFC", NAME),
    unicodedata.normalize("NFD", NAME),
    NAME.upper(),
    NAME.lower(),
    "Åse\u200b Øberg",
    "  Åse   Øberg ",
    "\ufeffÅse Øberg",
    "Åse Ø\u00adberg",
]
BORN = dt.date(2001, 5, 17)  # 25 on TODAY: the jobcentre refers (R1)


def _at_once(url: str, number: int, start: Any, queue: Any, task: str, arg: str) -> None:
    """One coordinator: open the store, wait for the others, give one command, report how it ended."""
    try:
        app = make_app(url, actor=f"coordinator{number}")
        seen = app.pathway(arg).mentor if task == "assign" else None  # what `brobyg show` told them
        start.wait(timeout=120)
        try:
            if task == "refer":
                app.refer(SPELLINGS[number % len(SPELLINGS)], BORN, "education-ready", via="jobcentre", on=TODAY)
            else:
                app.assign(arg, f"m{number}", reason="a better match", on=TODAY, seen=seen)
            queue.put((number, "done", ""))
        except Refused as e:
            queue.put((number, "refused", str(e)))
        finally:
            app.close()
    except BaseException:
        queue.put((number, "crash", traceback.format_exc()))


def run_sixteen(url: str, task: str, arg: str = "") -> list[tuple[int, str, str]]:
    context = multiprocessing.get_context("spawn")
    start, queue = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=_at_once, args=(url, n, start, queue, task, arg)) for n in range(PROCESSES)]
    for w in workers:
        w.start()
    results = [queue.get(timeout=300) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    crashes = [r[2] for r in results if r[1] == "crash"]
    assert not crashes, crashes[0]
    return sorted(results)


def test_sixteen_spellings_of_one_person_give_one_pathway(db_url: str) -> None:
    results = run_sixteen(db_url, "refer")
    outcomes = [r[1] for r in results]
    print(
        f"\n16 referrals of one person in {len(SPELLINGS)} spellings: {outcomes.count('done')} done, {outcomes.count('refused')} refused"
    )
    assert outcomes.count("done") == 1
    refusals = {message.split(":")[0] for _, outcome, message in results if outcome == "refused"}
    assert refusals == {"R1"}, refusals
    app = make_app(db_url)
    try:
        assert app.count_events() == 1  # one referral; the others wrote nothing
    finally:
        app.close()


def test_sixteen_handovers_of_one_case_give_one(db_url: str) -> None:
    app = make_app(db_url)
    scenarios.mentors(app)
    for n in range(PROCESSES):
        app.add_mentor(f"m{n}", f"Mentor {n}", "lab", on=TODAY - dt.timedelta(days=90))
    case = scenarios.bridging(app).case
    app.close()
    before = count_events(db_url)

    results = run_sixteen(db_url, "assign", case)
    outcomes = [r[1] for r in results]
    print(f"\n16 handovers of one case at once: {outcomes.count('done')} done, {outcomes.count('refused')} refused")
    assert outcomes.count("done") == 1
    (winner,) = [n for n, outcome, _ in results if outcome == "done"]
    for _, outcome, message in results:
        if outcome == "refused":
            assert message == (
                f"R3: {case}'s mentor is m{winner} (changed by coordinator{winner}), not sara; look again (brobyg show {case})"
            )
    app = make_app(db_url)
    try:
        p = app.pathway(case)
        assert p.mentor == f"m{winner}"
        assert count_events(db_url) == before + 3  # handed over, released by sara, taken on by the winner
        holders = [m for m in ["sara", "peter", *(f"m{n}" for n in range(PROCESSES))] if case in app.mentor(m).cases]
        assert holders == [f"m{winner}"]
    finally:
        app.close()
