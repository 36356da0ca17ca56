"""`brobyg report backtest`: the risk list as it stood on a past day, against who dropped out
after it. Hand-built pathways whose risk on the day and later fate are known."""

from __future__ import annotations

import json
from typing import Any

import pytest

from brobyg.domain.application import Brobyg
from brobyg.projections.backtest import auc
from brobyg.projections.readmodels import ReadModels
from tests.helpers import as_login, count_events, drop_logins_and_roles, make_app, needs_pg, new_logins, run_cli
from tests.scenarios import BORN, D, mentors

AS_OF = D(2026, 10, 15)  # the day the risk view is put to the test; the suite's today is 2026-11-26


def neglected(app: Brobyg, person: str) -> str:
    """In bridging since 09-03 with no contact and a request unanswered since 10-10: high risk on 10-15."""
    case = app.refer(person, BORN, "education-ready", kui_contact="sara", on=D(2026, 9, 1)).case
    app.assign(case, "sara", on=D(2026, 9, 2))
    app.start_bridging(case, school="Tech College", on=D(2026, 9, 3))
    app.request(case, "can we meet?", on=D(2026, 10, 10))
    return case


def in_basic_course(app: Brobyg, person: str) -> str:
    """Started the basic course on 10-01, no contact since bridging began: medium risk on 10-15."""
    case = app.refer(person, BORN, "education-ready", kui_contact="sara", on=D(2026, 9, 1)).case
    app.assign(case, "sara", on=D(2026, 9, 2))
    app.start_bridging(case, school="Tech College", on=D(2026, 9, 3))
    app.assess(case, "danish", 4, on=D(2026, 9, 20))
    app.assess(case, "maths", 2, on=D(2026, 9, 20))
    app.start_basic_course(case, "Carpenter", on=D(2026, 10, 1))
    return case


def just_referred(app: Brobyg, person: str) -> str:
    """Referred on 10-01, nothing due yet: low risk on 10-15."""
    return app.refer(person, BORN, "education-ready", kui_contact="sara", on=D(2026, 10, 1)).case


@pytest.fixture
def municipality(db_url: str) -> str:
    """Four pathways active on 10-15 and one that ended before it:

    - Anna, high risk on 10-15, contacted at last on 10-20, dropped out on 11-01;
    - Bo, medium risk, withdrew on 11-10 (withdrawing is not dropping out);
    - Cai, low risk, went on into bridging;
    - Dina, low risk like Cai, dropped out on 10-20 and was re-referred on 11-01 (still counts);
    - Emil, dropped out on 10-10: not active on 10-15, so not in the test.
    """
    app = make_app(db_url)
    mentors(app)
    anna = neglected(app, "Anna")
    app.contact(anna, on=D(2026, 10, 20))  # after the day: the score on 10-15 knows nothing of it
    app.drop_out(anna, "stopped coming", on=D(2026, 11, 1))
    bo = in_basic_course(app, "Bo")
    app.withdraw(bo, "moved away", on=D(2026, 11, 10))
    cai = just_referred(app, "Cai")
    app.assign(cai, "sara", on=D(2026, 10, 20))
    app.start_bridging(cai, on=D(2026, 10, 21))
    dina = just_referred(app, "Dina")
    app.drop_out(dina, "not ready", on=D(2026, 10, 20))
    app.re_refer(dina, on=D(2026, 11, 1))
    emil = app.refer("Emil", BORN, "education-ready", kui_contact="sara", on=D(2026, 9, 1)).case
    app.drop_out(emil, "never showed up", on=D(2026, 10, 10))
    app.close()
    return db_url


def as_json(db: str, *args: str, today: str = "2026-11-26") -> Any:
    result = run_cli(db, *args, "--json", today=today)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_high_risk_pathway_that_dropped_out_and_the_low_one_that_did_not(municipality: str) -> None:
    app = make_app(municipality)
    try:
        rm = ReadModels(app)
        # The list under test is the one `risk --as-of` showed on the day.
        scores = {r["case"]: (r["score"], r["level"]) for r in rm.risk(AS_OF)}
        assert sorted(level for _, level in scores.values()) == ["high", "low", "low", "medium"]
        b = rm.backtest(AS_OF, D(2026, 11, 26))
    finally:
        app.close()
    assert (b["as_of"], b["until"], b["pathways"]) == (AS_OF, D(2026, 11, 26), 4)
    assert b["levels"] == {
        "low": {"pathways": 2, "dropped_out": 1},  # Dina dropped out (and came back), Cai did not
        "medium": {"pathways": 1, "dropped_out": 0},  # Bo withdrew
        "high": {"pathways": 1, "dropped_out": 1},  # Anna
    }
    # Anna outscored both who stayed (2 pairs), Dina scored below Bo (0) and tied with Cai (½): 2.5 of 4.
    assert b["auc"] == pytest.approx(0.625)


def test_only_drop_outs_up_to_today_count(municipality: str) -> None:
    """Seen from 10-25, Anna's drop-out (11-01) has not happened yet; Dina's (10-20) has."""
    app = make_app(municipality)
    try:
        b = ReadModels(app).backtest(AS_OF, D(2026, 10, 25))
    finally:
        app.close()
    assert {k: v["dropped_out"] for k, v in b["levels"].items()} == {"low": 1, "medium": 0, "high": 0}
    assert b["auc"] == pytest.approx(1 / 6)  # Dina (low) against Anna (high), Bo and Cai: 0 + 0 + ½ of 3


