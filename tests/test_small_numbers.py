"""Small numbers: the aggregate reports (table, JSON, CSV, HTML) never show a count from 1 to 4
or a share of fewer than 5 young people, and the steering group's HTML page names no case or
mentor unless a coordinator asks for the list (--with-cases)."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from brobyg.engine.access import role_name
from brobyg.projections import small_numbers as small
from brobyg.projections.outcomes import SHARES
from tests.helpers import as_login, make_app, needs_pg, pg_sql, run_cli
from tests.scenarios import D, bridging, mentors

MENTORS = ("sara", "peter")


def _store(url: str) -> list[str]:
    """Six young people referred in September 2026, all in bridging with Sara (none contacted
    since: medium or high risk); two in October, one of them withdrawn. Returns the case ids."""
    app = make_app(url)
    mentors(app)
    cases = [bridging(app, person=f"September {i}").case for i in range(6)]
    for i in range(2):
        cases.append(app.refer(f"October {i}", D(1999, 4, 4), "education-ready", on=D(2026, 10, 6)).case)
        app.assign(cases[-1], "peter", on=D(2026, 10, 6))
    app.withdraw(cases[-1], "moved away", on=D(2026, 10, 20))
    app.close()
    return cases


@pytest.fixture
def two_cohorts(db_url: str) -> tuple[str, list[str]]:
    return db_url, _store(db_url)


def report(url: str, *args: str) -> Any:
    result = run_cli(url, "report", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def ints(document: Any) -> list[int]:
    if isinstance(document, dict):
        return [n for v in document.values() for n in ints(v)]
    if isinstance(document, list):
        return [n for v in document for n in ints(v)]
    return [document] if isinstance(document, int) and not isinstance(document, bool) else []


def test_a_month_of_two_young_people_shows_as_under_five_with_no_shares_in_json(two_cohorts: tuple) -> None:
    url, _ = two_cohorts
    o = report(url, "outcomes", "--cohort", "month")
    sept, octo = o["cohorts"]
    assert (sept["cohort"], sept["pathways"], sept["active"], sept["dropped_out"], sept["funnel"]["bridging"]) == (
        "2026-09",
        6,
        1.0,
        0.0,
        6,
    )
    assert (octo["cohort"], octo["pathways"], octo["funnel"]["referred"], octo["funnel"]["withdrawn"]) == (
        "2026-10",
        "<5",
        "<5",
        "<5",
    )
    assert [octo[k] for k in SHARES] == [None] * 6  # even the 0 % employed: it is two people's
    # One withdrawn of eight: the active count would give it back (8 - 7), so it is held back too.
    overall = o["overall"]
    assert (overall["pathways"], overall["funnel"]["withdrawn"], overall["funnel"]["active"]) == (8, "<5", None)
    assert (overall["withdrawn"], overall["active"], overall["employed"]) == (None, None, 0.0)
    assert all(n == 0 or n >= 5 for n in ints(o))  # no count from 1 to 4 anywhere in the document
    assert "<5" in o["suppressed"] and "null" in o["suppressed"]
    days = {(r["cohort"], r["state"]): r for r in o["time_in_state"]}
    assert days[("2026-09", "referred")]["median_days"] == 2.0  # six stays, referred 09-01, bridging from 09-03
    assert (days[("2026-10", "referred")]["stays"], days[("2026-10", "referred")]["median_days"]) == ("<5", None)


def test_the_table_and_the_csv_show_the_same(two_cohorts: tuple) -> None:
    url, _ = two_cohorts
    shown = run_cli(url, "report", "outcomes", "--cohort", "month")
    assert shown.exit_code == 0, shown.output
    cells = {
        line.split("│")[0].strip(): [c.strip() for c in line.split("│")] for line in shown.stdout.splitlines() if "│" in line
    }
    assert cells["2026-10"] == ["2026-10", "<5", "still running", "–", "–", "–", "–", "–", "–"]
    # Fewer than 30 pathways: a share carries its 95 % interval.
    assert cells["2026-09"][:3] == ["2026-09", "6", "still running"] and cells["2026-09"][-1] == "100.0 % (61–100)"
    assert small.NOTE in shown.stdout
    written = run_cli(url, "report", "outcomes", "--cohort", "month", "--format", "csv")
    rows = {r["cohort"]: r for r in csv.DictReader(io.StringIO(written.stdout))}  # the note is on stderr only
    assert (rows["2026-10"]["pathways"], rows["2026-10"]["active"], rows["2026-10"]["n_withdrawn"]) == ("<5", "", "<5")
    assert (rows["2026-09"]["pathways"], rows["2026-09"]["active"], rows["so far, all cohorts"]["n_active"]) == ("6", "1.0", "")
    assert small.NOTE in written.stderr


def test_fidelity_and_capacity_hold_back_what_is_about_fewer_than_five(two_cohorts: tuple) -> None:
    url, _ = two_cohorts
    app = make_app(url)
    app.add_partnership("aarhus", "Jobcenter Aarhus", "Tech College", 10, on=D(2026, 11, 2))
    case = app.refer("Pia", D(2004, 1, 1), "education-ready", kui_contact="sara", partnership="aarhus", on=D(2026, 11, 9)).case
    app.assign(case, "sara", on=D(2026, 11, 9))
    app.start_bridging(case, on=D(2026, 11, 9))
    app.close()
    f = {m["key"]: m for m in report(url, "fidelity")["measures"]}
    assert (f["one_mentor"]["numerator"], f["one_mentor"]["denominator"], f["one_mentor"]["share"]) == (7, 7, 1.0)
    occupancy = f["occupancy"]  # two weeks of one young person's place
    assert (occupancy["numerator"], occupancy["pathways"], occupancy["share"]) == ("<5", "<5", None)
    (row,) = report(url, "capacity")
    assert (row["occupied_now"], row["pathways"], row["average_occupancy"], "<5" in row["suppressed"]) == ("<5", "<5", None, True)
    weeks = [(w["week"], w["occupied"], w["free"], w["over"]) for w in row["by_week"]]
    assert weeks == [("2026-W45", 0, 10, 0), ("2026-W46", "<5", None, None), ("2026-W47", "<5", None, None), ("2026-W48", "<5", None, None)]  # fmt: skip
    table = run_cli(url, "report", "capacity")
    assert "<5" in table.stdout and small.NOTE in table.stdout


def test_the_steering_groups_page_names_no_case_and_no_mentor(two_cohorts: tuple, tmp_path: Path) -> None:
    url, cases = two_cohorts
    page = tmp_path / "report.html"
    assert run_cli(url, "report", "html", "--cohort", "month", "-o", str(page)).exit_code == 0
    text = page.read_text(encoding="utf-8")
    assert [name for name in (*cases, *MENTORS) if name in text] == []
    assert "Dropout risk" in text and "--with-cases" in text and small.NOTE.split(":")[0] in text
    for kind in ("outcomes", "fidelity", "capacity"):
        single = run_cli(url, "report", kind, "--format", "html")
        assert single.exit_code == 0 and [name for name in (*cases, *MENTORS) if name in single.stdout] == []


def test_with_cases_the_page_lists_the_cases_at_risk_and_their_mentors(two_cohorts: tuple, tmp_path: Path) -> None:
    url, _ = two_cohorts
    page = tmp_path / "report.html"
    assert run_cli(url, "report", "html", "--with-cases", "-o", str(page)).exit_code == 0
    text = page.read_text(encoding="utf-8")
    at_risk = [r["case"] for r in json.loads(run_cli(url, "risk", "--json").stdout) if r["level"] != "low"]
    assert len(at_risk) == 6 and all(case in text for case in at_risk) and "sara" in text


def test_a_count_is_held_back_from_one_to_four_and_a_lone_held_cell_is_not_given_back_by_the_total() -> None:
    assert [small.count(n) for n in (0, 1, 4, 5, 12)] == [0, "<5", "<5", 5, 12]
    assert [small.share(k, n) for k, n in ((0, 4), (0, 5), (3, 10), (5, 10), (0, 0))] == [None, 0.0, None, 0.5, None]
    assert small.partition({"a": 2, "b": 9, "c": 30}, 41) == {"a": "<5", "b": None, "c": 30}
    assert small.partition({"a": 2, "b": 3, "c": 30}, 35) == {"a": "<5", "b": "<5", "c": 30}  # 5 could be 1 + 4
    assert small.partition({"a": 2, "b": 0}, 2) == {"a": "<5", "b": 0}  # the total itself is "<5"


# --- roles on a shared store -------------------------------------------------------------------------


@pytest.fixture
def logins(pg_url: str) -> Iterator[tuple[str, dict[str, str]]]:
    """The two-cohort store, and a login of its own for a coordinator, a mentor and an analyst."""
    _store(pg_url)
    tag = uuid.uuid4().hex[:6]
    names = {role: f"{role}_{tag}" for role in ("coordinator", "mentor", "analyst")}
    for role, login in names.items():
        pg_sql(pg_url, f'CREATE ROLE "{login}" LOGIN')
        granted = run_cli(pg_url, "access", "grant", login, "--role", role, *(["--mentor", "sara"] if role == "mentor" else []))
        assert granted.exit_code == 0, granted.output
    yield pg_url, names
    app = make_app(pg_url)
    groups = [role_name(app, role) for role in ("admin", "coordinator", "mentor", "analyst")]
    app.close()
    for name in [*names.values(), *groups]:
        pg_sql(pg_url, f'DROP OWNED BY "{name}"')
        pg_sql(pg_url, f'DROP ROLE "{name}"')


@needs_pg
def test_only_a_coordinator_gets_the_list_of_cases(logins: tuple, tmp_path: Path) -> None:
    url, names = logins
    for role in ("analyst", "mentor"):
        page = tmp_path / f"{role}.html"
        refused = run_cli(as_login(url, names[role]), "report", "html", "--with-cases", "-o", str(page))
        assert refused.exit_code == 1 and len(refused.stderr.strip().splitlines()) == 1, refused.output
        assert f"role {role}" in refused.stderr and not page.exists()
    page = tmp_path / "coordinator.html"
    assert run_cli(as_login(url, names["coordinator"]), "report", "html", "--with-cases", "-o", str(page)).exit_code == 0
    assert "sara" in page.read_text(encoding="utf-8")
