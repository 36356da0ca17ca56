"""The steering group's reports in Danish (issue 19): `report outcomes`, `fidelity`, `capacity` and
`backtest` under --lang da show Danish titles, headers, labels, dates and decimal commas, while
their JSON and CSV stay exactly what they are in English; the labels the read models give the
reports keep their English values."""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from brobyg.cli.i18n import _State
from brobyg.projections import fidelity, outcomes, policy, small_numbers
from tests.helpers import TODAY, make_app, run_cli
from tests.scenarios import D, basic_course, bridging, mentors

DECIMAL_COMMA = re.compile(r"\b\d+,\d %")
DECIMAL_POINT = re.compile(r"\b\d+\.\d %")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = str(tmp_path_factory.mktemp("danish-reports") / "brobyg.sqlite")
    made = run_cli(db, "simulate", "--pathways", "200", "--seed", "1", "--json")
    assert made.exit_code == 0, made.output
    return db


@pytest.fixture
def no_misses() -> Iterator[None]:
    """Every message the commands asked for in Danish is in the catalogue."""
    _State.missing.clear()
    yield
    assert _State.missing == set(), f"not in the catalogue: {sorted(_State.missing)[:10]}"


def danish(db: str, *args: str) -> str:
    shown = run_cli(db, "--lang", "da", *args)
    assert shown.exit_code == 0, (args, shown.output)
    return shown.output


def flat(text: str) -> str:
    """The text with every run of white space as one space: rich wraps a long title to its table."""
    return " ".join(text.split())


def test_outcomes_in_danish(store: str, no_misses: None) -> None:
    out = danish(store, "report", "outcomes")
    english = run_cli(store, "--lang", "en", "report", "outcomes").output
    assert "Evalueringens sammenligning: hvert forløb fire år efter visitationen" in flat(out)
    assert "visiteret senest 26. november 2022" in flat(out)  # four years before today, as a Danish date
    assert "Undervejs: hvert forløb set så længe efter visitationen" in flat(out)
    assert "Resultater fordelt på kvartal for første visitation pr. 26. november 2026" in flat(out)
    for word in ("resultat", "95 %-interval", "deltagere", "sammenligningsgruppe", "årgang", "kører stadig"):
        assert word in out, word
    # the evaluation's figures and the horizons, as the guide says them
    for label in ("gennemført grundforløb", "gennemført hovedforløb", "i beskæftigelse", "i uddannelse", "25 uger", "1½ år"):
        assert label in out, label
    assert "indtil nu, alle årgange" in out
    assert "ca. 34,0 %" in out  # the evaluation's 34 % after 25 weeks, with a decimal comma
    assert DECIMAL_COMMA.search(out) and not DECIMAL_POINT.search(out)
    assert re.search(r"\b20\d\dK[1-4]\b", out) and not re.search(r"\b20\d\d-Q[1-4]\b", out)  # quarters as 2021K1
    assert "Dage i hver tilstand" in out and "snusepraktik" in out and "taster_placement" not in out
    assert "Små tal:" in out and "Small numbers" not in out
    assert "so far, all cohorts" in english and "completed basic course" in english and DECIMAL_POINT.search(english)


def test_fidelity_and_capacity_in_danish(store: str, no_misses: None) -> None:
    f = danish(store, "report", "fidelity")
    assert "Modeltroskab pr. 26. november 2026" in flat(f)
    assert "hele uger i brobygning med mindst én mentorkontakt" in f
    assert "Kan ikke besvares ud fra hændelsesloggen: Kerneelement 1" in flat(f)
    assert DECIMAL_COMMA.search(f) and not DECIMAL_POINT.search(f)
    c = danish(store, "report", "capacity")
    assert "Kapacitet pr. 26. november 2026" in flat(c)
    for header in ("samarbejdskontrakt", "pladser", "besat nu", "gennemsnitlig belægning", "uger med ledige pladser"):
        assert header in c, header
    assert DECIMAL_COMMA.search(c) and not DECIMAL_POINT.search(c)


def test_backtest_in_danish(store: str, no_misses: None) -> None:
    as_of = str(TODAY.replace(year=TODAY.year - 1))
    out = danish(store, "report", "backtest", "--as-of", as_of)
    assert "Risiko den 26. november 2025, frafaldet senest 26. november 2026" in flat(out)
    assert "niveau" in out and "senere frafaldet" in out
    assert re.search(r"^høj\s", out, re.M) and re.search(r"^lav\s", out, re.M)
    assert re.search(r"Scorens AUC over de \S+ forløb: (\d,\d\d|–)", out)
    refused = run_cli(store, "--lang", "da", "report", "backtest", "--as-of", str(TODAY))
    assert refused.exit_code == 2
    assert "26. november 2026 er ikke før i dag" in refused.output


