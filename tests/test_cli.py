"""The command line as a coordinator uses it: `brobyg` through its real entry point.

Every test runs on SQLite and PostgreSQL (the `db_url` fixture). Most drive the click group
in-process with `CliRunner`; a few run the installed console script. Pathways are arranged
with the application where the arrangement is not what is being tested.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from brobyg.cli.main import cli
from brobyg.domain.workflow import PATHWAY
from tests import scenarios
from tests.helpers import TODAY, count_events, installed_brobyg, make_app, run_cli

STATES = [
    "referred",
    "bridging",
    "taster_placement",
    "basic_course",
    "awaiting_main_course",
    "main_course",
    "apprenticeship",
    "qualified",
    "employed",
    "dropped_out",
    "withdrawn",
]


# --- helpers --------------------------------------------------------------------------


def brobyg(db_url: str, *args: str, today: dt.date | str = TODAY, lang: str = "en") -> Result:
    """`brobyg --db URL --today DATE --as tester --lang LANG ARGS…`, in-process."""
    return run_cli(db_url, "--lang", lang, *args, today=today, actor="tester")


def ok_json(db_url: str, *args: str, seen: list[Any] | None = None, **kw: Any) -> Any:
    """Run a command with --json; it must succeed and print exactly one JSON document (kept in
    `seen`, if given)."""
    result = brobyg(db_url, *args, "--json", **kw)
    assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
    assert result.stderr == ""
    document = json.loads(result.stdout)
    if seen is not None:
        seen.append(document)
    return document


def assert_refused(result: Result, rule: str) -> None:
    """Exit 1, one line on stderr naming `rule`, nothing on stdout, no traceback."""
    assert result.exit_code == 1, (result.stdout, result.stderr, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert rule in lines[0]
    assert result.stdout == ""
    assert "Traceback" not in result.output + result.stderr


def assert_usage_error(result: Result) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert result.stdout == ""
    assert "Error" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def arranged(db_url: str) -> dict[str, str]:
    """Sara (KUI) and Peter (LAB); Jens in bridging with Sara; Anna referred without a mentor."""
    app = make_app(db_url)
    try:
        scenarios.mentors(app)
        jens = scenarios.bridging(app, person="Jens").case
        anna = scenarios.referred(app, person="Anna", kui_contact=None).case
    finally:
        app.close()
    return {"jens": jens, "anna": anna}


# --- 1 and 2: a whole pathway by CLI ---------------------------------------------------------


def test_a_whole_pathway_from_referral_to_qualified(db_url: str) -> None:
    a_whole_pathway(db_url, "en")


def test_in_danish_the_json_is_the_same(tmp_path: Path) -> None:
    """The checks above, run again under --lang da: every JSON document is the one English
    gives (case ids and recording times aside, as they differ from store to store)."""
    english = a_whole_pathway(str(tmp_path / "en.sqlite"), "en")
    danish = a_whole_pathway(str(tmp_path / "da.sqlite"), "da")
    assert len(danish) == len(english) > 20
    assert _comparable(danish) == _comparable(english)


def _comparable(documents: list[Any]) -> str:
    import re

    text = json.dumps(documents, sort_keys=True)
    for i, case in enumerate(dict.fromkeys(re.findall(r'"case": "([^"]+)"', text))):  # in order of appearance
        text = text.replace(case, f"CASE{i}")
    return re.sub(r'"recorded_at": "[^"]*"', '"recorded_at": ""', text)


def a_whole_pathway(db_url: str, lang: str) -> list[Any]:
    """Referral to qualified by CLI, asserting each JSON document; the documents, in order."""
    seen: list[Any] = []

    def ok_json(db_url: str, *args: str) -> Any:  # in `lang`, keeping what it printed
        return globals()["ok_json"](db_url, *args, seen=seen, lang=lang)

    sara = ok_json(db_url, "mentor", "add", "sara", "--name", "Sara Holm", "--kind", "kui", "--on", "2026-01-05")
    assert (sara["mentor"], sara["kind"]) == ("sara", "kui")
    added = ok_json(
        db_url,
        "partnership",
        "add",
        "aarhus",
        "--jobcentre",
        "JC Aarhus",
        "--school",
        "Tech College",
        "--places",
        "12",
        "--on",
        "2026-01-05",
    )
    assert added["places"] == 12

    # The human output of `refer` is just the case id; with --json one document.
    human = brobyg(
        db_url, "refer", "Mads", "--born", "2003-05-01", "--readiness", "education-ready", "--on", "2026-08-03", lang=lang
    )
    assert human.exit_code == 0 and len(human.stdout.split()) == 1
    referral = ok_json(
        db_url,
        "refer",
        "Jens",
        "--born",
        "2004-03-02",
        "--readiness",
        "education-ready",
        "--kui-contact",
        "sara",
        "--partnership",
        "aarhus",
        "--on",
        "2026-08-03",
    )
    case = referral["case"]
    assert referral["state"] == "referred" and case != human.stdout.strip()

    taster = ["--host-kind", "company", "--contact", "Ole", "--purpose", "pressure-test", "--wish", "carpentry"]
    steps: list[tuple[list[str], str]] = [
        (["assign", case, "sara", "--on", "2026-08-04"], "referred"),
        (["start-bridging", case, "--school", "Tech College", "--on", "2026-08-05"], "bridging"),
        (["assess", case, "--subject", "danish", "--grade", "4", "--on", "2026-08-20"], "bridging"),
        (["assess", case, "--subject", "maths", "--grade", "02", "--on", "2026-08-21"], "bridging"),
        (["placement", "start", case, "--host", "Smith & Co", *taster, "--on", "2026-08-24"], "taster_placement"),
        (["placement", "end", case, "--follow-up", "went well", "--on", "2026-08-28"], "bridging"),
        (["contact", case, "--channel", "phone", "--on", "2026-09-01"], "bridging"),
        (["request", case, "--text", "help with bus card", "--on", "2026-09-02"], "bridging"),
        (["absence", case, "--days", "2", "--excused", "--on", "2026-09-03"], "bridging"),
        (["start-basic-course", case, "--programme", "Carpenter", "--on", "2026-09-07"], "basic_course"),
        (["complete-basic-course", case, "--on", "2026-10-30"], "awaiting_main_course"),
        (["start-main-course", case, "--on", "2026-11-02"], "main_course"),
        (
            ["secure-apprenticeship", case, "--employer", "Smith & Co", "--starts", "2026-11-16", "--on", "2026-11-10"],
            "apprenticeship",
        ),
        (["qualify", case, "--on", "2026-11-26"], "qualified"),
    ]
    roles = {"start-bridging": "education", "start-basic-course": "retention", "secure-apprenticeship": None}
    for args, state in steps:
        out = ok_json(db_url, *args)
        assert out["case"] == case and out["state"] == state, (args, out)
        if args[0] in roles:
            shown = ok_json(db_url, "show", case)
            assert {"case", "person", "state", "episode", "mentor", "mentor_role"} <= shown.keys()
            assert (shown["state"], shown["mentor_role"]) == (state, roles[args[0]])
            assert shown["person"] == "Jens" and shown["episode"] == 1

    history = ok_json(db_url, "history", case)
    assert history[0]["event"] == "Referred" and history[-1]["event"] == "Qualified"
    assert all({"event", "on", "recorded_at", "actor"} <= entry.keys() for entry in history)
    assert {entry["actor"] for entry in history} == {"tester"}
    ons = [entry["on"] for entry in history]
    assert ons == sorted(ons) and ons[0] == "2026-08-03" and ons[-1] == "2026-11-26"
    recorded = [entry["recorded_at"] for entry in history]
    assert recorded == sorted(recorded)
    for view in (["caseload"], ["risk"], ["agenda"], ["report", "outcomes"], ["report", "capacity"], ["report", "fidelity"]):
        ok_json(db_url, *view)
    return seen


def test_next_shows_start_bridging_blocked_by_r2_until_a_mentor_is_assigned(db_url: str) -> None:
    anna = arranged(db_url)["anna"]
    steps = {s["trigger"]: s for s in ok_json(db_url, "next", anna)}
    assert all({"trigger", "allowed", "blocked_by"} <= s.keys() for s in steps.values())
    assert steps["start_bridging"]["allowed"] is False and steps["start_bridging"]["blocked_by"] == ["R2"]

    ok_json(db_url, "assign", anna, "sara", "--reason", "KUI contact takes her on")
    steps = {s["trigger"]: s for s in ok_json(db_url, "next", anna)}
    assert steps["start_bridging"]["allowed"] is True and steps["start_bridging"]["blocked_by"] == []


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_diagram_prints_the_workflow_the_engine_runs(db_url: str, fmt: str) -> None:
    result = brobyg(db_url, "diagram", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == PATHWAY.diagram(fmt).rstrip() + "\n"  # whose edges test_workflow checks one by one
    assert ("digraph" if fmt == "dot" else "stateDiagram") in result.stdout
    for state in STATES:
        assert state in result.stdout, state
    assert ok_json(db_url, "diagram", "--format", fmt) == {"format": fmt, "diagram": PATHWAY.diagram(fmt)}


# --- 3 and 4: refusals exit 1, write nothing -------------------------------------------------

REFUSALS = [
    # (whose case fills {case}, or None for a new referral; the command; the rule it must name)
    ("anna", ["start-bridging", "{case}"], "R2"),
    ("jens", ["start-basic-course", "{case}", "--programme", "Carpenter"], "R6"),
    ("jens", ["start-main-course", "{case}"], "R8"),
    ("jens", ["contact", "{case}", "--on", "2026-11-27"], "R13"),
    ("jens", ["contact", "{case}", "--on", "2026-08-31"], "R13"),  # before the episode began (2026-09-01)
    ("anna", ["absence", "{case}"], "R11"),
    (None, ["refer", "Ida", "--born", "2002-02-02", "--readiness", "activity-ready"], "R1"),
    (None, ["refer", "Ida", "--born", "2010-02-02", "--readiness", "education-ready"], "R1"),
]


@pytest.mark.parametrize(("who", "args", "rule"), REFUSALS, ids=[f"{r[2]}-{r[1][0]}" for r in REFUSALS])
def test_a_refused_command_exits_1_names_the_rule_and_writes_nothing(
    db_url: str, who: str | None, args: list[str], rule: str
) -> None:
    cases = arranged(db_url)
    before = count_events(db_url)
    argv = [a.format(case=cases[who]) if who else a for a in args]
    assert_refused(brobyg(db_url, *argv, "--json"), rule)
    assert_refused(brobyg(db_url, *argv), rule)
    assert count_events(db_url) == before


@pytest.mark.parametrize(
    "args",
    [
        ["show", "BZZZZZZ"],
        ["history", "no-such-case", "--json"],
        ["next", "BZZZZZZ"],
        ["contact", "BZZZZZZ"],
        ["assign", "{jens}", "nobody"],
        ["start-basic-course", "{jens}", "--programme", "Carpenter", "--mentor", "nobody", "--reason", "x"],
        ["refer", "Ida", "--born", "2002-02-02", "--readiness", "education-ready", "--kui-contact", "nobody"],
        ["refer", "Ida", "--born", "2002-02-02", "--readiness", "education-ready", "--partnership", "nowhere"],
        ["mentor", "add", "sara", "--name", "Sara again", "--kind", "kui"],
    ],
    ids=["show", "history", "next", "contact", "assign", "basic-course-mentor", "kui-contact", "partnership", "mentor-twice"],
)
def test_an_unknown_case_mentor_or_partnership_exits_1_with_one_line(db_url: str, args: list[str]) -> None:
    cases = arranged(db_url)
    before = count_events(db_url)
    result = brobyg(db_url, *[a.format(**cases) for a in args], "--json")
    assert result.exit_code == 1, (result.stdout, result.stderr, result.exception)
    assert len(result.stderr.splitlines()) == 1 and result.stdout == ""
    assert "Traceback" not in result.output + result.stderr
    assert count_events(db_url) == before


@pytest.mark.parametrize(
    "args",
    [
        ["contact", "{jens}", "--on", "2026-13-01"],
        ["contact", "{jens}", "--on", "26-11-2026"],
        ["assess", "{jens}", "--subject", "danish", "--grade", "3"],
        ["assess", "{jens}", "--subject", "maths", "--grade", "00x"],
        ["assess", "{jens}", "--subject", "physics", "--grade", "7"],
        ["contact", "{jens}", "--bogus"],
        ["refer", "Ida", "--born", "2002-02-02", "--readiness", "maybe"],
        ["refer", "Ida", "--born", "2002-02-30", "--readiness", "education-ready"],
        ["absence", "{jens}", "--days", "0"],
        ["mentor", "add", "Has Space", "--name", "X", "--kind", "kui"],
        ["no-such-command"],
    ],
    ids=[
        "month-13",
        "not-iso",
        "grade-3",
        "grade-00x",
        "subject",
        "unknown-option",
        "readiness",
        "feb-30",
        "days-0",
        "bad-id",
        "command",
    ],
)
def test_malformed_input_exits_2_and_writes_nothing(db_url: str, args: list[str]) -> None:
    cases = arranged(db_url)
    before = count_events(db_url)
    assert_usage_error(brobyg(db_url, *[a.format(**cases) for a in args], "--json"))
    assert count_events(db_url) == before


def test_a_bad_store_url_or_today_is_a_usage_error(db_url: str) -> None:
    assert_usage_error(brobyg("ftp://x", "show", "BZZZZZZ"))
    assert_usage_error(brobyg("ftp://x", "contact", "BZZZZZZ", "--json"))
    assert_usage_error(brobyg(db_url, "show", "BZZZZZZ", today="2026-02-30"))
    assert count_events(db_url) == 0


# --- 5 and 6: environment variables, and --on defaulting to today -------------------------------


def test_environment_variables_stand_in_for_db_as_and_today(db_url: str) -> None:
    env = {"BROBYG_DB": db_url, "BROBYG_USER": "anne.k", "BROBYG_TODAY": "2026-11-20"}
    runner = CliRunner(env=env)
    added = runner.invoke(cli, ["mentor", "add", "sara", "--name", "Sara Holm", "--kind", "kui", "--json"])
    assert added.exit_code == 0, added.stderr
    referral = runner.invoke(cli, ["refer", "Jens", "--born", "2004-03-02", "--readiness", "education-ready"])
    assert referral.exit_code == 0, referral.stderr
    case = referral.stdout.strip()

    # BROBYG_TODAY is "today" for the no-future rule too.
    assert_refused(runner.invoke(cli, ["assign", case, "sara", "--on", "2026-11-21", "--json"]), "R13")

    # The same store, read with explicit options: the env's actor and today were recorded.
    (entry,) = ok_json(db_url, "history", case)
    assert (entry["event"], entry["on"], entry["actor"]) == ("Referred", "2026-11-20", "anne.k")

    # Options win over the environment.
    argv = ["--as", "bo", "--today", "2026-11-25", "assign", case, "sara", "--reason", "KUI contact", "--on", "2026-11-21"]
    assert runner.invoke(cli, argv).exit_code == 0
    assert [(e["on"], e["actor"]) for e in ok_json(db_url, "history", case)][-1] == ("2026-11-21", "bo")

    # A malformed BROBYG_TODAY is a usage error like a malformed --today.
    assert_usage_error(CliRunner(env={**env, "BROBYG_TODAY": "2026-11-31"}).invoke(cli, ["show", case, "--json"]))


def test_on_defaults_to_the_today_value(db_url: str) -> None:
    jens = arranged(db_url)["jens"]
    today = "2026-11-12"  # not the machine's date, so the default must come from --today
    assert dt.date.fromisoformat(today) != dt.date.today()
    ok_json(db_url, "contact", jens, today=today)
    ok_json(db_url, "request", jens, "--text", "a new bus card", today=today)
    assert [e["on"] for e in ok_json(db_url, "history", jens)[-2:]] == [today, today]


# --- the installed console script -------------------------------------------------------------


def test_the_console_script_helps_refers_and_rejects_malformed_input(db_url: str, tmp_path: Path) -> None:
    script = installed_brobyg()

    def run_script(*args: str) -> subprocess.CompletedProcess[str]:
        # From a folder of its own: the script must not need the checkout as its working directory.
        return subprocess.run([script, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60)

    helped = run_script("--help")
    assert helped.returncode == 0 and helped.stdout.startswith("Usage: brobyg")
    for command in ("refer", "start-bridging", "history", "next", "diagram"):
        assert command in helped.stdout
    versioned = run_script("--version")
    assert (versioned.returncode, versioned.stdout) == (0, f"brobyg, version {version('brobyg')}\n")

    common = ["--db", db_url, "--today", TODAY.isoformat(), "--as", "tester"]
    referred = run_script(*common, "refer", "Jens", "--born", "2004-03-02", "--readiness", "education-ready", "--json")
    assert referred.returncode == 0, referred.stderr
    case = json.loads(referred.stdout)["case"]

    bad = run_script(*common, "contact", case, "--on", "2026-13-01", "--json")
    assert bad.returncode == 2 and bad.stdout == "" and "Traceback" not in bad.stderr
    refused = run_script(*common, "start-bridging", case)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1 and "R2" in refused.stderr
    assert count_events(db_url) == 1
