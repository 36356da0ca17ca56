"""The looking-after commands in Danish (issue 19): simulate, demo, export and import,
projections, access, access-log, subject-access, erase and retention say what they did in Danish
under --lang da, with Danish dates; their JSON is the same in both languages."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from brobyg.cli.i18n import _State, speaking
from brobyg.cli.output import local_time, plural
from tests.helpers import TODAY, as_login, drop_logins_and_roles, needs_pg, new_logins, run_cli

SIX_YEARS_AGO = TODAY.replace(year=TODAY.year - 6)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small municipality lived through six years (some pathways ended more than five years ago)."""
    path = tmp_path_factory.mktemp("danish-admin") / "simulated.sqlite"
    result = run_cli(str(path), "simulate", "--pathways", "30", "--seed", "2", "--json")
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def store(simulated: Path, tmp_path: Path) -> str:
    """A copy of the simulated store, for a test that writes."""
    url = str(tmp_path / "store.sqlite")
    for part in simulated.parent.glob(simulated.name + "*"):
        shutil.copy(part, url + part.name[len(simulated.name) :])
    return url


@pytest.fixture
def no_misses() -> Iterator[None]:
    """Every message asked for in Danish is in the catalogue."""
    _State.missing.clear()
    yield
    assert _State.missing == set(), f"not in the catalogue: {sorted(_State.missing)[:10]}"


def da(url: str, *args: str) -> str:
    result = run_cli(url, "--lang", "da", *args)
    assert result.exit_code == 0, result.output
    return result.output


def same_json(url: str, *args: str) -> object:
    """The command's JSON, which must not depend on the language."""
    english = run_cli(url, "--lang", "en", *args, "--json")
    danish = run_cli(url, "--lang", "da", *args, "--json")
    assert english.exit_code == danish.exit_code == 0, danish.output
    assert danish.stdout == english.stdout
    return json.loads(danish.stdout)


def a_case(url: str) -> str:
    return json.loads(run_cli(url, "find", "", "--json").stdout)[0]["case"]


def test_simulate_says_what_it_made_in_danish(tmp_path: Path, no_misses: None) -> None:
    out = da(str(tmp_path / "a.sqlite"), "simulate", "--pathways", "5", "--seed", "3")
    assert re.fullmatch(
        r"simulerede 5 forløb fra 26\. november 2020 til 26\. november 2026: \d+ hændelser, \d+ mentorer, "
        r"2 samarbejdskontrakter \(\d+ trin afvist af reglerne\)\n",
        out,
    ), out
    english = run_cli(str(tmp_path / "b.sqlite"), "simulate", "--pathways", "5", "--seed", "3").output
    assert english.startswith("simulated 5 pathways from 2020-11-26 to 2026-11-26: ")
    assert english.endswith(" steps refused by the rules)\n")
    # The same seed, the same store: the figures match, only the words differ.
    assert re.findall(r"\d+", english)[-4:] == re.findall(r"\d+", out)[-4:]


def test_simulate_refuses_in_danish(simulated: Path, tmp_path: Path, no_misses: None) -> None:
    again = run_cli(str(simulated), "--lang", "da", "simulate", "--pathways", "3")
    assert again.exit_code == 2
    assert "indeholder allerede hændelser; simulér i en tom database" in again.output
    later = run_cli(str(tmp_path / "c.sqlite"), "--lang", "da", "simulate", "--pathways", "3", "--start", "2027-01-01")
    assert later.exit_code == 2 and "skal ligge før i dag" in later.output


def test_simulate_json_is_the_same_in_both_languages(tmp_path: Path) -> None:
    english = run_cli(str(tmp_path / "en.sqlite"), "--lang", "en", "simulate", "--pathways", "4", "--json")
    danish = run_cli(str(tmp_path / "da.sqlite"), "--lang", "da", "simulate", "--pathways", "4", "--json")
    assert english.exit_code == danish.exit_code == 0
    assert danish.stdout == english.stdout
    assert json.loads(danish.stdout)["start"] == SIX_YEARS_AGO.isoformat()


def test_demo_speaks_danish(tmp_path: Path, no_misses: None) -> None:
    out = da(str(tmp_path / "demo.sqlite"), "demo", "--replace", "--pathways", "20")
    assert out.startswith("simulerede 20 forløb fra 26. november 2020 til 26. november 2026: ")
    assert "HTML-rapporten (resultater pr. årgang, risikoniveauer, tid i hver tilstand, modeltroskab, kapacitet): " in out
    assert "The HTML report" not in out and "simulated" not in out
    assert (tmp_path / "report.html").exists()


