"""What coordinators type is accepted as they type it: Danish letters in ids, grades without the
leading zero, subjects in Danish; and counts read as words do ("1 day", "3 days")."""

from __future__ import annotations

import json

from tests import scenarios
from tests.helpers import TODAY, make_app, run_cli


def test_a_mentor_id_with_danish_letters(db_url: str) -> None:
    added = run_cli(db_url, "mentor", "add", "Søren", "--name", "Søren Ærø", "--kind", "lab", "--json")
    assert added.exit_code == 0, added.output
    app = make_app(db_url)
    try:
        assert app.mentor("søren").name == "Søren Ærø"
    finally:
        app.close()
    assert run_cli(db_url, "mentor", "add", "søren!", "--name", "X", "--kind", "lab").exit_code == 2


def test_grades_without_the_leading_zero_and_subjects_in_danish(db_url: str) -> None:
    app = make_app(db_url)
    scenarios.mentors(app)
    case = scenarios.bridging(app).case
    app.close()
    on = ["--on", TODAY.isoformat()]
    assert run_cli(db_url, "assess", case, "--subject", "dansk", "--grade", "2", *on).exit_code == 0
    assert run_cli(db_url, "assess", case, "--subject", "Matematik", "--grade", "0", *on).exit_code == 0
    shown = json.loads(run_cli(db_url, "show", case, "--json").stdout)
    assert shown["grades"] == {"danish": "02", "maths": "00"}
    wrong = run_cli(db_url, "assess", case, "--subject", "tysk", "--grade", "2", *on)
    assert wrong.exit_code == 2 and "is not a subject" in wrong.stderr
    assert run_cli(db_url, "assess", case, "--subject", "maths", "--grade", "5", *on).exit_code == 2


def test_one_day_overdue_reads_as_one_day(db_url: str) -> None:
    import datetime as dt

    app = make_app(db_url)
    scenarios.mentors(app)
    case = scenarios.bridging(app).case  # bridging from 2026-09-03, no contact since
    app.close()
    app = make_app(db_url)
    from brobyg.projections.readmodels import ReadModels

    try:
        rows = ReadModels(app).risk(dt.date(2026, 9, 11))
    finally:
        app.close()
    (row,) = [r for r in rows if r["case"] == case]
    assert "contact overdue by 1 day" in row["details"]
