"""The reading commands through the real entry point: JSON shapes, CSV, exit codes, and the
HTML report in a real headless browser."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import make_app, run_cli
from tests.scenarios import D, basic_course, bridging, mentors


@pytest.fixture
def populated(db_url: str) -> str:
    app = make_app(db_url)
    mentors(app)
    app.add_partnership("aarhus", "Jobcenter Aarhus", "Tech College", 5, 40_000, on=D(2026, 1, 5))
    a = bridging(app, person="A")
    app.request(a.case, "a question", on=D(2026, 11, 20))
    basic_course(app, person="B")
    app.refer("C", D(1999, 5, 5), "education-ready", partnership="aarhus", on=D(2026, 10, 5))
    app.close()
    return db_url


def as_json(db_url: str, *args: str) -> Any:
    result = run_cli(db_url, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_caseload_json(populated: str) -> None:
    rows = as_json(populated, "caseload")
    assert {r["mentor"] for r in rows} == {"sara", "peter"}
    (sara,) = [r for r in rows if r["mentor"] == "sara"]
    assert {"mentor", "capacity", "active", "by_state", "contacts_overdue", "requests_unanswered"} <= set(sara)
    assert (sara["active"], sara["by_state"], sara["requests_unanswered"]) == (2, {"basic_course": 1, "bridging": 1}, 1)
    (before,) = as_json(populated, "caseload", "--mentor", "sara", "--as-of", "2026-09-01")
    assert before["active"] == 0  # both were referred on 09-01; Sara took them on 09-02
    (then,) = as_json(populated, "caseload", "--mentor", "sara", "--as-of", "2026-09-02")
    assert (then["active"], then["by_state"]) == (2, {"referred": 2})
    assert {c["case"] for c in then["cases"]} == {
        c["case"] for c in as_json(populated, "caseload", "--mentor", "sara")[0]["cases"]
    }


def test_risk_json_is_sorted_and_filtered(populated: str) -> None:
    rows = as_json(populated, "risk")
    assert all({"case", "state", "mentor", "score", "level", "reasons", "details", "actions"} <= set(r) for r in rows)
    assert [(r["state"], r["mentor"], r["score"], r["level"]) for r in rows] == [
        ("bridging", "sara", 9, "high"),  # A: no contact since bridging started, an open request, 12 weeks in
        ("basic_course", "sara", 3, "medium"),  # B: no contact since bridging started
        ("referred", None, 0, "low"),  # C: referred on 10-05, nothing due yet
    ]
    assert rows[0]["reasons"] == [
        "contact_overdue", "unanswered_request", "transition_window", "admission_requirement_not_met", "no_taster_placement",
    ]  # fmt: skip
    assert as_json(populated, "risk", "--level", "high") == rows[:1]


def test_reports_json(populated: str) -> None:
    o = as_json(populated, "report", "outcomes", "--cohort", "month")
    assert {"overall", "cohorts", "benchmark"} <= set(o)
    for part in (o["overall"], *o["cohorts"]):
        assert {
            "pathways",
            "completed_basic_course",
            "completed_main_course",
            "employed",
            "dropped_out",
            "withdrawn",
            "active",
        } <= set(part)
    # Three young people: every count is "<5" and no share is shown (tests/test_small_numbers.py has more).
    assert o["overall"]["pathways"] == "<5" and [c["cohort"] for c in o["cohorts"]] == ["2026-09", "2026-10"]
    assert o["overall"]["completed_basic_course"] is None and "<5" in o["suppressed"]
    assert set(o["benchmark"]) == {"completed_basic_course", "completed_main_course", "employed"}
    # The evaluation's horizons (cli.md): none of these three is 25 weeks old yet, so nothing to show.
    assert {key: (h["pathways"], list(h["figures"])) for key, h in o["horizons"].items()} == {
        "25w": (0, ["in_education"]),
        "1.5y": (0, ["started_basic_course"]),
        "2.5y": (0, ["completed_basic_course"]),
        "4y": (0, ["completed_basic_course", "completed_main_course", "employed"]),
    }
    assert o["horizons"]["4y"]["figures"]["employed"] == {
        "here": None,
        "low": None,
        "high": None,
        "participants": 0.26,
        "comparison": 0.22,
    }
    assert all(c["still_running"] for c in o["cohorts"])
    f = as_json(populated, "report", "fidelity")
    # The exact counts are in tests/test_read_models.py; published, those about 1 to 4 young people are held back.
    assert [(m["key"], m["numerator"], m["denominator"], m["pathways"], m["share"]) for m in f["measures"]] == [
        ("one_mentor", "<5", "<5", "<5", None),
        ("weekly_contact", 0, None, "<5", None),  # 16 full weeks, but of two young people (A 12, B 4)
        ("requests_answered", 0, "<5", "<5", None),
        ("same_mentor", "<5", "<5", "<5", None),
        ("placements_planned", 0, 0, 0, None),
        ("absence_followed_up", 0, 0, 0, None),
        ("cadence_agreed", 0, "<5", "<5", None),
        ("occupancy", 0, 47 * 5, 0, 0.0),  # weeks 2026-W02..W48 of 5 places; C never started bridging
    ]
    assert "<5" in f["suppressed"]
    assert len(f["not_answerable"]) == 7
    (cap,) = as_json(populated, "report", "capacity")
    assert (cap["partnership"], cap["places"]) == ("aarhus", 5)
    status = as_json(populated, "projections", "status")
    assert all(s["behind"] == 0 for s in status)
    rebuilt = as_json(populated, "projections", "rebuild")
    assert rebuilt["processed"] == status[0]["head"]


def test_reports_as_csv(populated: str) -> None:
    result = run_cli(populated, "report", "outcomes", "--format", "csv")
    rows = {r["cohort"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    # The evaluation's comparison first: no pathway here is four years old yet.
    assert list(rows)[:3] == [
        "after 4 years",
        "evaluation participants, after 4 years",
        "evaluation comparison group, after 4 years",
    ]
    assert (rows["after 4 years"]["pathways"], rows["after 4 years"]["employed"]) == ("0", "")
    assert rows["evaluation comparison group, after 4 years"]["completed_basic_course"] == "0.12"
    so_far = rows["so far, all cohorts"]
    assert (so_far["pathways"], so_far["n_referred"], so_far["still_running"]) == ("<5", "<5", "True")
    assert so_far["completed_basic_course"] == "" and "<5" in result.stderr  # a share left out; the note on stderr
    weeks = list(csv.DictReader(io.StringIO(run_cli(populated, "report", "capacity", "--format", "csv").stdout)))
    assert len(weeks) == 47 and all(
        (w["partnership"], w["places"], w["occupied"], w["free"], w["over"]) == ("aarhus", "5", "0", "5", "0") for w in weeks
    )
    assert (weeks[0]["week"], weeks[0]["monday"], weeks[-1]["week"]) == ("2026-W02", "2026-01-05", "2026-W48")


def test_reading_errors(populated: str) -> None:
    unknown = run_cli(populated, "caseload", "--mentor", "nobody")
    assert unknown.exit_code == 1 and "nobody" in unknown.stderr and len(unknown.stderr.strip().splitlines()) == 1
    assert run_cli(populated, "risk", "--as-of", "2026-02-30").exit_code == 2
    assert run_cli(populated, "report", "outcomes", "--cohort", "week").exit_code == 2


# --- the HTML report in a real browser --------------------------------------------------------


def chromium() -> str:
    """Debian's headless Chromium: required in CI, else the test is skipped."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium for the HTML report test (.ci/run installs it)")
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    return found


