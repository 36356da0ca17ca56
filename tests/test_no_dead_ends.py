"""No dead ends (issue 17, part 4): a coordinator typing the guide's cases gets either the step
or a refusal that names the rule and a command that would work, and nothing written."""

from __future__ import annotations

import json
import re

from click.testing import Result

from tests.helpers import count_events, run_cli

BORN_22 = "2004-03-02"  # 22 in the autumn of 2026
BORN_26 = "2000-03-02"  # 26


def ok(db: str, *args: str, today: str = "2026-11-26") -> str:
    result = run_cli(db, *args, today=today)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def refused(db: str, *args: str, today: str = "2026-11-26") -> Result:
    """A command that must be refused: exit 1, one line naming a rule and, in brackets, a command
    (or the option of this one) that would work, and nothing written."""
    before = count_events(db)
    result = run_cli(db, *args, today=today)
    assert result.exit_code == 1, result.output
    line = result.stderr.strip()
    assert "\n" not in line and re.match(r"refused: R\d+: ", line), line
    assert re.search(r"\((brobyg |--|refer )", line), f"no hint naming a command or option that would work: {line}"
    assert count_events(db) == before
    return result


def staffed(db: str) -> None:
    ok(db, "mentor", "add", "sara", "--name", "Sara Holm", "--kind", "kui", "--on", "2026-01-05")
    ok(db, "mentor", "add", "peter", "--name", "Peter Lund", "--kind", "lab", "--on", "2026-01-05")


def refer(db: str, born: str = BORN_22, *more: str, on: str = "2026-09-01") -> str:
    return ok(db, "refer", "Jens", "--born", born, "--readiness", "education-ready", *more, "--on", on)


def in_apprenticeship(db: str, starts: str) -> str:
    case = refer(db, BORN_22, "--kui-contact", "sara")
    for args in (
        ["assign", case, "sara", "--on", "2026-09-02"],
        ["start-bridging", case, "--on", "2026-09-03"],
        ["assess", case, "--subject", "danish", "--grade", "4", "--on", "2026-09-20"],
        ["assess", case, "--subject", "maths", "--grade", "02", "--on", "2026-09-20"],
        ["start-basic-course", case, "--programme", "Carpenter", "--on", "2026-10-01"],
        ["complete-basic-course", case, "--on", "2026-11-01"],
        ["secure-apprenticeship", case, "--employer", "Træ & Co", "--starts", starts, "--on", "2026-11-10"],
    ):
        ok(db, *args)
    return case


def test_a_job_can_end_an_employed_young_person_is_re_referred(db_url: str) -> None:
    staffed(db_url)
    case = refer(db_url)
    ok(db_url, "employ", case, "--employer", "Bakery", "--on", "2026-09-10")
    again = refused(db_url, "refer", "Jens", "--born", BORN_22, "--readiness", "education-ready", "--on", "2026-10-01")
    assert f"brobyg re-refer {case}" in again.stderr
    shown = json.loads(ok(db_url, "re-refer", case, "--on", "2026-10-01", "--json"))
    assert (shown["state"], shown["episode"]) == ("referred", 2)


def test_a_qualified_skilled_worker_is_out_of_the_target_group(db_url: str) -> None:
    staffed(db_url)
    case = in_apprenticeship(db_url, "2026-11-10")
    ok(db_url, "qualify", case, "--on", "2026-11-20")
    again = refused(db_url, "refer", "Jens", "--born", BORN_22, "--readiness", "education-ready", "--on", "2026-11-25")
    assert "R1" in again.stderr and "already qualified" in again.stderr and "re-refer" not in again.stderr
    assert f"brobyg show {case}" in again.stderr
    re_refer = refused(db_url, "re-refer", case, "--on", "2026-11-25")
    assert "R1" in re_refer.stderr and "out of the target group" in re_refer.stderr
    contact = refused(db_url, "contact", case, "--on", "2026-11-25")
    assert "re-refer" not in contact.stderr and f"brobyg history {case}" in contact.stderr


def test_r9_qualifying_is_not_dated_before_the_apprenticeship_starts(db_url: str) -> None:
    staffed(db_url)
    case = in_apprenticeship(db_url, "2026-12-01")
    early = refused(db_url, "qualify", case, "--on", "2026-11-24")  # two weeks after securing it
    assert "R9" in early.stderr and "2026-12-01" in early.stderr and f"brobyg qualify {case} --on 2026-12-01" in early.stderr
    steps = {s["trigger"]: s for s in json.loads(ok(db_url, "next", case, "--json"))}
    assert steps["qualify"]["blocked_by"] == ["R9"] and steps["drop_out"]["allowed"]
    later = json.loads(ok(db_url, "qualify", case, "--on", "2026-12-01", "--json", today="2026-12-01"))
    assert later["state"] == "qualified"


def test_qualifying_from_an_apprenticeship_that_has_started(db_url: str) -> None:
    staffed(db_url)
    case = in_apprenticeship(db_url, "2026-11-15")
    assert json.loads(ok(db_url, "qualify", case, "--on", "2026-11-15", "--json"))["state"] == "qualified"


def test_r1_from_25_the_referral_comes_through_the_jobcentre(db_url: str) -> None:
    staffed(db_url)
    kui = refused(db_url, "refer", "Ole", "--born", BORN_26, "--readiness", "education-ready", "--via", "kui")
    assert "R1" in kui.stderr and "is 26" in kui.stderr and "--via jobcentre" in kui.stderr
    case = ok(db_url, "refer", "Ole", "--born", BORN_26, "--readiness", "education-ready")
    assert json.loads(ok(db_url, "show", case, "--json"))["via"] == "jobcentre"
    under = refused(db_url, "refer", "Ib", "--born", BORN_22, "--readiness", "education-ready", "--via", "jobcentre")
    assert "--via kui" in under.stderr


def test_r1_a_kui_contact_person_is_for_under_25s(db_url: str) -> None:
    staffed(db_url)
    at_refer = refused(db_url, "refer", "Ole", "--born", BORN_26, "--readiness", "education-ready", "--kui-contact", "sara")
    assert "R1" in at_refer.stderr and "under-25s" in at_refer.stderr and "brobyg assign" in at_refer.stderr
    case = json.loads(ok(db_url, "refer", "Ole", "--born", BORN_26, "--readiness", "education-ready", "--json"))["case"]
    later = refused(db_url, "kui-contact", case, "sara")
    assert "R1" in later.stderr and f"brobyg assign {case} MENTOR" in later.stderr
    ok(db_url, "assign", case, "peter")  # a LAB mentor, as R3 expects from 25
    young = refer(db_url, BORN_22)
    ok(db_url, "kui-contact", young, "sara")
    assert json.loads(ok(db_url, "show", young, "--json"))["kui_contact"] == "sara"
