"""Personal data: sealed per person at rest, erasable, kept no longer than the retention period,
and unreadable without the store's master key."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brobyg.domain.application import Brobyg
from brobyg.engine.clock import Clock
from brobyg.engine.errors import NotFound, Refused
from brobyg.engine.store import parse_store_url
from brobyg.projections.readmodels import ReadModels
from brobyg.simulator.simulate import Simulation
from tests import scenarios
from tests.helpers import TODAY, count_events, make_app, needs_pg, pg_sql, run_cli

NAME, BORN = "Zyxwv Qwerty", dt.date(2004, 3, 5)
NOTES = ("Qjustification about an illness", "Qreason for the mentor", "Qrequest text", "Qhost contact", "Qwish", "Qfollow")
SECRETS = (NAME, "Zyxwv", "Qwerty", BORN.isoformat(), *NOTES)


def a_pathway_full_of_personal_data(app: Brobyg) -> str:
    scenarios.mentors(app)
    p = app.refer(NAME, BORN, "activity-ready", justification=NOTES[0], on=dt.date(2026, 9, 1))
    app.assign(p.case, "peter", reason=NOTES[1], on=dt.date(2026, 9, 2))
    app.start_bridging(p.case, on=dt.date(2026, 9, 3))
    app.request(p.case, NOTES[2], on=dt.date(2026, 9, 4))
    app.start_placement(p.case, "Bakery", "company", NOTES[3], "clarify", NOTES[4], on=dt.date(2026, 9, 5))
    app.end_placement(p.case, NOTES[5], on=dt.date(2026, 9, 12))
    app.drop_out(p.case, "Qdropout reason", on=dt.date(2026, 9, 20))
    return p.case


def store_bytes(url: str) -> list[tuple[str, bytes]]:
    """Everything the store holds at rest: its files (SQLite: main, WAL, SHM), or every row of
    every table in its schema (PostgreSQL), as bytes."""
    if not url.startswith("postgresql"):
        return [(p.name, p.read_bytes()) for p in Path(url).parent.glob(Path(url).name + "*")]
    schema = parse_store_url(url).schema
    tables = [r[0] for r in pg_sql(url, f"SELECT tablename FROM pg_tables WHERE schemaname = '{schema}'")]
    return [(t, "\n".join(r[0] for r in pg_sql(url, f'SELECT t::text FROM "{schema}"."{t}" t')).encode()) for t in tables]


def found_in(blobs: list[tuple[str, bytes]]) -> list[str]:
    needles = [(s, s.encode()) for s in SECRETS] + [(s + " (hex)", s.encode().hex().encode()) for s in SECRETS]
    return [f"{what} in {where}" for where, blob in blobs for what, needle in needles if needle in blob]


def test_no_personal_field_is_at_rest_in_clear(db_url: str, tmp_path: Path) -> None:
    app = make_app(db_url)
    case = a_pathway_full_of_personal_data(app)
    ReadModels(app).catch_up()
    assert app.pathway(case).person == NAME  # it reads back, for those holding the key
    app.close()
    export = tmp_path / "log.jsonl"
    assert run_cli(db_url, "export", str(export)).exit_code == 0
    assert found_in([*store_bytes(db_url), ("the export", export.read_bytes())]) == []
    assert run_cli(db_url, "caseload").exit_code == 0  # a WAL written by a reading command too
    assert found_in(store_bytes(db_url)) == []


def test_the_duplicate_check_is_keyed(db_url: str) -> None:
    import hashlib

    app = make_app(db_url)
    scenarios.mentors(app)
    p = scenarios.referred(app)
    plain = "person:" + hashlib.sha256(f"jens|{scenarios.BORN.isoformat()}".encode()).hexdigest()
    claims = dict(app.recorder.all_claims())
    assert plain not in claims and any(k.startswith("person:") and v == p.case for k, v in claims.items())
    with pytest.raises(Refused, match="R1"):
        scenarios.referred(app, person="JENS")  # still found, as the same person
    app.close()


def test_without_the_right_master_key_nothing_is_read_or_written(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(db_url)
    scenarios.mentors(app)
    case = scenarios.referred(app).case
    app.close()
    before = count_events(db_url)
    monkeypatch.setenv("BROBYG_KEY_FILE", str(tmp_path / "missing.key"))
    for args in (["show", case], ["contact", case], ["refer", "Mo", "--born", "2004-01-01", "--readiness", "education-ready"]):
        result = run_cli(db_url, *args)
        assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "no master key at" in result.stderr, args
    assert not (tmp_path / "missing.key").exists()  # never made for a store that has one
    other = tmp_path / "other.key"
    other.write_text("brobyg-master-key-1 " + __import__("base64").b64encode(os.urandom(32)).decode() + "\n")
    monkeypatch.setenv("BROBYG_KEY_FILE", str(other))
    result = run_cli(db_url, "history", case)
    assert result.exit_code == 2 and "is not this store's" in result.stderr and result.stdout == ""
    assert count_events(db_url) == before


def test_a_new_key_file_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = tmp_path / "config" / "brobyg" / "master.key"
    monkeypatch.setenv("BROBYG_KEY_FILE", str(key))
    assert (
        run_cli(str(tmp_path / "b.sqlite"), "refer", "Mo", "--born", "2004-01-01", "--readiness", "education-ready").exit_code
        == 0
    )
    assert key.stat().st_mode & 0o777 == 0o600 and key.parent.stat().st_mode & 0o777 == 0o700


# --- erasure -------------------------------------------------------------------------------


def reports(read_models: ReadModels) -> str:
    return json.dumps(
        [read_models.outcomes(TODAY), read_models.fidelity(TODAY), read_models.capacity(TODAY)], default=str, sort_keys=True
    )


def test_erasure_leaves_every_figure_and_rule_and_frees_the_person(db_url: str, tmp_path: Path) -> None:
    app = make_app(db_url)
    case = a_pathway_full_of_personal_data(app)
    before = reports(ReadModels(app))
    events = count_events(db_url)
    app.close()
    erased = run_cli(db_url, "erase", case, "--reason", "the person's request (art. 17)", "--json")
    assert erased.exit_code == 0, erased.output
    assert json.loads(erased.stdout)["erased"] == str(TODAY)
    assert count_events(db_url) == events + 1  # PersonErased, nothing else
    shown = json.loads(run_cli(db_url, "show", case, "--json").stdout)
    assert (shown["person"], shown["born"], shown["justification"], shown["state"]) == (
        "[erased]",
        "[erased]",
        "[erased]",
        "dropped_out",
    )
    history = json.loads(run_cli(db_url, "history", case, "--json").stdout)
    personal = [
        (e["event"], k)
        for e in history
        for k in ("person", "born", "justification", "reason", "text", "contact", "wish", "follow_up")
        if k in e
    ]
    assert personal and all(
        e[k] == "[erased]"
        for e in history[:-1]
        for k in ("person", "born", "justification", "reason", "text", "contact", "wish", "follow_up")
        if k in e
    )
    assert history[-1]["event"] == "PersonErased" and history[-1]["reason"] == "the person's request (art. 17)"
    export = tmp_path / "after.jsonl"
    assert run_cli(db_url, "export", str(export)).exit_code == 0
    assert found_in([*store_bytes(db_url), ("the export", export.read_bytes())]) == []
    app = make_app(db_url)
    assert reports(ReadModels(app)) == before
    with pytest.raises(NotFound, match="erased"):
        app.re_refer(case, "education-ready", on=TODAY)
    again = app.refer(NAME, BORN, "education-ready", on=TODAY)  # a new case: the duplicate check forgot them
    assert again.case != case and again.person == NAME
    app.close()
    assert run_cli(db_url, "erase", case, "--reason", "again").exit_code == 0  # idempotent
    assert count_events(db_url) == events + 1 + 1  # the new referral, no second PersonErased
    imported = tmp_path / "imported.sqlite"
    result = run_cli(str(imported), "import", str(export))
    assert result.exit_code == 0, result.output  # an erased person's export imports
    assert json.loads(run_cli(str(imported), "show", case, "--json").stdout)["person"] == "[erased]"


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A simulated municipality over eight years: pathways that ended long ago and live ones."""
    url = tmp_path_factory.mktemp("population") / "store.sqlite"
    app = Brobyg(parse_store_url(str(url)), Clock(TODAY, simulated=True), "simulator", seed=5)
    Simulation(app, 60, 5, TODAY.replace(year=TODAY.year - 8), TODAY).run()
    ReadModels(app).catch_up()
    app.close()
    yield url