def test_export_and_import_speak_danish_and_their_json_does_not(simulated: Path, tmp_path: Path, no_misses: None) -> None:
    log = tmp_path / "log.jsonl"
    out = da(str(simulated), "export", str(log))
    assert re.fullmatch(rf"eksporterede \d+ hændelser til {re.escape(str(log))}\n", out), out
    exists = run_cli(str(simulated), "--lang", "da", "export", str(log))
    assert exists.exit_code == 2 and "findes; tilføj --force for at erstatte den" in exists.output
    no_folder = run_cli(str(simulated), "--lang", "da", "export", str(tmp_path / "nowhere" / "log.jsonl"))
    assert no_folder.exit_code == 2 and f"mappen {tmp_path / 'nowhere'} findes ikke" in no_folder.output
    events = json.loads(out.split()[1])
    imported = da(str(tmp_path / "into.sqlite"), "import", str(log))
    assert imported == f"importerede {events} hændelser til {tmp_path / 'into.sqlite'}\n"
    english = json.loads(run_cli(str(simulated), "--lang", "en", "export", str(log), "--force", "--json").stdout)
    danish = json.loads(run_cli(str(simulated), "--lang", "da", "export", str(log), "--force", "--json").stdout)
    assert english == danish == {"file": str(log), "events": events}
    for language, target in (("en", "en.sqlite"), ("da", "da.sqlite")):
        result = run_cli(str(tmp_path / target), "--lang", language, "import", str(log), "--json")
        assert json.loads(result.stdout) == {"file": str(log), "events": events, "store": str(tmp_path / target)}


def test_a_file_that_is_not_utf8_is_refused_in_danish(tmp_path: Path, no_misses: None) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"\xff\xfe not text\n")
    result = run_cli(str(tmp_path / "into.sqlite"), "--lang", "da", "import", str(bad))
    assert result.exit_code == 2
    assert f"{bad} er ikke UTF-8-tekst (byte 0)" in result.output


def test_projections_speak_danish(simulated: Path, no_misses: None) -> None:
    status = da(str(simulated), "projections", "status")
    assert status.startswith("Læsemodeller")
    assert all(word in status for word in ("læsemodel", "position", "seneste i loggen", "bagud", "pathway_facts"))
    rows = same_json(str(simulated), "projections", "status")
    assert isinstance(rows, list) and {r["view"] for r in rows} >= {"pathway_facts", "mentors"}
    rebuilt = da(str(simulated), "projections", "rebuild")
    assert re.fullmatch(rf"genopbyggede {len(rows)} læsemodeller ud fra \d+ hændelser\n", rebuilt), rebuilt
    english = run_cli(str(simulated), "projections", "rebuild").output
    assert re.fullmatch(rf"rebuilt {len(rows)} read models from \d+ events\n", english), english
    following = run_cli(str(simulated), "--lang", "da", "projections", "follow")
    assert following.exit_code == 1
    assert following.output.startswith("fejl: at følge med kræver PostgreSQL's notifikationer")


def test_the_access_log_speaks_danish_with_copenhagen_times(simulated: Path, no_misses: None) -> None:
    case = a_case(str(simulated))
    out = da(str(simulated), "access-log", case)
    assert out.startswith(f"Adgangslog for forløb {case}")
    assert all(word in out for word in ("tidspunkt", "af", "kommando", "access-log"))
    assert re.search(r"\d\d-\d\d-\d{4} \d\d:\d\d:\d\d CES?T", out), out
    entries = json.loads(run_cli(str(simulated), "--lang", "da", "access-log", case, "--json").stdout)
    assert entries[-1]["command"] == "access-log" and dt.datetime.fromisoformat(entries[-1]["at"]).tzinfo is not None


def test_local_time_writes_the_date_as_a_danish_table_does() -> None:
    at = dt.datetime(2026, 7, 1, 6, 5, 4, tzinfo=dt.UTC)
    assert local_time(at, seconds=True) == "2026-07-01 08:05:04 CEST"
    with speaking("da"):
        assert local_time(at) == "01-07-2026 08:05 CEST"
    assert local_time(dt.datetime(2026, 12, 2, 7, 19)) == "2026-12-02 08:19 CET"