def browser_flags(tmp_path: Path) -> list[str]:
    """Headless, a profile of its own, and no network: every host name resolves to nothing."""
    return [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
        "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
    ]  # fmt: skip


def test_the_html_report_opens_offline_in_a_headless_browser(populated: str, tmp_path: Path) -> None:
    browser = chromium()
    page = tmp_path / "report.html"
    result = run_cli(populated, "report", "html", "--output", str(page))
    assert result.exit_code == 0, result.output
    text = page.read_text(encoding="utf-8")
    # Self-contained: nothing to fetch (the SVG namespace is a name, not a request).
    for needle in ("src=", "href=", "@import", "url(", "<script", "<link"):
        assert needle not in text
    flags = browser_flags(tmp_path)
    dom = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "Outcomes" in dom.stdout and "Dropout risk" in dom.stdout
    assert dom.stdout.count("<svg") == text.count("<svg") == 6  # every chart of the file is in the page the browser built
    assert "Uncaught" not in dom.stderr and "CONSOLE" not in dom.stderr
    shot_dir = Path(os.environ.get("BROBYG_ARTIFACTS", tmp_path))
    shot_dir.mkdir(parents=True, exist_ok=True)
    shot = shot_dir / f"report-{'postgres' if populated.startswith('postgresql') else 'sqlite'}.png"
    taken = subprocess.run(
        [browser, *flags, "--window-size=1280,2400", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert taken.returncode == 0 and shot.stat().st_size > 10_000, taken.stderr[-2000:]
