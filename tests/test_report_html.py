"""Charts a person reads at a glance (issue 18, part 4): every chart of the HTML report has a title,
a label on each axis and, where it draws marks of more than one look, a legend with each of them;
capacity by month; the cohort chart with its counts and the still-running cohorts apart; whole
days; the funnel explained; fidelity from a simulated store said to be simulated. The page is
read as the browser reads it in tests/test_reports_cli.py; here its SVG is parsed as XML."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from brobyg.cli import html
from tests.helpers import make_app, run_cli
from tests.scenarios import D, basic_course, bridging, mentors
from tests.test_reports_cli import browser_flags, chromium

SVG = "{http://www.w3.org/2000/svg}"
SHAPES = {f"{SVG}{tag}" for tag in ("rect", "line", "circle", "ellipse", "path", "polygon", "polyline")}


def charts(page: str) -> list[ET.Element]:
    """Every chart of a page, parsed (an inline SVG that is not well-formed XML fails here)."""
    return [ET.fromstring(svg) for svg in re.findall(r"<svg\b.*?</svg>", page, flags=re.S)]


def classes(e: ET.Element) -> set[str]:
    return set((e.get("class") or "").split())


def groups(svg: ET.Element, name: str) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if name in classes(g)]


def look(e: ET.Element) -> tuple[str | None, ...]:
    """How a mark looks, as far as telling series apart goes: its fill (a line has none), stroke, dashes."""
    fill = None if e.tag == f"{SVG}line" else e.get("fill", "black")
    return (fill, e.get("stroke"), e.get("stroke-dasharray"))


def drawn(e: ET.Element) -> list[ET.Element]:
    """The data marks: every shape that is not part of an axis, the grid or the legend."""
    if e.tag == f"{SVG}g" and classes(e) & {"axis", "grid", "legend"}:
        return []
    return [e] * (e.tag in SHAPES) + [m for child in e for m in drawn(child)]


def title_of(svg: ET.Element) -> str:
    return (svg.findtext(f"{SVG}title") or "").strip()


def problems(svg: ET.Element) -> list[str]:
    """What keeps a chart from being read at a glance; empty when nothing does."""
    found = []
    title = title_of(svg)
    shown = [t for t in svg.iter(f"{SVG}text") if "chart-title" in classes(t)]
    if not title:
        found.append("no <title>")
    if not shown or (shown[0].text or "").strip() != title:
        found.append("no title shown on the chart")
    for axis in ("x", "y"):
        labels = [t for t in svg.iter(f"{SVG}text") if {"axis-label", axis} <= classes(t) and (t.text or "").strip()]
        if not labels:
            found.append(f"no label on the {axis} axis")
    if not any(len([t for t in g.iter(f"{SVG}text") if (t.text or "").strip()]) >= 2 for g in groups(svg, "axis")):
        found.append("no axis with ticks")
    marks = list(drawn(svg))
    looks = {look(e) for e in marks}
    if len(looks) > 1:
        entries = [e for g in groups(svg, "legend") for e in g.iter(f"{SVG}g") if "legend-entry" in classes(e)]
        if not entries:
            found.append(f"{len(looks)} kinds of mark and no legend")
        swatches = {look(e) for entry in entries for e in entry.iter() if e.tag in SHAPES}
        found += [f"no legend entry for marks drawn as {missing}" for missing in sorted(looks - swatches, key=str)]
        found += ["a legend entry without a label" for e in entries if not "".join(e.itertext()).strip()]
    return found


# --- a simulated municipality ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, dict[str, Any]]:
    """A simulated store of 300 pathways over six years, its HTML report (cohorts by year) and its
    outcome report as JSON."""
    folder = tmp_path_factory.mktemp("simulated")
    db = str(folder / "brobyg.sqlite")
    made = run_cli(db, "simulate", "--pathways", "300", "--seed", "4")
    assert made.exit_code == 0, made.output
    written = run_cli(db, "report", "html", "--cohort", "year", "-o", str(folder / "report.html"))
    assert written.exit_code == 0, written.output
    outcomes = json.loads(run_cli(db, "report", "outcomes", "--cohort", "year", "--json").stdout)
    return db, (folder / "report.html").read_text(encoding="utf-8"), outcomes


def chart_titled(page: str, start: str) -> ET.Element:
    (found,) = [svg for svg in charts(page) if title_of(svg).startswith(start)]
    return found


def test_every_chart_has_a_title_axis_labels_and_a_legend_where_it_draws_more_than_one_series(simulated: tuple) -> None:
    _, page, outcomes = simulated
    found = charts(page)
    titles = [title_of(svg) for svg in found]
    expected = [
        *(["Here beside the evaluation"] if "horizons" in outcomes else []),
        "The funnel so far, all cohorts",
        "Share of each intake cohort",
        "Days spent in each state",
        "Active pathways by dropout risk level",
        "Share of each fidelity measure met",
        "aarhus-tech: occupied places by month",
        "herning-eud: occupied places by month",
    ]
    assert len(titles) == len(expected) and all(t.startswith(e) for t, e in zip(titles, expected, strict=True)), titles
    assert {title: problems(svg) for title, svg in zip(titles, found, strict=True)} == {title: [] for title in titles}
    several = [title for title, svg in zip(titles, found, strict=True) if groups(svg, "legend")]
    assert len(several) >= 3  # the cohort chart, time in state and capacity draw more than one series


def test_the_check_fails_a_chart_that_lacks_a_legend_a_title_or_an_axis_label(simulated: tuple) -> None:
    _, page, _ = simulated
    capacity = re.search(r'<svg\b[^>]*aria-label="aarhus-tech.*?</svg>', page, flags=re.S)
    assert capacity is not None and problems(ET.fromstring(capacity.group(0))) == []
    svg = capacity.group(0)
    no_legend = re.sub(r'<g class="legend">.*?</g></g>', "", svg, count=1, flags=re.S)
    assert any("no legend" in p for p in problems(ET.fromstring(no_legend)))
    one_short = re.sub(r'<g class="legend-entry">.*?</g>', "", svg, count=1, flags=re.S)  # blue, within the places
    assert problems(ET.fromstring(one_short)) == ["no legend entry for marks drawn as ('#2f6fb0', None, None)"]
    no_axis = svg.replace('class="axis-label y"', 'class="note"')
    assert problems(ET.fromstring(no_axis)) == ["no label on the y axis"]
    untitled = re.sub(r"<title>.*?</title>", "", svg, count=1)
    assert problems(ET.fromstring(untitled)) == ["no <title>", "no title shown on the chart"]
    # The page as it was before issue 18: 314 weekly columns in red and blue, a line, no legend or axis labels.
    old = (
        '<svg width="640" height="174" xmlns="http://www.w3.org/2000/svg"><rect x="30" y="50" width="2" height="100" fill="#2f6fb0"/>'
        '<rect x="32" y="40" width="2" height="110" fill="#c0392b"/><line x1="30" x2="640" y1="60" y2="60" stroke="#1d2733"/></svg>'
    )
    assert problems(ET.fromstring(old)) == [
        "no <title>", "no title shown on the chart", "no label on the x axis", "no label on the y axis", "no axis with ticks",
        "3 kinds of mark and no legend", *(f"no legend entry for marks drawn as {look}" for look in (
            ("#2f6fb0", None, None), ("#c0392b", None, None), (None, "#1d2733", None))),
    ]  # fmt: skip


def test_capacity_is_drawn_by_month(simulated: tuple) -> None:
    db, page, _ = simulated
    for p in json.loads(run_cli(db, "report", "capacity", "--json").stdout):
        months = {monday[:7] for monday in (w["monday"] for w in p["by_week"])}
        assert len(p["by_week"]) > 250 and len(months) < 80  # six years of weeks, a column a month
        chart = chart_titled(page, f"{p['partnership']}: occupied places by month")
        columns = {e.get("x") for g in groups(chart, "plot") for e in g.iter(f"{SVG}rect")}
        assert len(columns) == len(months)
        legend = " ".join("".join(g.itertext()) for g in groups(chart, "legend"))
        assert f"committed places ({p['places']})" in legend and "above the committed places" in legend


def test_the_cohort_chart_shows_each_cohorts_count_and_draws_the_still_running_apart(simulated: tuple) -> None:
    _, page, outcomes = simulated
    chart = chart_titled(page, "Share of each intake cohort")
    words = ["".join(t.itertext()) for t in chart.iter(f"{SVG}text")]
    for c in outcomes["cohorts"]:
        assert c["cohort"] in words and f"n = {c['pathways']}" in words
    running = [c for c in outcomes["cohorts"] if c.get("still_running", False)]
    bands = [e for g in groups(chart, "plot") for e in g.iter(f"{SVG}rect") if e.get("fill") == html.RUNNING]
    assert len(bands) == len(running)
    legend = " ".join("".join(g.itertext()) for g in groups(chart, "legend"))
    assert ("still running" in legend) == bool(running)


def test_still_running_cohorts_apart_with_a_legend_entry_and_their_counts() -> None:
    cohort = {
        "pathways": 40,
        "funnel": {"bridging": 38, "basic_course_started": 20, "basic_course_completed": 10, "qualified": 5},
    }
    series = [("bridging", "bridging"), ("qualified", "qualified")]
    done = ET.fromstring(
        html.cohort_chart([{"cohort": "2021", **cohort}, {"cohort": "2022", **cohort, "still_running": False}], series)
    )
    assert problems(done) == [] and "still running" not in "".join(done.itertext())
    running = ET.fromstring(
        html.cohort_chart(
            [{"cohort": "2021", **cohort}, {"cohort": "2026", **cohort, "pathways": "<5", "still_running": True}], series
        )
    )
    assert problems(running) == []
    text = "".join(running.itertext())
    assert "n = 40" in text and "n = <5" in text and "still running" in text
    bands = [e for e in running.iter(f"{SVG}rect") if e.get("fill") == html.RUNNING]
    assert len(bands) == 2  # one behind the 2026 cohort, one in the legend
    bars = [e for g in groups(running, "plot") for e in g.iter(f"{SVG}rect") if e.get("fill") != html.RUNNING]
    assert len(bars) == 2  # a cohort of "<5" draws no bar


def test_days_are_whole_days(simulated: tuple) -> None:
    _, page, _ = simulated
    assert re.search(r"median \d+\.\d|percentile \d+\.\d", page) is None
    rows = re.findall(
        r"<tr><td>\d{4}</td><td>[a-z_]+</td><td class=n>[^<]*</td><td class=n>([^<]*)</td><td class=n>([^<]*)</td></tr>", page
    )
    assert rows and all(re.fullmatch(r"\d+|–", cell) for row in rows for cell in row)
    assert [html.days(v) for v in (721.0, 30.5, 31.5, None, "<5")] == ["721", "30", "32", "–", "<5"]


def test_the_funnel_says_why_apprenticeship_can_outnumber_the_main_course(simulated: tuple) -> None:
    _, page, _ = simulated
    funnel = page.index("The funnel so far, all cohorts: pathways that ever reached each stage")
    note = page.index("not a narrowing funnel")
    assert funnel < note < page.index("The funnel by cohort")
    said = re.sub(r"\s+", " ", page[note : page.index("</p>", note)])
    assert "hovedforløb" in said and "directly" in said and "school-based" in said and "apprenticeship" in said


def test_fidelity_from_a_simulated_store_is_labelled_simulated(simulated: tuple, tmp_path: Path) -> None:
    db, page, _ = simulated
    fidelity = page[page.index("<h2>Fidelity") :]
    assert fidelity.startswith("<h2>Fidelity to the model (simulated)</h2>") and "Simulated data." in fidelity
    assert title_of(chart_titled(page, "Share of each fidelity measure met")).endswith("(simulated data)")
    alone = run_cli(db, "report", "fidelity", "--format", "html")
    assert alone.exit_code == 0 and "Fidelity to the model (simulated)" in alone.stdout
    # A store of real work says nothing of the kind.
    real = str(tmp_path / "real.sqlite")
    app = make_app(real)
    mentors(app)
    bridging(app, person="A")
    basic_course(app, person="B")
    app.close()
    assert run_cli(real, "report", "html", "-o", str(tmp_path / "real.html")).exit_code == 0
    assert "simulat" not in (tmp_path / "real.html").read_text(encoding="utf-8").lower()
    assert "simulat" not in run_cli(real, "report", "fidelity", "--format", "html").stdout.lower()


def test_a_held_back_count_draws_no_bar(tmp_path: Path) -> None:
    db = str(tmp_path / "small.sqlite")
    app = make_app(db)
    mentors(app)
    app.add_partnership("aarhus", "Jobcenter Aarhus", "Tech College", 5, on=D(2026, 9, 7))
    case = app.refer("Pia", D(2004, 1, 1), "education-ready", kui_contact="sara", partnership="aarhus", on=D(2026, 9, 14)).case
    app.assign(case, "sara", on=D(2026, 9, 14))
    app.start_bridging(case, on=D(2026, 9, 14))
    app.close()
    assert run_cli(db, "report", "html", "-o", str(tmp_path / "small.html")).exit_code == 0
    page = (tmp_path / "small.html").read_text(encoding="utf-8")
    assert [(title_of(svg), problems(svg)) for svg in charts(page)] == [(title_of(svg), []) for svg in charts(page)]
    risk = chart_titled(page, "Active pathways by dropout risk level")
    assert [e for g in groups(risk, "plot") for e in g.iter() if e.tag in SHAPES] == []  # one young person: "<5", no bar
    assert "<5" in "".join(risk.itertext())
    capacity = chart_titled(page, "aarhus: occupied places by month")
    fills = [e.get("fill") for g in groups(capacity, "plot") for e in g.iter(f"{SVG}rect")]
    assert fills == [html.HELD] * 3  # September to November: a young person's place, pale at the most it can be (4)
    assert "held back" in "".join(capacity.itertext())


# --- the evaluation's horizons ------------------------------------------------------------------


def horizon_report() -> dict[str, Any]:
    """An outcome report as published, with the horizons of ../shared/cli.md."""

    def figure(here: float, low: float, high: float, participants: float, comparison: float | None) -> dict[str, Any]:
        return {"here": here, "low": low, "high": high, "participants": participants, "comparison": comparison}

    cohort = {
        "pathways": 12,
        "still_running": True,
        "completed_basic_course": 0.25,
        "completed_main_course": None,
        "employed": 0.0,
        "dropped_out": 0.5,
        "withdrawn": None,
        "active": 0.0,
        "intervals": {"completed_basic_course": {"low": 0.0893, "high": 0.5323}, "dropped_out": {"low": 0.2538, "high": 0.7462}},
        "funnel": {k: 6 for k in ("referred", "bridging", "basic_course_started", "basic_course_completed", "main_course", "apprenticeship", "qualified")},
    }  # fmt: skip
    return {
        "as_of": dt.date(2026, 11, 26),
        "cohort": "year",
        "horizons": {
            "25w": {"days": 175, "pathways": 380, "figures": {"in_education": figure(0.268, 0.226, 0.314, 0.34, None)}},
            "1.5y": {"days": 548, "pathways": 300, "figures": {"started_basic_course": figure(0.36, 0.307, 0.416, 0.30, None)}},
            "2.5y": {
                "days": 913,
                "pathways": 230,
                "figures": {"completed_basic_course": figure(0.226, 0.176, 0.285, 0.20, None)},
            },
            "4y": {
                "days": 1461,
                "pathways": 133,
                "figures": {
                    "completed_basic_course": figure(0.2105, 0.149, 0.289, 0.22, 0.12),
                    "completed_main_course": figure(0.188, 0.130, 0.264, 0.18, 0.15),
                    "employed": figure(0.263, 0.195, 0.345, 0.26, 0.22),
                },
            },
        },
        "overall": {**cohort, "pathways": 400, "completed_main_course": 0.092},
        "cohorts": [{"cohort": "2026", **cohort}],
        "benchmark": {},
        "time_in_state": [],
        "time_in_state_overall": [],
    }


def test_the_four_year_horizon_is_the_comparison_with_the_evaluation() -> None:
    section = html.outcomes_section(horizon_report())
    four = section.index("Beside the evaluation: each pathway four years after its referral")
    on_the_way = section.index("On the way")
    assert four < on_the_way < section.index("The funnel, so far, all cohorts")
    head = re.sub(r"<[^>]+>", " ", section[four:on_the_way])
    assert "the 133 pathways referred at least four years before 2026-11-26 (by 2022-11-26)" in head
    assert re.search(r"completed a main course \(qualified\)\s+133\s+18\.8 %\s+13\.0–26\.4 %\s+18\.0 %\s+15\.0 %", head)
    between = re.sub(r"<[^>]+>", " ", section[on_the_way : section.index("<svg", on_the_way)])
    # The intermediate figures have no comparison group: a dash.
    assert re.search(r"25 weeks\s+in education \(basic course or later\)\s+380\s+26\.8 %\s+22\.6–31\.4 %\s+34\.0 %\s+–", between)
    assert re.search(r"1½ years\s+started a basic course\s+300\s+36\.0 %", between)
    chart = chart_titled(section, "Here beside the evaluation")
    assert problems(chart) == []
    words = [" ".join(t.itertext()) for t in chart.iter(f"{SVG}text")]
    assert words.index("4 years: employed") < words.index("25 weeks: in education (basic course or later)")
    assert "18.8 % (13.0–26.4 %) of 133" in words
    # The shares over every cohort as of today are said to be that, and a small cohort's share has its interval.
    assert (
        "so far, all cohorts" in section
        and '25.0 %<br><span class="muted">8.9–53.2 %</span>' in section
        and "still\u00a0running" in section
    )


def test_before_the_horizons_the_shares_are_labelled_so_far() -> None:
    o = horizon_report()
    del o["horizons"]
    o["benchmark"] = {"employed": {"participants": 0.26, "comparison": 0.22}}
    section = html.outcomes_section(o)
    assert "here, so far, all cohorts" in section and "On the way" not in section


# --- in a real browser ---------------------------------------------------------------------------


def test_the_simulated_page_in_a_headless_browser(simulated: tuple, tmp_path: Path) -> None:
    browser = chromium()
    _, text, _ = simulated
    page = tmp_path / "report.html"
    page.write_text(text, encoding="utf-8")
    dom = subprocess.run(
        [browser, *browser_flags(tmp_path), "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    built = charts(dom.stdout)
    assert [title_of(svg) for svg in built] == [title_of(svg) for svg in charts(text)]
    assert all(problems(svg) == [] for svg in built)
    shots = Path(os.environ.get("BROBYG_ARTIFACTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / "report-simulated.png"
    taken = subprocess.run(
        [browser, *browser_flags(tmp_path), "--window-size=1280,6000", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert taken.returncode == 0 and shot.stat().st_size > 50_000, taken.stderr[-2000:]