def test_writing_a_file_and_the_table_refusal_in_danish(store: str, tmp_path: Path, no_misses: None) -> None:
    written = run_cli(store, "--lang", "da", "report", "capacity", "--format", "csv", "-o", str(tmp_path / "k.csv"))
    assert written.exit_code == 0, written.output
    assert f"skrev {tmp_path / 'k.csv'}" in written.stderr
    refused = run_cli(store, "--lang", "da", "report", "outcomes", "-o", str(tmp_path / "t.txt"))
    assert refused.exit_code == 2
    assert "en tabel vises i terminalen" in refused.output


MACHINE = [
    ("report", "outcomes", "--json"),
    ("report", "outcomes", "--format", "json"),
    ("report", "outcomes", "--format", "csv"),
    ("report", "outcomes", "--cohort", "month", "--format", "csv"),
    ("report", "fidelity", "--json"),
    ("report", "fidelity", "--format", "csv"),
    ("report", "capacity", "--json"),
    ("report", "capacity", "--format", "csv"),
    ("report", "backtest", "--as-of", str(TODAY.replace(year=TODAY.year - 1)), "--json"),
]


@pytest.mark.parametrize("args", MACHINE, ids=lambda a: " ".join(a[1:]))
def test_json_and_csv_are_the_same_in_both_languages(store: str, args: tuple[str, ...]) -> None:
    english = run_cli(store, "--lang", "en", *args)
    dansk = run_cli(store, "--lang", "da", *args)
    assert english.exit_code == dansk.exit_code == 0, dansk.output
    assert dansk.stdout == english.stdout
    if "csv" in args:
        header = next(csv.reader(io.StringIO(dansk.stdout)))
        assert all(re.fullmatch(r"[a-z0-9_]+", name) for name in header), header
        assert "so far, all cohorts" in dansk.stdout or "outcomes" not in args  # values stay English
    else:
        json.loads(dansk.stdout)


def test_json_is_the_same_on_either_store(db_url: str) -> None:
    """On SQLite and PostgreSQL alike, a small store's reports read the same JSON in Danish."""
    app = make_app(db_url)
    mentors(app)
    app.add_partnership("aarhus", "Jobcenter Aarhus", "Tech College", 5, 40_000, on=D(2026, 1, 5))
    bridging(app, person="A")
    basic_course(app, person="B")
    app.close()
    for report in ("outcomes", "fidelity", "capacity"):
        english = run_cli(db_url, "--lang", "en", "report", report, "--json")
        dansk = run_cli(db_url, "--lang", "da", "report", report, "--json")
        assert english.exit_code == dansk.exit_code == 0, dansk.output
        assert dansk.stdout == english.stdout
    titles = {"outcomes": "Evalueringens sammenligning", "fidelity": "Modeltroskab pr.", "capacity": "Kapacitet pr."}
    for report, title in titles.items():
        assert title in flat(run_cli(db_url, "--lang", "da", "report", report).output)


def test_the_read_models_labels_keep_their_english_values() -> None:
    """The labels are marked for the catalogue; as values they are what they always were."""
    assert {k: k.replace("_", " ") for k in outcomes.FIGURE_LABELS} == outcomes.FIGURE_LABELS
    assert {f.name for _days, figures in outcomes.HORIZONS.values() for f in figures} <= set(outcomes.FIGURE_LABELS)
    assert set(outcomes.SHARES) <= set(outcomes.FIGURE_LABELS)
    assert {k: k.replace("_", " ") for k, _state in outcomes.FUNNEL} == outcomes.FUNNEL_LABELS
    assert list(outcomes.HORIZON_LABELS) == ["4y", "25w", "1.5y", "2.5y"]
    assert set(outcomes.HORIZON_LABELS) == set(outcomes.HORIZONS)
    assert set(outcomes.COHORT_LABELS) == set(outcomes.COHORTS)
    assert outcomes.SO_FAR == "so far, all cohorts"
    assert set(fidelity.MEASURE_NAMES) == {m["key"] for m in fidelity.fidelity_of([], TODAY, [])["measures"]}
    assert small_numbers.NOTE.startswith("Small numbers: a count from 1 to 4")


def test_the_default_policys_actions_are_marked() -> None:
    """The risk list can say the default policy file's actions in Danish only if each is marked."""
    default = tomllib.loads(policy.DEFAULT.read_text(encoding="utf-8"))
    actions = {i["action"] for i in default["risk"]["indicators"].values()}
    assert actions == set(policy.ACTIONS)


def test_a_policy_file_that_cannot_be_used_is_said_in_danish(store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "policy.toml"
    bad.write_text(
        policy.DEFAULT.read_text(encoding="utf-8").replace("retention_years = 5", "retention_years = 0"), encoding="utf-8"
    )
    monkeypatch.setenv("BROBYG_POLICY", str(bad))
    dansk = run_cli(store, "--lang", "da", "report", "capacity")
    english = run_cli(store, "--lang", "en", "report", "capacity")
    assert dansk.exit_code == english.exit_code == 2
    assert f"kan ikke bruge politikfilen {bad}: retention_years er mindst 1" in dansk.output
    assert f"cannot use the policy file {bad}: retention_years is at least 1" in english.output