def test_subject_access_speaks_danish(store: str, tmp_path: Path, no_misses: None) -> None:
    case, target = a_case(store), tmp_path / "sar.json"
    out = da(store, "subject-access", case, "-o", str(target))
    assert re.fullmatch(rf"skrev alt, hvad der opbevares om {case} \(\d+ hændelser\), til {re.escape(str(target))}\n", out)
    again = run_cli(store, "--lang", "da", "subject-access", case, "-o", str(target))
    assert again.exit_code == 2 and "findes; tilføj --force for at erstatte den" in again.output
    english = json.loads(run_cli(store, "--lang", "en", "subject-access", case, "-o", str(target), "--force", "--json").stdout)
    danish = json.loads(run_cli(store, "--lang", "da", "subject-access", case, "-o", str(target), "--force", "--json").stdout)
    assert english == danish


def test_erase_and_retention_speak_danish(store: str, no_misses: None) -> None:
    dry = da(store, "retention", "--dry-run")
    assert re.match(r"\d+ personer? ville blive slettet \(5 år efter forløbets afslutning\)", " ".join(dry.split())), dry
    assert "forløb" in dry and "sluttede" in dry and "som" in dry
    assert re.search(r"\b\d\d-\d\d-20\d\d\b", dry) and not re.search(r"20\d\d-\d\d-\d\d", dry)
    assert any(word in dry for word in ("udskrevet", "i beskæftigelse", "frafaldet", "udlært"))
    assert same_json(store, "retention", "--dry-run")
    case = a_case(store)
    erased = da(store, "erase", case, "--reason", "anmodning")
    assert erased == f"{case}: personens oplysninger er slettet (nøglen blev destrueret den 26. november 2026)\n"
    done = da(store, "retention")
    assert re.match(r"\d+ personer? slettet \(5 år efter forløbets afslutning\)", " ".join(done.split())), done
    none_left = da(store, "retention")
    assert none_left == "ingen er opbevaret længere end 5 år efter forløbets afslutning; ingen slettet\n"
    assert run_cli(store, "retention").output == (
        "no one has been kept longer than 5 years after their pathway ended; no one erased\n"
    )


def test_access_needs_postgresql_in_danish(simulated: Path, no_misses: None) -> None:
    result = run_cli(str(simulated), "--lang", "da", "access", "list")
    assert result.exit_code == 1
    assert result.output == (
        "afvist: access: roller kræver en delt PostgreSQL-database; på SQLite er filens rettigheder den eneste beskyttelse\n"
    )


@needs_pg
def test_access_speaks_danish_on_postgresql(pg_url: str, no_misses: None) -> None:
    assert run_cli(pg_url, "simulate", "--pathways", "3").exit_code == 0
    assert da(pg_url, "access", "list").startswith("intet login har en rolle på denne database")
    logins = new_logins(pg_url)
    try:
        login = logins["mentor"]
        assert da(pg_url, "access", "grant", login, "--role", "mentor", "--mentor", "mentor-001") == (
            f"{login} er mentor for sagsstammen hos mentor-001\n"
        )
        listed = da(pg_url, "access", "list")
        assert listed.startswith("Adgang") and "rolle" in listed
        assert same_json(pg_url, "access", "list") == [{"login": login, "role": "mentor", "mentor": "mentor-001"}]
        wrong = run_cli(pg_url, "--lang", "da", "access", "grant", login, "--role", "analyst", "--mentor", "mentor-001")
        assert wrong.exit_code == 2 and "--mentor hører til --role mentor og kun til den" in wrong.output
        refused = run_cli(as_login(pg_url, login), "--lang", "da", "access-log", a_case(pg_url))
        assert refused.exit_code == 1
        assert refused.output.startswith(f"afvist: access-log: loginnet {login} må ikke læse adgangsloggen")
        assert da(pg_url, "access", "revoke", login) == f"{login} har ingen rolle nu\n"
        assert da(pg_url, "access", "revoke", login) == f"{login} havde ingen rolle\n"
    finally:
        drop_logins_and_roles(pg_url, logins)


def test_plural_keeps_english_and_speaks_danish_where_the_pair_is_marked() -> None:
    assert plural(1, "event") == "1 event"
    assert plural(3, "read model") == "3 read models"
    assert plural(2, "person", "persons") == "2 persons"
    with speaking("da"):
        assert plural(1, "event") == "1 hændelse"
        assert plural(0, "event") == "0 hændelser"
        assert plural(2, "partnership") == "2 samarbejdskontrakter"
