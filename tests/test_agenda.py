"""`brobyg agenda`: a mentor's working list, most urgent first; and `show`, which tells a case's
whole situation. Both from the same indicators as `caseload` and `risk`, on both stores."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests import scenarios
from tests.helpers import make_app, run_cli
from tests.scenarios import D


def ok_json(url: str, *args: str) -> Any:
    result = run_cli(url, *args, "--json")
    assert result.exit_code == 0, (args, result.output, result.exception)
    return json.loads(result.stdout)


@pytest.fixture
def two(db_url: str) -> dict[str, str]:
    """Jens and Bo in bridging since 2026-09-03 with sara. Jens: a contact on 11-20, a request on
    11-25. Bo: a contact on 11-13, then three days absent from Monday 11-16 (critical on 11-18)."""
    app = make_app(db_url)
    scenarios.mentors(app)
    jens = scenarios.bridging(app, person="Jens").case
    bo = scenarios.bridging(app, person="Bo").case
    app.contact(jens, on=D(2026, 11, 20))
    app.request(jens, "call me", on=D(2026, 11, 25))
    app.contact(bo, on=D(2026, 11, 13))
    app.absence(bo, 3, on=D(2026, 11, 16))
    app.close()
    return {"jens": jens, "bo": bo}


def test_agenda_lists_what_is_due_overdue_first(db_url: str, two: dict[str, str]) -> None:
    items = ok_json(db_url, "agenda")
    assert [(i["person"], i["due"], i["rule"]) for i in items] == [
        ("Bo", "2026-11-20", "R11"),  # followed up by the second school day after 11-18: overdue
        ("Bo", "2026-11-20", "R10"),  # 7 days after the contact of 11-13: overdue
        ("Jens", "2026-11-26", "R10"),  # the request of 11-25, answered by today
        ("Jens", "2026-11-27", "R10"),  # 7 days after the contact of 11-20
        ("Jens", "2026-12-03", "R12"),  # 13 weeks of bridging
        ("Bo", "2026-12-03", "R12"),
    ]
    assert all(i.keys() == {"case", "person", "mentor", "due", "what", "rule"} for i in items)
    assert {i["mentor"] for i in items} == {"sara"}
    assert [i["case"] for i in items if i["person"] == "Bo"] == [two["bo"]] * 3
    assert "overdue by 6 days" in items[1]["what"] and "overdue" not in items[3]["what"]
    # The same rules as the risk list: Bo's contact is overdue there too, Jens's is not.
    risk = {r["case"]: r["reasons"] for r in ok_json(db_url, "risk")}
    assert "contact_overdue" in risk[two["bo"]] and "critical_absence" in risk[two["bo"]]
    assert "contact_overdue" not in risk[two["jens"]]

    shown = run_cli(db_url, "agenda")
    assert shown.exit_code == 0
    assert "follow up critical absence" in shown.output and "Jens" in shown.output


def test_days_and_as_of_decide_the_window(db_url: str, two: dict[str, str]) -> None:
    today_only = ok_json(db_url, "agenda", "--days", "0")
    assert [(i["person"], i["due"]) for i in today_only] == [("Bo", "2026-11-20"), ("Bo", "2026-11-20"), ("Jens", "2026-11-26")]
    # As of 11-21 Jens's contact is due 11-27, outside 11-21..11-24; his request is not made yet.
    earlier = ok_json(db_url, "agenda", "--as-of", "2026-11-21", "--days", "3")
    assert [(i["person"], i["rule"]) for i in earlier] == [("Bo", "R11"), ("Bo", "R10")]


def test_one_mentors_items_and_an_unknown_mentor(db_url: str, two: dict[str, str]) -> None:
    app = make_app(db_url)
    app.assign(two["bo"], "peter", reason="sara is on leave", on=D(2026, 11, 24))
    app.close()
    assert {i["person"] for i in ok_json(db_url, "agenda", "--mentor", "peter")} == {"Bo"}
    assert {i["person"] for i in ok_json(db_url, "agenda", "--mentor", "SARA")} == {"Jens"}
    unknown = run_cli(db_url, "agenda", "--mentor", "nobody")
    assert unknown.exit_code == 1 and "no mentor 'nobody'" in unknown.stderr


def test_nothing_due(db_url: str) -> None:
    app = make_app(db_url)
    scenarios.mentors(app)
    case = scenarios.bridging(app).case
    app.contact(case, on=D(2026, 11, 26))
    app.close()
    assert ok_json(db_url, "agenda", "--days", "3") == []
    shown = run_cli(db_url, "agenda", "--days", "3")
    assert shown.exit_code == 0 and shown.output == "nothing is due from 2026-11-26 to 2026-11-29\n"
    assert ok_json(db_url, "agenda", "--mentor", "peter") == []


def test_placements_apprenticeships_and_ended_pathways(db_url: str) -> None:
    app = make_app(db_url)
    scenarios.mentors(app)
    placed = scenarios.bridging(app, person="Ida").case
    app.start_placement(placed, "Træ & Co", "company", "Mette", "clarify", "carpenter", on=D(2026, 11, 23))
    app.contact(placed, on=D(2026, 11, 25))
    starting = scenarios.awaiting_main_course(app, person="Ali").case
    app.secure_apprenticeship(starting, "Firm", D(2026, 12, 1), on=D(2026, 11, 20))
    trial = scenarios.awaiting_main_course(app, person="Eva").case
    app.secure_apprenticeship(trial, "Firm", D(2026, 11, 2), on=D(2026, 11, 2))
    gone = scenarios.bridging(app, person="Bent").case
    app.drop_out(gone, "moved away", on=D(2026, 11, 10))
    app.close()
    items = ok_json(db_url, "agenda")
    found = [(i["person"], i["due"], i["rule"], i["mentor"]) for i in items]
    assert ("Ida", "2026-11-26", "R5", "sara") in found  # running: end it with a follow-up note
    assert ("Ali", "2026-12-01", "R9", "sara") in found  # the last mentor, released by the apprenticeship (R7)
    assert ("Eva", "2026-11-26", "R9", "sara") in found
    assert "trial period until 2027-01-31" in next(i["what"] for i in items if i["person"] == "Eva")
    assert "Bent" not in {i["person"] for i in items}
    assert ok_json(db_url, "agenda", "--mentor", "sara") == items  # found by sara's own rows, released ones too


def test_the_whole_agenda_as_of_an_earlier_day_takes_each_pathway_as_it_stood(db_url: str) -> None:
    """Every active pathway comes from the people read model, which holds where each stands now:
    one that has ended since, or changed mentor since, is taken as it stood on the day asked about."""
    app = make_app(db_url)
    scenarios.mentors(app)
    gone = scenarios.bridging(app, person="Bent").case
    app.drop_out(gone, "moved away", on=D(2026, 11, 10))
    moved = scenarios.bridging(app, person="Kim").case
    app.assign(moved, "peter", reason="sara is on leave", on=D(2026, 11, 20))
    app.close()
    earlier = ok_json(db_url, "agenda", "--as-of", "2026-11-05")
    assert {(i["person"], i["mentor"]) for i in earlier} == {("Bent", "sara"), ("Kim", "sara")}
    assert {(i["person"], i["mentor"]) for i in ok_json(db_url, "agenda")} == {("Kim", "peter")}
    by_mentor = [i for m in ("peter", "sara") for i in ok_json(db_url, "agenda", "--as-of", "2026-11-05", "--mentor", m)]
    assert sorted(by_mentor, key=lambda i: (i["due"], i["case"], i["rule"])) == sorted(
        earlier, key=lambda i: (i["due"], i["case"], i["rule"])
    )


def test_agenda_logs_each_case_it_names_and_shows_an_erased_person_as_erased(db_url: str, two: dict[str, str]) -> None:
    app = make_app(db_url)
    app.erase(two["bo"], "asked to be forgotten", on=D(2026, 11, 26))
    app.close()
    people = {i["case"]: i["person"] for i in ok_json(db_url, "agenda")}
    assert people == {two["jens"]: "Jens", two["bo"]: "[erased]"}
    for case in two.values():
        assert [e["command"] for e in ok_json(db_url, "access-log", case)][:1] == ["agenda"]


def test_show_tells_the_whole_situation(db_url: str, two: dict[str, str]) -> None:
    app = make_app(db_url)
    bo = two["bo"]
    app.assess(bo, "danish", 4, on=D(2026, 11, 19))
    app.assess(bo, "maths", 0, on=D(2026, 11, 19))
    app.start_placement(bo, "Træ & Co", "company", "Mette", "pressure-test", "carpenter", on=D(2026, 11, 20))
    app.end_placement(bo, "liked it", on=D(2026, 11, 23))
    app.request(bo, "help with maths", on=D(2026, 11, 24))
    app.assign(bo, "peter", reason="sara is on leave", on=D(2026, 11, 24))
    app.close()
    shown = ok_json(db_url, "show", bo)
    assert {"case", "person", "state", "episode", "mentor", "mentor_role", "grades", "placements", "next"} <= shown.keys()
    assert (shown["mentor"], shown["mentor_name"], shown["mentor_role"]) == ("peter", "Peter Lund", "education")
    assert (shown["last_contact"], shown["next_contact_due"], shown["contact_every_days"]) == ("2026-11-13", "2026-11-20", 7)
    assert shown["open_requests"] == [{"on": "2026-11-24", "due": "2026-11-25"}]
    assert shown["absence"] == {"school_days": 20, "unexcused_days": 3, "critical": True}
    (risk,) = [r for r in ok_json(db_url, "risk") if r["case"] == bo]
    assert shown["risk"] == {k: risk[k] for k in ("score", "level", "reasons", "details", "actions")}
    assert shown["handovers"] == [
        {"on": "2026-09-02", "kind": "assigned", "from": None, "to": "sara"},
        {"on": "2026-11-24", "kind": "handover", "from": "sara", "to": "peter"},
    ]
    assert shown["placement_history"] == [
        {
            "started": "2026-11-20",
            "ended": "2026-11-23",
            "host_kind": "company",
            "purpose": "pressure-test",
            "follow_up_given": True,
        }
    ]
    assert (shown["grades"], shown["placements"]) == ({"danish": "4", "maths": "00"}, 1)
    assert shown["admission"] == {"met": False, "missing": ["maths is 00"]}

    text = run_cli(db_url, "show", bo).output
    for line in (
        "Mentor       peter, Peter Lund (education mentor)",
        "Grades       danish 4, maths 00 (admission not met: maths is 00)",
        "Contact      last 2026-11-13; next due 2026-11-20 (every 7 days, overdue by 6 days)",
        "Requests     2026-11-24 (answer by 2026-11-25)",
        "Absence      3 of the last 20 school days unexcused (critical)",
        f"Risk         {risk['level']} (score {risk['score']}): ",
        "Mentors      assigned sara 2026-09-02, handed to peter 2026-11-24",
        "Placements   company, pressure-test 2026-11-20–2026-11-23",
    ):
        assert line in text, (line, text)


def test_show_of_an_erased_person_and_of_an_ended_pathway(db_url: str, two: dict[str, str]) -> None:
    app = make_app(db_url)
    app.drop_out(two["bo"], "moved away", on=D(2026, 11, 25))
    app.erase(two["bo"], "asked to be forgotten", on=D(2026, 11, 26))
    app.close()
    shown = ok_json(db_url, "show", two["bo"])
    assert (shown["person"], shown["state"], shown["risk"], shown["next_contact_due"]) == ("[erased]", "dropped_out", None, None)
    assert shown["last_contact"] == "2026-11-13" and shown["handovers"][0]["to"] == "sara"
    text = run_cli(db_url, "show", two["bo"])
    assert text.exit_code == 0 and "[erased]" in text.output and "Risk" not in text.output
