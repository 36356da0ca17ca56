"""The writing commands in Danish (issue 19): confirmations, their help, parameter errors, store
trouble and the choice of language.

Under --lang da a coordinator reads the guide's words in the confirmation lines ("visiteret",
"brobygning", "uddannelsesmentor", "samarbejdskontrakt p1 tilføjet (1 plads)"); the same commands
under --lang en read exactly as before, and --json prints the same document in both languages.
Under Danish a date may also be typed dd-mm-yyyy; in English that stays a usage error.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from brobyg.cli.i18n import catalogue, help_texts
from brobyg.cli.main import cli
from tests.helpers import admin_role, as_login, needs_pg, pg_sql, run_cli

DA = ("--lang", "da")
EN = ("--lang", "en")

# The writing commands (cli/writing.py, cli/corrections.py) and the groups they belong to.
WRITING_COMMANDS = [
    "absence",
    "assess",
    "assign",
    "cadence",
    "complete-basic-course",
    "contact",
    "drop-out",
    "employ",
    "kui-contact",
    "mentor add",
    "partnership add",
    "placement start",
    "placement end",
    "qualify",
    "re-refer",
    "refer",
    "release",
    "request",
    "secure-apprenticeship",
    "start-basic-course",
    "start-bridging",
    "start-main-course",
    "void",
    "withdraw",
]
GROUPS = ["mentor", "partnership", "placement"]


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "writing.sqlite")


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result.stdout


def usage_error(result: Result) -> str:
    """The error line of a usage error: exit 2, nothing on stdout, no traceback."""
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert result.stdout == "" and "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()[-1]


def walkthrough(db: str, lang: str, as_json: bool = False) -> list[str]:
    """A mentor, two partnerships, a referral, the mentor assigned, bridging and a taster
    placement started and ended: what each command printed."""
    extra = ["--json"] if as_json else []

    def run(*args: str) -> str:
        return ok(run_cli(db, "--lang", lang, *args, *extra))

    said = [
        run("mentor", "add", "anna", "--name", "Anna Holm", "--kind", "kui", "--on", "2026-11-01"),
        run(
            "partnership",
            "add",
            "p1",
            "--jobcentre",
            "Jobcenter Aarhus",
            "--school",
            "Aarhus Tech",
            "--places",
            "1",
            "--on",
            "2026-11-01",
        ),
        run(
            "partnership",
            "add",
            "p2",
            "--jobcentre",
            "Jobcenter Aarhus",
            "--school",
            "Aarhus Tech",
            "--places",
            "12",
            "--on",
            "2026-11-01",
        ),
    ]
    referred = run(
        "refer", "Jens", "--born", "2004-03-02", "--readiness", "education-ready", "--kui-contact", "anna", "--partnership", "p1", "--on", "2026-11-10"
    )  # fmt: skip
    case = json.loads(referred)["case"] if as_json else referred.strip()
    said.append(referred)
    said.append(run("assign", case, "anna", "--on", "2026-11-11"))
    said.append(run("start-bridging", case, "--school", "Aarhus Tech", "--on", "2026-11-12"))
    said.append(
        run(
            "placement", "start", case, "--host", "Aarhus Tech", "--host-kind", "school", "--contact", "Per", "--purpose", "clarify",
            "--wish", "tømrer", "--on", "2026-11-16",
        )
    )  # fmt: skip
    said.append(run("placement", "end", case, "--follow-up", "god uge", "--on", "2026-11-20"))
    said.append(run("absence", case, "--days", "2", "--on", "2026-11-23"))
    return [text.replace(case, "CASE") for text in said]


def test_the_walkthrough_confirms_in_danish(db: str) -> None:
    assert walkthrough(db, "da") == [
        "mentor anna tilføjet (KUI-kontaktperson, kapacitet 20)\n",
        "samarbejdskontrakt p1 tilføjet (1 plads)\n",
        "samarbejdskontrakt p2 tilføjet (12 pladser)\n",
        "CASE\n",
        "CASE: visiteret · mentor anna (uddannelsesmentor)\n",
        "CASE: brobygning · mentor anna (uddannelsesmentor)\n",
        "CASE: snusepraktik · mentor anna (uddannelsesmentor)\n",
        "CASE: brobygning · mentor anna (uddannelsesmentor)\n",
        "CASE: brobygning · mentor anna (uddannelsesmentor)\n",
    ]


def test_the_walkthrough_in_english_reads_as_before(db: str) -> None:
    assert walkthrough(db, "en") == [
        "mentor anna added (kui, capacity 20)\n",
        "partnership p1 added (1 places)\n",
        "partnership p2 added (12 places)\n",
        "CASE\n",
        "CASE: referred · mentor anna (education mentor)\n",
        "CASE: bridging · mentor anna (education mentor)\n",
        "CASE: taster placement · mentor anna (education mentor)\n",
        "CASE: bridging · mentor anna (education mentor)\n",
        "CASE: bridging · mentor anna (education mentor)\n",
    ]


def test_json_is_the_same_in_both_languages(tmp_path: Path) -> None:
    danish = walkthrough(str(tmp_path / "da.sqlite"), "da", as_json=True)
    english = walkthrough(str(tmp_path / "en.sqlite"), "en", as_json=True)
    assert danish == english
    assert json.loads(danish[4]) == {
        "case": "CASE",
        "state": "referred",
        "episode": 1,
        "mentor": "anna",
        "mentor_role": "education",
    }


def test_a_retention_mentor_and_the_later_states_in_danish(db: str) -> None:
    ok(run_cli(db, "mentor", "add", "anna", "--name", "Anna Holm", "--kind", "kui", "--on", "2026-01-05"))
    case = ok(
        run_cli(db, "refer", "Jens", "--born", "2004-03-02", "--readiness", "education-ready", "--on", "2026-01-06")
    ).strip()
    ok(run_cli(db, "assign", case, "anna", "--reason", "ledig", "--on", "2026-01-07"))
    ok(run_cli(db, "start-bridging", case, "--on", "2026-01-08"))
    for subject in ("dansk", "matematik"):
        ok(run_cli(db, "assess", case, "--subject", subject, "--grade", "7", "--on", "2026-02-02"))
    said = ok(run_cli(db, *DA, "start-basic-course", case, "--programme", "tømrer", "--on", "2026-02-09"))
    assert said == f"{case}: grundforløb · mentor anna (fastholdelsesmentor)\n"
    said = ok(run_cli(db, *DA, "drop-out", case, "--reason", "flyttet", "--on", "2026-03-02"))
    assert said == f"{case}: frafaldet\n"


def test_a_refusal_reads_afvist(db: str) -> None:
    ok(run_cli(db, "mentor", "add", "anna", "--name", "Anna Holm", "--kind", "kui", "--on", "2026-11-01"))
    case = ok(
        run_cli(db, "refer", "Jens", "--born", "2004-03-02", "--readiness", "education-ready", "--on", "2026-11-10")
    ).strip()
    refused = run_cli(db, *DA, "start-main-course", case)
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr.startswith("afvist: R8: ")


# --- dates -------------------------------------------------------------------------------------------------


@pytest.mark.skipif(dt.date.today() < dt.date(2026, 12, 1), reason="1 December 2026 has not come yet")
def test_a_danish_date_is_accepted_under_danish_only(db: str) -> None:
    on = "2026-12-01"
    mentor = ["mentor", "add", "bo", "--name", "Bo Lund", "--kind", "lab", "--on", "01-12-2026"]
    line = usage_error(run_cli(db, *EN, *mentor, today=on))
    assert line == "Error: Invalid value for '--on': '01-12-2026' is not a date (YYYY-MM-DD)"
    assert ok(run_cli(db, *DA, *mentor, today=on)) == "mentor bo tilføjet (LAB-mentor, kapacitet 20)\n"
    refer = ["refer", "Jens", "--born", "02-03-2004", "--readiness", "education-ready", "--on", "01-12-2026"]
    assert usage_error(run_cli(db, *EN, *refer, today=on)).startswith("Error: Invalid value for '--born': '02-03-2004'")
    case = ok(run_cli(db, *DA, *refer, today=on)).strip()
    referred = json.loads(ok(run_cli(db, "history", case, "--json", today=on)))[0]
    assert (referred["on"], referred["born"]) == ("2026-12-01", "2004-03-02")


def test_a_bad_date_in_danish_names_both_forms(db: str) -> None:
    line = usage_error(run_cli(db, *DA, "mentor", "add", "bo", "--name", "Bo", "--kind", "lab", "--on", "1/12/2026"))
    assert line == "Fejl: Ugyldig værdi for '--on': '1/12/2026' er ikke en dato (åååå-mm-dd eller dd-mm-åååå)"
    line = usage_error(run_cli(db, *DA, "mentor", "add", "bo", "--name", "Bo", "--kind", "lab", "--on", "31-11-2026"))
    assert line == "Fejl: Ugyldig værdi for '--on': '31-11-2026' er ikke en dag i kalenderen"
    assert not Path(db).exists()  # a usage error creates no store


def test_today_ahead_of_the_real_date_in_danish(db: str) -> None:
    line = usage_error(run_cli(db, *DA, "mentor", "add", "bo", "--name", "Bo", "--kind", "lab", today="2099-01-01"))
    assert line.startswith("Fejl: Ugyldig værdi for '--today': 1. januar 2099 ligger efter den faktiske dato (")
    assert line.endswith("); kun en database lavet med `brobyg simulate` eller `brobyg demo` må være forud for den (R13)")


# --- parameter types ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "danish"),
    [
        (["assess", "BAAAAAA", "--subject", "dansk", "--grade", "5"], "Fejl: Ugyldig værdi for '--grade': '5' er ikke en karakter på 7-trinsskalaen (-3, 00, 02, 4, 7, 10, 12)"),
        (["assess", "BAAAAAA", "--subject", "fransk", "--grade", "7"], "Fejl: Ugyldig værdi for '--subject': 'fransk' er ikke et fag (dansk eller danish, matematik eller maths)"),
        (["mentor", "add", "Anna Holm", "--name", "Anna", "--kind", "kui"], "Fejl: Ugyldig værdi for 'MENTOR': 'Anna Holm' er ikke et id (bogstaver, cifre, '.', '_' eller '-', højst 32)"),
        (["mentor", "add", "anna", "--name", "x" * 2001, "--kind", "kui"], "Fejl: Ugyldig værdi for '--name': er 2001 tegn lang; højst 2000"),
        (["mentor", "add", "anna", "--name", "An\x01na", "--kind", "kui"], "Fejl: Ugyldig værdi for '--name': indeholder kontroltegn"),
        (["--as", "  ", "mentor", "add", "anna", "--name", "Anna", "--kind", "kui"], "Fejl: Ugyldig værdi for '--as': er tom"),
        (["--as", "a\nb", "mentor", "add", "anna", "--name", "Anna", "--kind", "kui"], "Fejl: Ugyldig værdi for '--as': skal være én linje"),
    ],
    ids=["grade", "subject", "id", "long", "control", "empty", "lines"],
)  # fmt: skip
def test_parameter_errors_in_danish(db: str, args: list[str], danish: str) -> None:
    assert usage_error(run_cli(db, *DA, *args)) == danish


# --- the store ---------------------------------------------------------------------------------------------


def test_no_store_for_a_reading_command_in_danish(db: str) -> None:
    line = usage_error(run_cli(db, *DA, "caseload"))
    assert line == f"Fejl: Ugyldig værdi for '--db': der er ingen database i {db}; læsende kommandoer opretter ikke en"


def test_store_trouble_in_danish(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n" * 200)
    result = run_cli(str(path), *DA, "show", "BAAAAAA")
    assert result.exit_code == 1
    assert result.stderr == f"fejl: problem med databasen {path}: file is not a database; intet blev skrevet\n"


def test_a_full_disk_in_danish(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ok(run_cli(db, "mentor", "add", "anna", "--name", "Anna Holm", "--kind", "kui", "--on", "2026-11-01"))
    from brobyg.engine.claims import SQLiteClaimingRecorder

    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(SQLiteClaimingRecorder, "_insert_events", full)
    result = run_cli(db, *DA, "mentor", "add", "bo", "--name", "Bo", "--kind", "lab")
    assert result.exit_code == 1
    assert result.stderr == (
        f"fejl: problem med databasen {db}: database or disk is full (frigør diskplads, og prøv igen); intet blev skrevet\n"
    )


def test_a_store_open_to_others_is_a_warning_in_danish(db: str) -> None:
    ok(run_cli(db, "mentor", "add", "anna", "--name", "Anna Holm", "--kind", "kui", "--on", "2026-11-01"))
    Path(db).chmod(0o644)
    result = run_cli(db, *DA, "mentor", "add", "bo", "--name", "Bo", "--kind", "lab")
    assert result.stdout == "mentor bo tilføjet (LAB-mentor, kapacitet 20)\n"
    assert result.stderr.startswith("advarsel: ")


@pytest.fixture
def coordinator(pg_url: str) -> Iterator[str]:
    """A login of its own that may use the store, not an admin."""
    assert run_cli(pg_url, "mentor", "add", "sara", "--name", "Sara Holm", "--kind", "kui").exit_code == 0
    login = f"coordinator_{uuid.uuid4().hex[:8]}"
    schema = pg_url.rsplit("schema=", 1)[-1]
    pg_sql(pg_url, f'CREATE ROLE "{login}" LOGIN')
    pg_sql(pg_url, f'GRANT USAGE ON SCHEMA "{schema}" TO "{login}"')
    pg_sql(pg_url, f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{login}"')
    yield login
    pg_sql(pg_url, f'DROP OWNED BY "{login}"')
    pg_sql(pg_url, f'DROP ROLE "{login}"')


@needs_pg
def test_acting_for_someone_else_is_refused_in_danish(pg_url: str, coordinator: str) -> None:
    refused = run_cli(
        as_login(pg_url, coordinator), *DA, "mentor", "add", "bo", "--name", "Bo", "--kind", "lab", actor="Datatilsynet"
    )
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr == (
        f"afvist: mentor: brugeren {coordinator} må ikke handle som Datatilsynet (--as er for medlemmer af {admin_role(pg_url)})\n"
    )


# --- help --------------------------------------------------------------------------------------------------


def _command(path: str) -> click.Command:
    command: click.Command = cli
    for name in path.split():
        command = command.commands[name]  # type: ignore[attr-defined]
    return command


@pytest.mark.parametrize("path", ["", *GROUPS, *WRITING_COMMANDS])
def test_every_help_text_of_the_writing_commands_is_danish(path: str) -> None:
    danish = catalogue("da")
    untranslated = [text for text in help_texts(_command(path)) if danish.gettext(text) == text]
    assert untranslated == []


def test_help_reads_danish(db: str) -> None:
    top = " ".join(ok(run_cli(db, *DA, "--help")).split())
    assert "brobyg: brobygningsforløb fra visitation til læreplads." in top
    assert "Tilvalgene nedenfor kan også stå efter kommandoens navn" in top
    assert "Vis versionen og afslut." in top
    refer = " ".join(ok(run_cli(db, *DA, "refer", "--help")).split())
    assert "Visitér en ung til brobygning; udskriver det nye forløbs-id." in refer
    assert "Virkningsdato, hvornår det skete [standard: i dag]." in refer
    assert "Samarbejdskontrakter mellem et jobcenter og en skole (R14)." in " ".join(
        ok(run_cli(db, *DA, "partnership", "--help")).split()
    )
    assert "Refer a young person to bridging; prints the new case id." in ok(run_cli(db, *EN, "refer", "--help"))


# --- which language ----------------------------------------------------------------------------------------

MENTOR = ["mentor", "add", "anna", "--name", "Anna Holm", "--kind", "kui", "--on", "2026-11-01"]
NO_LOCALE = {"BROBYG_LANG": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": None}


def _said(db: str, env: dict[str, str | None], *args: str) -> Result:
    return CliRunner(env={**NO_LOCALE, **env}).invoke(cli, ["--db", db, "--today", "2026-11-26", *args, *MENTOR])


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        ({}, [], "mentor anna added (kui, capacity 20)\n"),
        ({"BROBYG_LANG": "da"}, [], "mentor anna tilføjet (KUI-kontaktperson, kapacitet 20)\n"),
        ({"LANG": "da_DK.UTF-8"}, [], "mentor anna tilføjet (KUI-kontaktperson, kapacitet 20)\n"),
        ({"LC_ALL": "da_DK.UTF-8", "LANG": "en_GB.UTF-8"}, [], "mentor anna tilføjet (KUI-kontaktperson, kapacitet 20)\n"),
        ({"BROBYG_LANG": "da", "LANG": "da_DK.UTF-8"}, ["--lang", "en"], "mentor anna added (kui, capacity 20)\n"),
        ({"BROBYG_LANG": "en", "LANG": "da_DK.UTF-8"}, [], "mentor anna added (kui, capacity 20)\n"),
        ({"LANG": "en_GB.UTF-8"}, ["--lang", "da"], "mentor anna tilføjet (KUI-kontaktperson, kapacitet 20)\n"),
    ],
    ids=["none", "BROBYG_LANG", "LANG", "LC_ALL", "--lang wins", "BROBYG_LANG over LANG", "--lang da"],
)
def test_the_language_is_chosen(db: str, env: dict[str, str | None], args: list[str], expected: str) -> None:
    assert ok(_said(db, env, *args)) == expected


def test_an_unknown_language_is_a_usage_error(db: str) -> None:
    result = _said(db, {"BROBYG_LANG": "fr"})
    assert result.exit_code == 2 and result.stdout == ""
    assert "'--lang'" in result.stderr and "'fr'" in result.stderr
    assert not Path(db).exists()
