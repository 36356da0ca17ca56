"""The workflow definition is the table in the guide, and the diagram is drawn from it."""

from __future__ import annotations

import re

import pytest

from brobyg.domain.terms import ACTIVE_STATES, OUTCOME_STATES
from brobyg.domain.workflow import PATHWAY
from brobyg.engine.errors import StoreUrlError
from brobyg.engine.store import parse_store_url

ACTIVE = set(ACTIVE_STATES)

# domain.md, "The pathway state machine", row by row.
TABLE = {
    "refer": ({"new"}, "referred"),
    "start_bridging": ({"referred"}, "bridging"),
    "start_placement": ({"bridging"}, "taster_placement"),
    "end_placement": ({"taster_placement"}, "bridging"),
    "start_basic_course": ({"bridging"}, "basic_course"),
    "complete_basic_course": ({"basic_course"}, "awaiting_main_course"),
    "start_main_course": ({"awaiting_main_course"}, "main_course"),
    "secure_apprenticeship": ({"awaiting_main_course", "main_course"}, "apprenticeship"),
    "qualify": ({"main_course", "apprenticeship"}, "qualified"),
    "employ": (ACTIVE, "employed"),
    "drop_out": (ACTIVE, "dropped_out"),
    "withdraw": (ACTIVE, "withdrawn"),
    "re_refer": ({"dropped_out", "withdrawn", "employed"}, "referred"),
}


def test_the_machine_is_the_guides_table() -> None:
    expected = {(source, trigger, dest) for trigger, (sources, dest) in TABLE.items() for source in sources}
    assert PATHWAY.edges == expected


def test_outcome_states_only_lead_back_through_re_referral() -> None:
    for state in OUTCOME_STATES:  # a job can end; a qualified skilled worker is out of the target group
        assert PATHWAY.triggers_from(state) == (["re_refer"] if state != "qualified" else [])


# One edge line of each format: `source --> dest: trigger` (Mermaid), `source -> dest [label=trigger]` (DOT).
EDGE_LINE = {
    "mermaid": re.compile(r"^\s*(\w+) --> (\w+): (\w+)$", re.MULTILINE),
    "dot": re.compile(r"^\s*(\w+) -> (\w+) \[label=(\w+)\]$", re.MULTILINE),
}


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_the_diagram_draws_exactly_the_machines_edges(fmt: str) -> None:
    text = PATHWAY.diagram(fmt)
    for state in PATHWAY.states:
        assert state in text
    drawn = [(source, trigger, dest) for source, dest, trigger in EDGE_LINE[fmt].findall(text)]
    assert len(drawn) == len(set(drawn)) and set(drawn) == PATHWAY.edges


def test_a_trigger_from_the_wrong_state_names_its_rule() -> None:
    check = PATHWAY.check(None, "bridging", "start_main_course", {})  # type: ignore[arg-type]
    assert not check.allowed and [v.rule for v in check.violations] == ["R8"]
    check = PATHWAY.check(None, "bridging", "qualify", {})  # type: ignore[arg-type]
    assert [v.rule for v in check.violations] == ["R0"] and "only from main_course, apprenticeship" in str(check.violations[0])


@pytest.mark.parametrize(
    ("url", "kind", "shown"),
    [
        ("brobyg.sqlite", "sqlite", "brobyg.sqlite"),
        ("sqlite:////tmp/x.sqlite", "sqlite", "/tmp/x.sqlite"),
        ("postgresql://postgres@127.0.0.1:5432/test", "postgresql", "postgresql://postgres@127.0.0.1:5432/test"),
        ("postgresql://ann:s3cr%40t@db:6543/cases?schema=aarhus", "postgresql", "postgresql://ann@db:6543/cases?schema=aarhus"),
        (
            "postgresql://ann@/cases?host=/var/run/postgresql",
            "postgresql",
            "postgresql://ann@:5432/cases?host=/var/run/postgresql",
        ),
    ],
)
def test_one_url_chooses_the_store(url: str, kind: str, shown: str) -> None:
    store = parse_store_url(url)
    assert store.kind == kind and store.display.endswith(shown)
    assert "s3cr" not in store.display  # passwords are never shown


def test_the_password_reaches_both_drivers_intact() -> None:
    store = parse_store_url("postgresql://ann:s3cr%40t@db:6543/cases")
    assert store.eventsourcing_env["POSTGRES_PASSWORD"] == "s3cr@t"
    assert "s3cr%40t@db:6543" in store.sqlalchemy_url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "mysql://root@localhost/x",
        ":memory:",
        "postgresql://h:5432/",
        "postgresql://h/x?schema=Bad-Name",
        "postgresql://h/x?search_path=other",
        "postgresql://h/x?schema=a&schema=b",
        "postgresql://h/x?host=/var/run/postgresql",  # two hosts
        "postgresql:///x?host=var/run/postgresql",  # a socket's folder is a full path
        "postgresql:///x?host=",
    ],
)
def test_unusable_urls_are_refused_with_a_reason(url: str) -> None:
    with pytest.raises(StoreUrlError):
        parse_store_url(url)


def test_the_process_environment_cannot_redirect_the_store(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers import make_app

    elsewhere = tmp_path / "elsewhere.sqlite"
    monkeypatch.setenv("BROBYG_SQLITE_DBNAME", str(elsewhere))
    monkeypatch.setenv("PERSISTENCE_MODULE", "eventsourcing.popo")
    app = make_app(str(tmp_path / "here.sqlite"))
    app.add_mentor("m", "M", "lab")
    assert (tmp_path / "here.sqlite").exists() and not elsewhere.exists()
    assert make_app(str(tmp_path / "here.sqlite")).count_events() == 1


def test_sqlite_needs_an_existing_folder(tmp_path) -> None:
    from tests.helpers import make_app

    with pytest.raises(StoreUrlError, match="does not exist"):
        make_app(str(tmp_path / "missing" / "x.sqlite"))
    assert not (tmp_path / "missing").exists()
