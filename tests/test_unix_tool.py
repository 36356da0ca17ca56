"""The command line behaves like a Unix tool (issue 17, part 7): global options after the
command's name, empty lists said in a line, times in Copenhagen's clock with the zone named,
and shell completion of case and mentor ids from the store."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import click
from click.testing import CliRunner, Result

from brobyg.cli.main import cli
from tests.helpers import count_events, run_cli

TODAY = "2026-11-26"


def brobyg(*args: str, env: dict[str, str] | None = None) -> Result:
    """The command line exactly as typed, global options wherever they are."""
    return CliRunner().invoke(cli, list(args), env=env, prog_name="brobyg")


def complete(line: str, db: str | None) -> list[str]:
    """What bash completion offers for the last word of `line` (the shell's own protocol)."""
    words = line.split(" ")
    env = {"_BROBYG_COMPLETE": "bash_complete", "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
    env["BROBYG_DB"] = db or ""
    result = brobyg(env=env)
    assert result.exit_code == 0 and not result.stderr, result.output
    return [item.split(",", 1)[1] for item in result.stdout.splitlines() if item]


def ok(db: str, *args: str) -> str:
    result = run_cli(db, *args)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_global_options_also_follow_the_command_name(db_url: str) -> None:
    added = brobyg(
        "mentor", "add", "sara", "--name", "Sara", "--kind", "kui", "--on", "2026-01-05", "--db", db_url, "--today", TODAY
    )
    assert added.exit_code == 0, added.output
    case = brobyg("refer", "Jens", "--born", "2004-03-02", "--readiness", "education-ready", "--db", db_url, "--as", "mette")
    assert case.exit_code == 0, case.output
    caseload = brobyg("caseload", "--json", f"--db={db_url}", "--today", TODAY)
    assert caseload.exit_code == 0 and [m["mentor"] for m in json.loads(caseload.stdout)] == ["sara"]
    history = json.loads(brobyg("history", case.stdout.strip(), "--json", "--db", db_url).stdout)
    assert history[0]["actor"] == "mette"
    # After the name wins over before it, as the later of two options does.
    moved = brobyg("--db", "/nonexistent/folder/x.sqlite", "caseload", "--db", db_url, "--today", TODAY)
    assert moved.exit_code == 0, moved.output


def test_a_global_option_after_the_name_is_checked_as_before_it(tmp_path: Path) -> None:
    db = str(tmp_path / "b.sqlite")
    ahead = brobyg("mentor", "add", "sara", "--name", "Sara", "--kind", "kui", "--db", db, "--today", "2999-01-01")
    assert ahead.exit_code == 2 and "'--today'" in ahead.stderr and not Path(db).exists()
    bad = brobyg("caseload", "--today", "yesterday", "--db", db)
    assert bad.exit_code == 2 and "not a date" in bad.stderr
    missing = brobyg("caseload", "--db", str(tmp_path / "none.sqlite"))
    assert missing.exit_code == 2 and "no store" in missing.stderr and not (tmp_path / "none.sqlite").exists()


def test_help_is_unchanged_and_no_command_has_an_option_of_a_global_name() -> None:
    top = brobyg("--help")
    assert top.exit_code == 0 and "--db URL" in top.stdout and "may also follow the command's name" in top.stdout
    assert brobyg("caseload", "--help").exit_code == 0 and "--db" not in brobyg("caseload", "--help").stdout
    assert brobyg("mentor", "add", "--help").exit_code == 0

    def flags(command: click.Command) -> set[str]:
        """The options a command and every command under it declare, the hidden global ones aside."""
        own = {f for p in command.params if not getattr(p, "hidden", False) for f in getattr(p, "opts", [])}
        return own.union(*(flags(sub) for sub in getattr(command, "commands", {}).values()))

    assert not {"--db", "--as", "--today"} & set().union(*(flags(c) for c in cli.commands.values()))


def test_empty_lists_say_so_in_a_line(db_url: str) -> None:
    ok(db_url, "mentor", "add", "sara", "--name", "Sara", "--kind", "kui", "--on", "2026-01-05")
    assert ok(db_url, "caseload", "--mentor", "sara").endswith("no active pathways for sara as of 2026-11-26")
    assert ok(db_url, "risk") == "no active pathways as of 2026-11-26"
    assert ok(db_url, "risk", "--level", "high", "--as-of", "2026-10-01") == "no active pathways at level high as of 2026-10-01"
    assert json.loads(ok(db_url, "risk", "--json")) == [] and json.loads(ok(db_url, "caseload", "--mentor", "sara", "--json"))
    case = ok(db_url, "refer", "Jens", "--born", "2004-03-02", "--readiness", "education-ready", "--on", "2026-09-01")
    ok(db_url, "employ", case, "--on", "2026-09-02")
    assert [s["trigger"] for s in json.loads(ok(db_url, "next", case, "--json"))] == ["re_refer"]


def test_no_mentors_yet(tmp_path: Path) -> None:
    db = str(tmp_path / "c.sqlite")
    ok(db, "refer", "Jens", "--born", "2004-03-02", "--readiness", "education-ready", "--on", "2026-09-01")
    assert ok(db, "caseload").startswith("no mentors yet (brobyg mentor add")
    assert json.loads(ok(db, "caseload", "--json")) == []


def test_times_are_shown_in_copenhagen_with_the_zone_named(db_url: str) -> None:
    case = ok(db_url, "refer", "Jens", "--born", "2004-03-02", "--readiness", "education-ready", "--on", "2026-09-01")
    recorded = json.loads(ok(db_url, "history", case, "--json"))[0]["recorded_at"]
    at = dt.datetime.fromisoformat(recorded)
    assert at.utcoffset() is not None  # JSON: ISO 8601 with the offset, as recorded
    shown = re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d) (CET|CEST)", ok(db_url, "history", case))
    assert shown is not None, "no Copenhagen time in the recorded column"
    from zoneinfo import ZoneInfo

    local = at.astimezone(ZoneInfo("Europe/Copenhagen"))
    assert (shown[1], shown[2]) == (local.strftime("%Y-%m-%d %H:%M"), local.tzname())


def test_completion_offers_case_and_mentor_ids_from_the_store(db_url: str) -> None:
    ok(db_url, "mentor", "add", "sara", "--name", "Sara", "--kind", "kui", "--on", "2026-01-05")
    ok(db_url, "mentor", "add", "søren", "--name", "Søren", "--kind", "lab", "--on", "2026-01-05")
    case = ok(db_url, "refer", "Jens", "--born", "2004-03-02", "--readiness", "education-ready", "--on", "2026-09-01")
    ok(db_url, "risk")  # a reading command brings the read models up to date
    before = count_events(db_url)
    assert complete("brobyg show ", db_url) == [case]
    assert complete(f"brobyg assign {case.lower()[:3]}", db_url) == [case]  # typed in lower case
    assert complete(f"brobyg assign {case} s", db_url) == ["sara", "søren"]
    assert complete(f"brobyg assign {case} sø", db_url) == ["søren"]
    assert complete("brobyg caseload --mentor ", db_url) == ["sara", "søren"]
    assert complete("brobyg refer Ib --kui-contact sa", db_url) == ["sara"]
    assert complete(f"brobyg --db {db_url} history ", None) == [case]  # --db on the line, not in the environment
    assert count_events(db_url) == before


def test_completion_without_a_store_offers_nothing_and_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "none.sqlite"
    assert complete("brobyg show ", str(db)) == []
    assert complete("brobyg assign X ", "postgresql://nobody@127.0.0.1:1/none") == []
    assert not db.exists()
    assert "show" in complete("brobyg sh", str(db))  # command names complete as before


def test_json_output_is_written_as_the_standard_library_writes_it() -> None:
    """`--json` output is written by orjson for speed, byte for byte as `json.dumps(...,
    ensure_ascii=False, indent=2)` writes it: Danish letters as they are, dates in ISO form,
    numbers as Python writes them, empty lists and objects on one line, numbered keys as text."""
    from brobyg.cli.output import _default, as_json_text
    from brobyg.engine.text import Text

    document = {
        "case": "BRO-2026-0001",
        "person": "Åse Øberg-Ærø",
        "on": dt.date(2026, 11, 26),
        "at": dt.datetime(2026, 12, 2, 8, 19, 5, 120, tzinfo=dt.UTC),
        "what": Text("contact overdue by {days} days", days=3),
        "shares": [0.5, 0.1234, 0.0001, 1.0, 0.0, 12.25, None],
        "counts": {1: 3, 12: 0},
        "flags": [True, False],
        "empty": [[], {}],
        "nested": [{"by_week": [{"week": "2026-W48", "occupied": 7}]}],
        "mentors": {"m-1"},
        "pair": ("a", 2),
    }
    assert as_json_text(document) == json.dumps(document, default=_default, ensure_ascii=False, indent=2)
