"""R13: no effective date after the real date. Only a store the simulator made (and marked so
when it made it) may run ahead of it; a real store refuses a `--today` in the future."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests import scenarios
from tests.helpers import count_events, make_app, run_cli

REAL = dt.date.today()
AHEAD = REAL + dt.timedelta(days=400)


def test_a_real_store_refuses_a_today_after_the_real_date(db_url: str) -> None:
    app = make_app(db_url)
    scenarios.mentors(app)
    case = scenarios.bridging(app).case
    app.close()
    before = count_events(db_url)
    for today in (AHEAD, dt.date(9999, 12, 31)):
        result = run_cli(db_url, "contact", case, "--on", today.isoformat(), today=today)
        assert result.exit_code == 2, result.output
        assert f"{today} is after the real date ({REAL})" in result.stderr and "--today" in result.stderr
        assert run_cli(db_url, "caseload", "--json", today=today).exit_code == 2
    assert count_events(db_url) == before
    # The case is not blocked: today, and a day in the past, are written as always.
    assert run_cli(db_url, "contact", case, today=REAL).exit_code == 0
    assert run_cli(db_url, "absence", case, "--on", REAL.isoformat(), today=REAL).exit_code == 0


def test_a_simulated_store_may_run_ahead_and_keeps_its_mark_through_export(db_url: str, tmp_path: Path) -> None:
    simulated = run_cli(db_url, "simulate", "--pathways", "15", "--seed", "3", "--json", today=AHEAD)
    assert simulated.exit_code == 0, simulated.output
    assert run_cli(db_url, "caseload", "--json", today=AHEAD + dt.timedelta(days=30)).exit_code == 0
    log = tmp_path / "simulated.jsonl"
    assert run_cli(db_url, "export", str(log)).exit_code == 0
    assert '{"claim": "store:simulated", "holder": "simulator"}' in log.read_text()
    moved = str(tmp_path / "moved.sqlite")
    imported = run_cli(moved, "import", str(log))
    assert imported.exit_code == 0, imported.output
    risk = run_cli(moved, "risk", "--json", today=AHEAD)
    assert risk.exit_code == 0 and isinstance(json.loads(risk.stdout), list)


def test_simulate_does_not_mark_a_store_that_holds_real_events(db_url: str) -> None:
    app = make_app(db_url)
    scenarios.mentors(app)
    app.close()
    result = run_cli(db_url, "simulate", "--pathways", "5", today=REAL)
    assert result.exit_code == 2 and "already holds events" in result.stderr
    assert run_cli(db_url, "caseload", today=AHEAD).exit_code == 2
