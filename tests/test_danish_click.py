"""click's own messages in Danish (issue 19): usage lines, help headings, usage errors.

Under --lang da a Danish user reads "Brug:", "Tilvalg", "Fejl: …" and "Prøv '… --help' for at få
hjælp." where click says "Usage:", "Options", "Error: …"; the exit code of a usage error stays 2,
and the same commands under --lang en read exactly as before.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import Result

from tests.helpers import installed_brobyg, run_cli

# (arguments, the error line in English, the error line in Danish)
USAGE_ERRORS = [
    (
        ["caseload", "--no-such-option"],
        "Error: No such option '--no-such-option'.",
        "Fejl: Ukendt tilvalg '--no-such-option'.",
    ),
    (["show"], "Error: Missing argument 'CASE'.", "Fejl: Manglende argument 'CASE'."),
    (
        ["risk", "--level", "x"],
        "Error: Invalid value for '--level': 'x' is not one of 'low', 'medium', 'high'.",
        "Fejl: Ugyldig værdi for '--level': 'x' er ikke en af 'low', 'medium', 'high'.",
    ),
    (
        ["report", "outcomes", "--cohort", "week"],
        "Error: Invalid value for '--cohort': 'week' is not one of 'month', 'quarter', 'year'.",
        "Fejl: Ugyldig værdi for '--cohort': 'week' er ikke en af 'month', 'quarter', 'year'.",
    ),
    (["nosuchcmd"], "Error: No such command 'nosuchcmd'.", "Fejl: Ukendt kommando 'nosuchcmd'."),
    (
        ["agenda", "--days", "-1"],
        "Error: Invalid value for '--days': -1 is not in the range x>=0.",
        "Fejl: Ugyldig værdi for '--days': -1 ligger ikke i intervallet x>=0.",
    ),
    (["mentor", "add", "M1"], "Error: Missing option '--name'.", "Fejl: Manglende tilvalg '--name'."),
]


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "click.sqlite")


def _usage_error(result: Result) -> list[str]:
    """The lines of a usage error: exit 2, nothing on stdout, no traceback."""
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert result.stdout == ""
    assert "Traceback" not in result.output + result.stderr
    return result.stderr.splitlines()


@pytest.mark.parametrize(("args", "english", "danish"), USAGE_ERRORS, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_usage_errors_are_danish_and_still_exit_2(db: str, args: list[str], english: str, danish: str) -> None:
    command = " ".join(args[: 2 if args[0] in ("report", "mentor") else 1])  # in-process, the program is "cli"
    lines = _usage_error(run_cli(db, "--lang", "da", *args))
    if args != ["nosuchcmd"]:
        assert lines[0].startswith("Brug: ") and f" {command} [OPTIONS]" in lines[0]
        assert lines[1].startswith("Prøv '") and lines[1].endswith(f" {command} --help' for at få hjælp.")
    assert lines[-1] == danish
    assert not any(word in "\n".join(lines) for word in ("Usage:", "Error:", "Try '"))


@pytest.mark.parametrize(("args", "english", "danish"), USAGE_ERRORS, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_usage_errors_in_english_are_unchanged(db: str, args: list[str], english: str, danish: str) -> None:
    for lang in (["--lang", "en"], []):  # the suite runs with BROBYG_LANG=en
        lines = _usage_error(run_cli(db, *lang, *args))
        if args != ["nosuchcmd"]:
            assert lines[0].startswith("Usage: ")
            assert lines[1].startswith("Try '") and lines[1].endswith(" --help' for help.")
        assert lines[-1] == english


def test_a_missing_choice_lists_the_choices_in_danish(db: str) -> None:
    lines = _usage_error(run_cli(db, "--lang", "da", "mentor", "add", "M1", "--name", "Sara"))
    assert lines[-3:] == ["Fejl: Manglende tilvalg '--kind'. Vælg blandt:", "\tkui,", "\tlab"]
    lines = _usage_error(run_cli(db, "--lang", "en", "mentor", "add", "M1", "--name", "Sara"))
    assert lines[-3:] == ["Error: Missing option '--kind'. Choose from:", "\tkui,", "\tlab"]


def test_a_misspelt_option_is_answered_in_danish(db: str) -> None:
    lines = _usage_error(run_cli(db, "--lang", "da", "show", "--on"))
    assert lines[-1] == "Fejl: Ukendt tilvalg '--on'. (Mente du en af: '--json', '--lang'?)"


def _help(db: str, lang: str, *args: str) -> str:
    """The help as the installed `brobyg` prints it, in a process of its own: click builds each
    command's --help option once per process, with its help text in that run's language."""
    done = subprocess.run(
        [installed_brobyg(), "--db", db, "--lang", lang, *args, "--help"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    return done.stdout


def test_help_headings_are_danish(db: str) -> None:
    shown = _help(db, "da")
    assert shown.startswith("Brug: brobyg [OPTIONS] COMMAND [ARGS]...\n")
    assert "\nTilvalg:\n" in shown and "\nKommandoer:\n" in shown
    assert "Vis denne hjælpetekst og afslut." in shown
    assert not any(word in shown for word in ("Usage:", "\nOptions:", "\nCommands:", "Show this message"))
    assert "[standard: 20;" in " ".join(_help(db, "da", "mentor", "add").split())


def test_help_in_english_is_unchanged(db: str) -> None:
    shown = _help(db, "en")
    assert shown.startswith("Usage: brobyg [OPTIONS] COMMAND [ARGS]...\n")
    assert "\nOptions:\n" in shown and "\nCommands:\n" in shown
    assert "Show this message and exit." in shown and "Show the version and exit." in shown
    assert "[default: 20;" in " ".join(_help(db, "en", "mentor", "add").split())


def test_the_installed_command_speaks_danish_and_exits_2(db: str) -> None:
    """The real `brobyg` script, as a person types it: the program's name in the usage lines, exit 2."""
    for lang, lines in (
        (
            "da",
            [
                "Brug: brobyg show [OPTIONS] CASE",
                "Prøv 'brobyg show --help' for at få hjælp.",
                "",
                "Fejl: Manglende argument 'CASE'.",
            ],
        ),
        (
            "en",
            ["Usage: brobyg show [OPTIONS] CASE", "Try 'brobyg show --help' for help.", "", "Error: Missing argument 'CASE'."],
        ),
    ):
        done = subprocess.run(
            [installed_brobyg(), "--db", db, "--lang", lang, "show"], capture_output=True, text=True, check=False
        )
        assert (done.returncode, done.stdout, done.stderr.splitlines()) == (2, "", lines)