def copy_store(source: Path, url: str) -> None:
    """The SQLite file and its write-ahead log, as a new store."""
    for part in source.parent.glob(source.name + "*"):
        shutil.copy(part, url + part.name[len(source.name) :])


def all_cases(app: Brobyg) -> list[str]:
    import sqlalchemy as sa

    from brobyg.projections.facts import pathways

    ReadModels(app).catch_up()
    with app.sql_engine.connect() as conn:
        return sorted(conn.execute(sa.select(pathways.c.case)).scalars())


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_erasures_leave_every_report_as_it_was(
    population: Path, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    url = str(tmp_path_factory.mktemp("erasing") / "store.sqlite")
    copy_store(population, url)
    app = Brobyg(parse_store_url(url), Clock(TODAY, simulated=True), "admin")
    read_models = ReadModels(app)
    before = reports(read_models)
    everyone = all_cases(app)
    chosen = data.draw(st.lists(st.sampled_from(everyone), unique=True, max_size=12))
    for case in chosen:
        app.erase(case, "property test")
    assert reports(read_models) == before
    for case in chosen:
        p = app.pathway(case)
        assert (p.person, p.born, p.erased) == ("[erased]", None, TODAY)
    assert all(app.pathway(c).person != "[erased]" for c in everyone if c not in chosen)
    app.close()


# --- retention -----------------------------------------------------------------------------


def test_retention_erases_those_ended_more_than_five_years_ago(population: Path, tmp_path: Path) -> None:
    url = str(tmp_path / "store.sqlite")
    copy_store(population, url)
    dry = json.loads(run_cli(url, "retention", "--dry-run", "--json").stdout)
    assert dry["dry_run"] and dry["retention_years"] == 5 and dry["erased"]
    cutoff = TODAY.replace(year=TODAY.year - 5)
    assert all(dt.date.fromisoformat(r["ended"]) < cutoff for r in dry["erased"])
    assert all(json.loads(run_cli(url, "show", r["case"], "--json").stdout)["person"] != "[erased]" for r in dry["erased"])
    done = json.loads(run_cli(url, "retention", "--json").stdout)
    assert done["erased"] == dry["erased"]
    for r in done["erased"]:
        assert json.loads(run_cli(url, "show", r["case"], "--json").stdout)["person"] == "[erased]"
    events = count_events(url)
    assert json.loads(run_cli(url, "retention", "--json").stdout)["erased"] == []  # idempotent
    assert count_events(url) == events
    younger = run_cli(url, "retention", "--json")
    assert younger.exit_code == 0


# --- moving a store ------------------------------------------------------------------------


def test_an_export_opens_only_with_its_master_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, export = str(tmp_path / "source.sqlite"), tmp_path / "log.jsonl"
    app = make_app(source)
    case = a_pathway_full_of_personal_data(app)
    app.close()
    assert run_cli(source, "export", str(export)).exit_code == 0
    source_key = Path(os.environ["BROBYG_KEY_FILE"])
    monkeypatch.setenv("BROBYG_KEY_FILE", str(tmp_path / "elsewhere.key"))  # another machine's key
    target = str(tmp_path / "target.sqlite")
    refused = run_cli(target, "import", str(export))
    assert refused.exit_code == 2 and "--key-file" in refused.stderr and not Path(target).exists()
    moved = run_cli(target, "import", str(export), "--key-file", str(source_key))
    assert moved.exit_code == 0, moved.output
    assert json.loads(run_cli(target, "show", case, "--json").stdout)["person"] == NAME
    again = run_cli(target, "refer", NAME, "--born", BORN.isoformat(), "--readiness", "education-ready")
    assert again.exit_code == 1 and "R1" in again.stderr  # the duplicate check, keyed anew, still finds them
    monkeypatch.setenv("BROBYG_KEY_FILE", str(source_key))
    assert run_cli(target, "show", case).exit_code == 2  # the target's data keys are wrapped by its own key now


@needs_pg
def test_retention_on_a_shared_store(pg_url: str) -> None:
    app = Brobyg(parse_store_url(pg_url), Clock(TODAY, simulated=True), "simulator", seed=5)
    Simulation(app, 40, 5, TODAY.replace(year=TODAY.year - 8), TODAY).run()
    before = reports(ReadModels(app))
    app.close()
    done = json.loads(run_cli(pg_url, "retention", "--json").stdout)
    assert done["erased"] and json.loads(run_cli(pg_url, "retention", "--json").stdout)["erased"] == []
    for r in done["erased"]:
        assert json.loads(run_cli(pg_url, "show", r["case"], "--json").stdout)["person"] == "[erased]"
    app = make_app(pg_url)
    assert reports(ReadModels(app)) == before
    app.close()


def test_an_erasure_that_stopped_half_way_is_finished_by_running_it_again(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(db_url)
    scenarios.mentors(app)
    p = app.refer("Ame\u00ad\u0301lie Dupont", BORN, "education-ready", on=TODAY)  # an invisible character before an accent
    release = app.recorder.release
    monkeypatch.setattr(app.recorder, "release", lambda keys: (_ for _ in ()).throw(OSError("the disk went away")))
    with pytest.raises(OSError):
        app.erase(p.case, "request")
    monkeypatch.setattr(app.recorder, "release", release)
    app.erase(p.case, "request")  # again: the event is there, now the claims go
    assert [k for k, holder in app.recorder.all_claims() if holder == p.case] == []
    assert app.refer("Amélie Dupont", BORN, "education-ready", on=TODAY).case != p.case
    app.close()


def test_a_sealed_value_opens_only_in_its_own_event(tmp_path: Path) -> None:
    source, export = str(tmp_path / "source.sqlite"), tmp_path / "log.jsonl"
    app = make_app(source)
    a_pathway_full_of_personal_data(app)
    app.close()
    assert run_cli(source, "export", str(export)).exit_code == 0
    lines = export.read_text(encoding="utf-8").splitlines(keepends=True)
    assigned = next(i for i, line in enumerate(lines) if "Pathway.MentorAssigned" in line)
    dropped = next(i for i, line in enumerate(lines) if "Pathway.DroppedOut" in line)
    moved = json.loads(json.loads(lines[assigned])["state"])["reason"]
    record = json.loads(lines[dropped])
    state = json.loads(record["state"])
    state["reason"] = moved  # the mentor's reason, moved into the drop-out
    record["state"] = json.dumps(state, separators=(",", ":"))
    lines[dropped] = json.dumps(record, ensure_ascii=False) + "\n"
    import hashlib

    lines[-1] = json.dumps({"sha256": hashlib.sha256("".join(lines[1:-1]).encode()).hexdigest()}) + "\n"
    (tmp_path / "moved.jsonl").write_text("".join(lines), encoding="utf-8")
    refused = run_cli(str(tmp_path / "target.sqlite"), "import", str(tmp_path / "moved.jsonl"))
    assert refused.exit_code == 2 and "does not open" in refused.stderr, refused.output
