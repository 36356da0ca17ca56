"""Read models, scenario by scenario, with figures worked out by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from brobyg.domain.application import Brobyg
from brobyg.projections.policy import DEFAULT, load_policy
from brobyg.projections.readmodels import ReadModels
from tests.helpers import TODAY
from tests.scenarios import D, awaiting_main_course, basic_course, bridging, mentors, referred


@pytest.fixture
def rm(app: Brobyg) -> ReadModels:
    mentors(app)
    return ReadModels(app)


def risk_of(rm: ReadModels, case: str, on: dt.date) -> dict:
    (row,) = [r for r in rm.risk(on) if r["case"] == case]
    return row


def reasons(rm: ReadModels, case: str, on: dt.date) -> list[str]:
    return risk_of(rm, case, on)["reasons"]


# --- R10 contact cadence ---------------------------------------------------------------


def test_contact_is_overdue_after_7_days_of_bridging(rm: ReadModels) -> None:
    p = bridging(rm.app)  # bridging from 2026-09-03
    rm.app.contact(p.case, on=D(2026, 9, 10))
    assert "contact_overdue" not in reasons(rm, p.case, D(2026, 9, 17))  # 7 days: still in time
    assert risk_of(rm, p.case, D(2026, 9, 20))["details"][0] == "contact overdue by 3 days"
    (sara,) = rm.caseload(D(2026, 9, 20), "sara")
    assert (sara["contacts_overdue"], sara["cases"][0]["contact_overdue_days"]) == (1, 3)


def test_after_education_starts_the_agreed_cadence_counts(rm: ReadModels) -> None:
    p = basic_course(rm.app)  # basic course from 2026-10-01; no contact since bridging started 09-03
    rm.app.contact(p.case, on=D(2026, 10, 1))
    assert "contact_overdue" in reasons(rm, p.case, D(2026, 10, 16))  # 15 days > the default 14
    rm.app.agree_cadence(p.case, 21, on=D(2026, 10, 2))
    assert "contact_overdue" not in reasons(rm, p.case, D(2026, 10, 16))
    assert "contact_overdue" in reasons(rm, p.case, D(2026, 10, 23))  # 22 days > 21


def test_a_request_is_answered_by_the_next_contact_within_24_hours(rm: ReadModels) -> None:
    p = bridging(rm.app)
    rm.app.request(p.case, "help with the timetable", on=D(2026, 9, 15))
    assert "unanswered_request" not in reasons(rm, p.case, D(2026, 9, 16))
    assert "unanswered_request" in reasons(rm, p.case, D(2026, 9, 17))
    assert rm.caseload(D(2026, 9, 17), "sara")[0]["requests_unanswered"] == 1
    rm.app.contact(p.case, "phone", on=D(2026, 9, 18))
    assert "unanswered_request" not in reasons(rm, p.case, D(2026, 9, 18))


# --- R11 critical absence ----------------------------------------------------------------


def test_three_consecutive_unexcused_school_days_are_critical(rm: ReadModels) -> None:
    p = bridging(rm.app)
    rm.app.absence(p.case, 2, on=D(2026, 9, 14))  # Monday and Tuesday
    assert "critical_absence" not in reasons(rm, p.case, D(2026, 9, 15))
    rm.app.absence(p.case, 1, on=D(2026, 9, 16))  # Wednesday: three in a row
    assert "critical_absence" in reasons(rm, p.case, D(2026, 9, 16))


def test_excused_absence_is_not_critical(rm: ReadModels) -> None:
    p = bridging(rm.app)
    rm.app.absence(p.case, 5, excused=True, on=D(2026, 9, 14))
    assert "critical_absence" not in reasons(rm, p.case, D(2026, 9, 18))


def test_more_than_10_percent_of_the_last_20_school_days_is_critical(rm: ReadModels) -> None:
    p = bridging(rm.app)
    for day in (D(2026, 9, 7), D(2026, 9, 10), D(2026, 9, 15)):  # three single days, never two in a row
        rm.app.absence(p.case, 1, on=day)
    assert "critical_absence" in reasons(rm, p.case, D(2026, 9, 15))  # 3 of 20 = 15 %
    # 20 school days after the first absence (Mon 7 Sep), it has left the window: 2 of 20.
    assert "critical_absence" not in reasons(rm, p.case, D(2026, 10, 5))


# --- the other indicators ------------------------------------------------------------------


def test_a_new_mentor_is_a_risk_for_30_days(rm: ReadModels) -> None:
    p = bridging(rm.app)
    rm.app.assign(p.case, "peter", reason="Sara on leave", on=D(2026, 9, 10))
    assert "recent_mentor_change" in reasons(rm, p.case, D(2026, 10, 10))
    assert "recent_mentor_change" not in reasons(rm, p.case, D(2026, 10, 11))


def test_transition_windows(rm: ReadModels) -> None:
    p = bridging(rm.app)  # bridging from 2026-09-03
    assert "transition_window" not in reasons(rm, p.case, D(2026, 11, 1))  # week 8
    assert risk_of(rm, p.case, D(2026, 11, 12))["details"].count("the last weeks of bridging") == 1  # week 10
    q = awaiting_main_course(rm.app, person="Other")  # basic course 10-01, completed 11-01
    assert "the first weeks of the basic course" in risk_of(rm, q.case, D(2026, 10, 28))["details"]
    assert "waiting for the main course or an apprenticeship" in risk_of(rm, q.case, D(2026, 11, 2))["details"]
    rm.app.secure_apprenticeship(q.case, "Tømrer A/S", D(2026, 11, 16), on=D(2026, 11, 3))
    assert "waiting for the apprenticeship to start" in risk_of(rm, q.case, D(2026, 11, 10))["details"]
    assert "the trial period of the apprenticeship" in risk_of(rm, q.case, D(2026, 11, 20))["details"]


def test_bridging_past_13_weeks_without_a_placement_or_the_grades(rm: ReadModels) -> None:
    p = bridging(rm.app)  # bridging from 2026-09-03; no grades, no placement
    assert reasons(rm, p.case, D(2026, 10, 14)) == ["contact_overdue", "admission_requirement_not_met"]  # 6 weeks exactly
    r = risk_of(rm, p.case, D(2026, 12, 4))  # 13 weeks and 1 day
    assert r["reasons"] == ["contact_overdue", "bridging_past_13_weeks", "admission_requirement_not_met", "no_taster_placement"]
    weights = load_policy().indicators
    assert r["score"] == sum(weights[name].weight for name in r["reasons"]) == 7
    assert r["level"] == "high"
    assert r["actions"][-1] == "plan a taster placement"


def test_the_policy_file_decides_weights_and_levels(rm: ReadModels, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = referred(rm.app)
    rm.app.assign(p.case, "sara", on=D(2026, 9, 2))
    rm.app.start_bridging(p.case, on=D(2026, 9, 3))
    text = Path(DEFAULT).read_text(encoding="utf-8")
    custom = tmp_path / "policy.toml"
    custom.write_text(text.replace("high_from = 6", "high_from = 4"), encoding="utf-8")
    monkeypatch.setenv("BROBYG_POLICY", str(custom))
    assert ReadModels(rm.app).risk(D(2026, 9, 20))[0]["level"] == "high"  # 3 + 1 >= 4
    assert rm.risk(D(2026, 9, 20))[0]["level"] == "medium"  # the default policy: 4 < 6


def test_risk_is_sorted_and_filtered_by_level(rm: ReadModels) -> None:
    a = bridging(rm.app, person="A")
    referred(rm.app, person="B", kui_contact=None)
    rows = rm.risk(D(2026, 12, 4))
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert [r["case"] for r in rm.risk(D(2026, 12, 4), "high")] == [a.case]


# --- caseload ------------------------------------------------------------------------------------


def test_caseload_counts_active_pathways_by_state(rm: ReadModels) -> None:
    a = bridging(rm.app, person="A")
    b = basic_course(rm.app, person="B")
    c = referred(rm.app, person="C")
    rm.app.assign(c.case, "sara", on=D(2026, 10, 2))
    (sara,) = rm.caseload(D(2026, 10, 2), "sara")
    assert (sara["active"], sara["capacity"], sara["by_state"]) == (3, 20, {"basic_course": 1, "bridging": 1, "referred": 1})
    rm.app.drop_out(a.case, "moved away", on=D(2026, 10, 3))
    assert rm.caseload(D(2026, 10, 3), "sara")[0]["active"] == 2
    assert rm.caseload(D(2026, 10, 2), "sara")[0]["active"] == 3  # as of before the drop-out
    assert {r["mentor"] for r in rm.caseload(D(2026, 10, 3))} == {"sara", "peter"}
    assert b.case in {c["case"] for c in rm.caseload(D(2026, 10, 3), "sara")[0]["cases"]}


# --- outcomes and time in state ------------------------------------------------------------------


def test_outcomes_by_cohort_with_the_evaluation_beside(rm: ReadModels) -> None:
    a = awaiting_main_course(rm.app, person="A")  # referred 2026-09-01: completed the basic course
    b = bridging(rm.app, person="B")  # referred 2026-09-01
    rm.app.drop_out(b.case, "lost motivation", on=D(2026, 9, 30))
    c = rm.app.refer("C", D(1999, 5, 5), "education-ready", on=D(2026, 10, 5))
    rm.app.employ(c.case, "Netto", on=D(2026, 10, 20))
    rm.app.start_main_course(a.case, on=D(2026, 11, 10))
    o = rm.outcomes(TODAY, "month")
    assert o["overall"]["pathways"] == 3
    assert o["overall"]["completed_basic_course"] == pytest.approx(1 / 3, abs=1e-4)
    assert (o["overall"]["employed"], o["overall"]["dropped_out"], o["overall"]["active"]) == (
        pytest.approx(1 / 3, abs=1e-4),
        pytest.approx(1 / 3, abs=1e-4),
        pytest.approx(1 / 3, abs=1e-4),
    )
    sept, octo = o["cohorts"]
    assert (sept["cohort"], sept["pathways"], sept["completed_basic_course"], sept["dropped_out"]) == ("2026-09", 2, 0.5, 0.5)
    assert (octo["cohort"], octo["pathways"], octo["employed"]) == ("2026-10", 1, 1.0)
    assert sept["funnel"] == {
        "referred": 2, "bridging": 2, "basic_course_started": 1, "basic_course_completed": 1, "main_course": 1,
        "apprenticeship": 0, "qualified": 0, "employed": 0, "dropped_out": 1, "withdrawn": 0, "active": 1,
    }  # fmt: skip
    assert o["benchmark"]["completed_basic_course"] == {"participants": 0.22, "comparison": 0.12, "relative_increase": 0.83}
    # As of an earlier date, the later facts do not count.
    assert rm.outcomes(D(2026, 9, 15), "month")["overall"]["pathways"] == 2


def test_each_horizon_sees_only_pathways_old_enough_each_that_long_after_its_referral(rm: ReadModels) -> None:
    app = rm.app
    app.add_mentor("ole", "Ole Berg", "lab", on=D(2020, 1, 6))

    def educated(person: str, referred_on: dt.date) -> str:
        case = app.refer(person, D(2000, 1, 1), "education-ready", on=referred_on).case
        app.assign(case, "ole", on=referred_on + dt.timedelta(days=1))
        app.start_bridging(case, on=referred_on + dt.timedelta(days=7))
        app.assess(case, "danish", 4, on=referred_on + dt.timedelta(days=28))
        app.assess(case, "maths", 2, on=referred_on + dt.timedelta(days=28))
        app.start_basic_course(case, "Carpenter", on=referred_on + dt.timedelta(days=56))
        return case

    a = educated("A", D(2021, 1, 4))  # in education after 25 weeks, qualified within four years
    app.complete_basic_course(a, on=D(2021, 9, 1))
    app.secure_apprenticeship(a, "Tømrer Hansen", starts=D(2021, 10, 1), on=D(2021, 10, 1))
    app.qualify(a, on=D(2024, 6, 3))
    b = app.refer("B", D(2000, 1, 1), "education-ready", on=D(2021, 2, 1)).case
    app.drop_out(b, "moved away", on=D(2021, 3, 1))
    d = app.refer("D", D(2000, 1, 1), "education-ready", on=D(2021, 3, 1)).case
    app.employ(d, "Netto", on=D(2021, 4, 1))  # employed, and still so four years on
    c = educated("C", D(2024, 6, 3))  # 1½ years on (2025-12-03): in a basic course; 2½ years not yet
    app.drop_out(c, "lost motivation", on=D(2025, 12, 15))  # after the 1½-year day: it still counts as started

    h = rm.outcomes(TODAY, "year")["horizons"]
    assert {key: h[key]["pathways"] for key in h} == {"25w": 4, "1.5y": 4, "2.5y": 3, "4y": 3}
    assert h["25w"]["figures"]["in_education"]["hits"] == 2  # A and C; B dropped out, D employed
    assert h["1.5y"]["figures"]["started_basic_course"]["hits"] == 2
    assert h["2.5y"]["figures"]["completed_basic_course"]["hits"] == 1  # C is not yet 2½ years on
    four = h["4y"]["figures"]
    assert {name: (f["hits"], f["here"], f["participants"], f["comparison"]) for name, f in four.items()} == {
        "completed_basic_course": (1, 0.3333, 0.22, 0.12),
        "completed_main_course": (1, 0.3333, 0.18, 0.15),
        "employed": (1, 0.3333, 0.26, 0.22),
    }
    assert (four["employed"]["low"], four["employed"]["high"]) == (0.0615, 0.7923)  # Wilson, 95 %
    # Seen on its own horizon day: as of a day before A's fourth anniversary, A is not in the 4-year group.
    assert rm.outcomes(D(2025, 1, 3), "year")["horizons"]["4y"]["pathways"] == 0
    # A cohort runs until every pathway in it has ended and is four years old.
    cohorts = {c["cohort"]: c["still_running"] for c in rm.outcomes(TODAY, "year")["cohorts"]}
    assert cohorts == {"2021": False, "2024": True}
    assert rm.outcomes(D(2024, 6, 1), "year")["cohorts"][0]["still_running"]  # 2021 then: A in an apprenticeship


def test_time_in_state_median_and_90th_percentile(rm: ReadModels) -> None:
    # Days in referred: 1, 2, 3, ..., 10 for ten people referred on 2026-09-01.
    for i in range(1, 11):
        p = rm.app.refer(f"P{i}", D(1999, 1, 1), "education-ready", on=D(2026, 9, 1))
        rm.app.withdraw(p.case, "moved", on=D(2026, 9, 1) + dt.timedelta(days=i))
    (row,) = [r for r in rm.outcomes(TODAY, "month")["time_in_state"] if r["state"] == "referred"]
    assert (row["stays"], row["median_days"], row["p90_days"]) == (10, 5.5, 9.0)


# --- fidelity --------------------------------------------------------------------------------------


def measure(rm: ReadModels, key: str, on: dt.date) -> tuple[int, int]:
    (m,) = [m for m in rm.fidelity(on)["measures"] if m["key"] == key]
    return m["numerator"], m["denominator"]


def test_fidelity_one_mentor_and_the_same_retention_mentor(rm: ReadModels) -> None:
    basic_course(rm.app, person="A")  # sara throughout
    b = bridging(rm.app, person="B")
    rm.app.assign(b.case, "peter", reason="Sara on leave", on=D(2026, 9, 10))
    rm.app.assess(b.case, "danish", 7, on=D(2026, 9, 11))
    rm.app.assess(b.case, "maths", 7, on=D(2026, 9, 11))
    rm.app.start_basic_course(b.case, "Baker", mentor="sara", reason="back from leave", on=D(2026, 10, 1))
    on = TODAY
    assert measure(rm, "one_mentor", on) == (1, 2)
    assert measure(rm, "same_mentor", on) == (1, 2)


def test_fidelity_weekly_contact_and_requests(rm: ReadModels) -> None:
    p = bridging(rm.app)  # bridging from Thursday 2026-09-03
    rm.app.contact(p.case, on=D(2026, 9, 5))  # week 1 (09-03..09-09)
    rm.app.request(p.case, on=D(2026, 9, 8))
    rm.app.contact(p.case, on=D(2026, 9, 9))  # answers the request within 24 hours
    rm.app.request(p.case, on=D(2026, 9, 12))  # week 2 (09-10..09-16): no contact, request unanswered
    assert measure(rm, "weekly_contact", D(2026, 9, 23)) == (1, 2)  # two full weeks, one with contact
    assert measure(rm, "requests_answered", D(2026, 9, 23)) == (1, 2)


def test_fidelity_placements_absence_and_cadence(rm: ReadModels) -> None:
    p = bridging(rm.app)
    rm.app.start_placement(p.case, "Bageriet", "company", "Mette", "clarify", "baking", on=D(2026, 9, 7))
    rm.app.end_placement(p.case, "liked it", on=D(2026, 9, 11))
    rm.app.absence(p.case, 3, on=D(2026, 9, 14))  # critical on Wednesday 09-16
    rm.app.contact(p.case, on=D(2026, 9, 18))  # Friday: within 2 school days
    rm.app.absence(p.case, 3, on=D(2026, 10, 19))  # critical again on Wednesday 10-21 (window fell below)
    rm.app.contact(p.case, on=D(2026, 10, 26))  # Monday: three school days later, too late
    on = TODAY
    assert measure(rm, "placements_planned", on) == (1, 1)
    assert measure(rm, "absence_followed_up", on) == (1, 2)
    assert measure(rm, "cadence_agreed", on) == (0, 0)  # not in education yet
    q = basic_course(rm.app, person="In education")
    r = basic_course(rm.app, person="Also in education")
    rm.app.agree_cadence(q.case, 10, on=D(2026, 10, 2))
    assert r.case and measure(rm, "cadence_agreed", on) == (1, 2)


def test_fidelity_lists_what_the_log_cannot_answer(rm: ReadModels) -> None:
    f = rm.fidelity(TODAY)
    assert [(m["key"], m["numerator"], m["denominator"], m["share"]) for m in f["measures"]] == [
        (key, 0, 0, None)  # no pathways yet: nothing to measure, and no share pretended
        for key in (
            "one_mentor", "weekly_contact", "requests_answered", "same_mentor", "placements_planned",
            "absence_followed_up", "cadence_agreed", "occupancy",
        )
    ]  # fmt: skip
    # The guide's questions the event log holds no facts for, each with what is missing.
    elements = [q.split(": ", 1) for q in f["not_answerable"]]
    assert [name for name, _ in elements] == [
        "Kerneelement 1", "Kerneelement 2", "Kerneelement 3", "Kerneelement 4", "Kerneelement 5", "Spor 3A", "Spor 3B",
    ]  # fmt: skip
    assert all(missing.strip() for _, missing in elements)


# --- capacity (R14) --------------------------------------------------------------------------------


def test_capacity_per_week_with_intake_gaps_and_over_occupancy(rm: ReadModels) -> None:
    app = rm.app
    app.add_partnership("small", "Jobcenter", "School", 2, on=D(2026, 8, 31))  # a Monday
    cases = []
    for i in range(3):
        p = app.refer(f"P{i}", D(1999, 1, 1), "education-ready", partnership="small", on=D(2026, 9, 1))
        app.assign(p.case, "peter", on=D(2026, 9, 1))
        cases.append(p.case)
    app.start_bridging(cases[0], on=D(2026, 9, 7))  # weeks from 09-07
    app.start_bridging(cases[1], on=D(2026, 9, 14))  # weeks from 09-14
    app.start_bridging(cases[2], on=D(2026, 9, 14))
    app.drop_out(cases[2], "moved", on=D(2026, 9, 21))  # left on Monday 09-21: held a place only in week 09-14
    (row,) = rm.capacity(D(2026, 9, 27))
    occupied = [(w["week"], w["occupied"], w["free"], w["over"]) for w in row["by_week"]]
    assert occupied == [("2026-W36", 0, 2, 0), ("2026-W37", 1, 1, 0), ("2026-W38", 3, 0, 1), ("2026-W39", 2, 0, 0)]
    assert (row["weeks_over"], row["intake_gap_weeks"], row["average_occupancy"]) == (1, 2, 0.75)
    assert measure(rm, "occupancy", D(2026, 9, 27)) == (0 + 1 + 3 + 2, 4 * 2)