def test_published_holds_small_numbers_back(municipality: str) -> None:
    """Four young people: every count from 1 to 4 is "<5", no share, no AUC; a 0 is shown."""
    before = count_events(municipality)
    b = as_json(municipality, "report", "backtest", "--as-of", "2026-10-15")
    assert {"as_of", "pathways", "auc", "levels"} <= set(b) and b["as_of"] == "2026-10-15"
    assert set(b["levels"]) == {"low", "medium", "high"}
    assert all({"pathways", "dropped_out"} <= set(v) for v in b["levels"].values())
    assert b["pathways"] == "<5" and b["auc"] is None
    assert b["levels"]["medium"] == {"pathways": "<5", "dropped_out": 0, "share": None}
    assert b["levels"]["high"]["dropped_out"] == "<5" and "<5" in b["suppressed"]
    table = run_cli(municipality, "report", "backtest", "--as-of", "2026-10-15")
    assert table.exit_code == 0 and "<5" in table.stdout and "AUC of the score over the <5 pathways: –" in table.stdout
    assert count_events(municipality) == before  # a report writes nothing


def test_ten_young_people_through_the_command_line(db_url: str) -> None:
    """Five neglected in bridging who all dropped out, five just referred who did not: every high
    risk dropped out, no low one did, and the score ranked them perfectly."""
    app = make_app(db_url)
    mentors(app)
    for i in range(5):
        app.drop_out(neglected(app, f"High {i}"), "stopped coming", on=D(2026, 11, 2))
        just_referred(app, f"Low {i}")
    app.close()
    before = count_events(db_url)
    b = as_json(db_url, "report", "backtest", "--as-of", "2026-10-15")
    assert (b["pathways"], b["auc"]) == (10, 1.0)
    assert b["levels"] == {
        "low": {"pathways": 5, "dropped_out": 0, "share": 0.0},
        "medium": {"pathways": 0, "dropped_out": 0, "share": None},
        "high": {"pathways": 5, "dropped_out": 5, "share": 1.0},
    }
    shown = run_cli(db_url, "report", "backtest", "--as-of", "2026-10-15")
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert [line.split()[:4] for line in lines if line.split()[:1] in (["high"], ["medium"], ["low"])] == [
        ["high", "│", "5", "│"],
        ["medium", "│", "0", "│"],
        ["low", "│", "5", "│"],
    ]
    assert "AUC of the score over the 10 pathways: 1.00 (0.5 is chance" in shown.stdout and "Small numbers" not in shown.stdout
    assert count_events(db_url) == before


def test_nothing_active_on_the_day(db_url: str) -> None:
    """Every level is there, with no pathways, and no AUC."""
    app = make_app(db_url)
    mentors(app)
    app.close()
    b = as_json(db_url, "report", "backtest", "--as-of", "2026-03-01")
    assert (b["pathways"], b["auc"]) == (0, None)
    assert {k: (v["pathways"], v["dropped_out"]) for k, v in b["levels"].items()} == {
        "low": (0, 0),
        "medium": (0, 0),
        "high": (0, 0),
    }
    said = run_cli(db_url, "report", "backtest", "--as-of", "2026-03-01")
    assert said.stdout == "no active pathways as of 2026-03-01\n"


@pytest.mark.parametrize(
    "args",
    [
        ["--as-of", "2026-11-26"],  # today: nothing has happened after it yet
        ["--as-of", "2026-12-24"],  # after today
        [],  # no day at all
        ["--as-of", "2026-02-30"],  # not a day
    ],
)
def test_the_day_must_lie_before_today(municipality: str, args: list[str]) -> None:
    before = count_events(municipality)
    result = run_cli(municipality, "report", "backtest", *args)
    assert result.exit_code == 2 and result.stdout == ""
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert "--as-of" in error
    assert count_events(municipality) == before


def test_an_earlier_today_moves_the_limit(municipality: str) -> None:
    """--today 2026-10-20: 10-15 lies before it, 10-20 does not."""
    assert run_cli(municipality, "report", "backtest", "--as-of", "2026-10-15", today="2026-10-20").exit_code == 0
    assert run_cli(municipality, "report", "backtest", "--as-of", "2026-10-20", today="2026-10-20").exit_code == 2


@needs_pg
def test_it_names_no_one_so_every_role_that_reads_the_store_may_run_it(pg_url: str) -> None:
    """As the other reports: no case named, nothing in the access log; an analyst's login reads
    only the report views, as for every command."""
    app = make_app(pg_url)
    mentors(app)
    case = neglected(app, "Anna")
    app.close()
    logins = new_logins(pg_url)
    try:
        for role, login in logins.items():
            mentor = ["--mentor", "sara"] if role == "mentor" else []
            assert run_cli(pg_url, "access", "grant", login, "--role", role, *mentor).exit_code == 0
        for role in ("admin", "coordinator", "mentor"):
            shown = run_cli(as_login(pg_url, logins[role]), "report", "backtest", "--as-of", "2026-10-15", "--json")
            assert shown.exit_code == 0 and json.loads(shown.stdout)["levels"]["high"]["pathways"] == "<5", shown.output
        refused = run_cli(as_login(pg_url, logins["analyst"]), "report", "backtest", "--as-of", "2026-10-15")
        assert refused.exit_code == 1 and "reads only the report views" in refused.stderr
        logged = json.loads(run_cli(pg_url, "access-log", case, "--json").stdout)
        assert [e["command"] for e in logged] == ["access-log"]  # only the look at the log itself
    finally:
        drop_logins_and_roles(pg_url, logins)


def test_auc_counts_ties_half() -> None:
    assert auc([(1.0, True), (0.0, False)]) == 1.0
    assert auc([(0.0, True), (1.0, False)]) == 0.0
    assert auc([(3.0, True), (3.0, False)]) == 0.5
    assert auc([(6.0, True), (3.0, True), (3.0, False), (0.0, False)]) == pytest.approx((1 + 1 + 0.5 + 1) / 4)
    assert auc([(1.0, True)]) is None and auc([(1.0, False)]) is None and auc([]) is None
