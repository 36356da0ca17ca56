"""`brobyg import` checks a whole file before it writes: a forged or damaged log is refused
with the line that is wrong, and nothing reaches the store."""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brobyg.cli.main import cli
from brobyg.engine.errors import TransferError
from brobyg.engine.transfer import check_log, export_log, import_log
from brobyg.projections.readmodels import ReadModels
from tests import scenarios
from tests.helpers import TODAY, count_events, make_app, run_cli

# --- a real export, and ways to change it ---------------------------------------------------------


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The lines of an export of three pathways (one in a basic course, one dropped out and
    re-referred, one withdrawn), two mentors and a partnership."""
    url = str(tmp_path_factory.mktemp("source") / "source.sqlite")
    app = make_app(url)
    scenarios.mentors(app)
    app.add_partnership("aarhus", "Jobcenter Aarhus", "Tech College", 10, on=TODAY.replace(month=1))
    scenarios.basic_course(app, person="Jens")
    b = scenarios.bridging(app, person="Åse").case
    app.drop_out(b, "moved away", on=TODAY)
    app.re_refer(b, "education-ready", on=TODAY)
    c = scenarios.referred(app, person="Mo").case
    app.withdraw(c, "illness", on=TODAY)
    lines = _export(app)
    app.close()
    return lines


def _export(app: Any) -> list[str]:
    import io

    out = io.StringIO()
    export_log(app, out)
    return out.getvalue().splitlines(keepends=True)


def signed(lines: list[str]) -> list[str]:
    """The lines with a digest that matches them, as someone who forges a file would write it."""
    body = [line if line.endswith("\n") else line + "\n" for line in lines[1:-1]]
    digest = hashlib.sha256("".join(body).encode()).hexdigest()
    return [lines[0], *body, json.dumps({"sha256": digest}) + "\n"]


def with_state(line: str, **changes: Any) -> str:
    record = json.loads(line)
    state = json.loads(record["state"])
    state.update(changes)
    record["state"] = json.dumps(state)
    return json.dumps(record) + "\n"


def first_line(lines: list[str], topic: str) -> int:
    return next(i for i, line in enumerate(lines) if json.loads(line).get("topic") == topic)


def second_event(lines: list[str]) -> str:
    """The first line that continues a stream."""
    return next(line for line in lines if '"stream"' in line and json.loads(line)["version"] == 2)


def refusal(tmp_path: Path, lines: list[str]) -> str:
    """Import the lines with the command line into a new store; it must be refused with one
    line, exit 2, and leave no event behind. Returns the message."""
    file = tmp_path / "forged.jsonl"
    file.write_text("".join(lines), encoding="utf-8")
    store = str(tmp_path / "target.sqlite")
    result = run_cli(store, "import", str(file))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    message = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(message) == 1, result.stderr
    assert count_events(store) == 0
    return message[0]


# --- the attacks and accidents, one by one ----------------------------------------------------------


def test_a_real_export_imports(tmp_path: Path, export: list[str]) -> None:
    file = tmp_path / "log.jsonl"
    file.write_text("".join(export), encoding="utf-8")
    result = run_cli(str(tmp_path / "t.sqlite"), "import", str(file), "--json")
    assert result.exit_code == 0, result.output
    events = sum('"stream"' in line for line in export)
    assert json.loads(result.stdout)["events"] == count_events(str(tmp_path / "t.sqlite")) == events


def test_an_edited_line_breaks_the_digest(tmp_path: Path, export: list[str]) -> None:
    lines = list(export)
    lines[1] = with_state(lines[1], actor="Datatilsynet")
    assert lines != export
    assert refusal(tmp_path, lines) == "Error: the lines do not match the digest on the last line: the file was changed"
    assert "incomplete" in refusal(tmp_path, export[:-1])


@pytest.mark.parametrize(
    ("topic", "module"),
    [("this:x", "this"), ("antigravity:x", "antigravity"), ("os:system", None), ("brobyg:Pathway.Nothing", None)],
)
def test_a_foreign_topic_is_refused_before_anything_is_imported(
    tmp_path: Path, export: list[str], topic: str, module: str | None
) -> None:
    import sys

    lines = list(export)
    record = json.loads(lines[1])
    record["topic"] = topic
    lines[1] = json.dumps(record) + "\n"
    message = refusal(tmp_path, signed(lines))
    assert message == f"Error: line 2: stream {record['stream']} version 1: {topic!r} is not a brobyg event type"
    assert module is None or module not in sys.modules


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"new_state": None}, "new_state = None is not a str"),
        ({"actor": ""}, "no actor"),
        ({"born": {"_type_": "date_iso", "_data_": "2021-01-01"}}, "years old on the referral date"),
        ({"timestamp": {"_type_": "datetime_iso", "_data_": "2999-01-01T00:00:00+00:00"}}, "after the real time"),
        ({"timestamp": {"_type_": "datetime_iso", "_data_": "1999-01-01T00:00:00+00:00"}}, "before 2000-01-01"),
        ({"on": {"_type_": "date_iso", "_data_": "2999-01-01"}}, "effective 2999-01-01, after it was recorded"),
        ({"case": "BZZZZZZ"}, "stored under another stream"),
        ({"new_state": "qualified"}, "a referral to qualified (R9)"),
        ({"extra": 1}, "unknown extra"),
        ({"originator_topic": "os:system"}, "'os:system' is not a brobyg aggregate type"),
        ({"actor": "Datatilsynet\x1b[31m"}, "actor contains control characters"),
        ({"person": "Jens\nHansen"}, "person contains control characters"),
        ({"person": "J" * 2001}, "person is 2001 characters long"),
        ({"class_version": 1000000}, "class version 1000000 of a Pathway.Referred event is not one brobyg wrote"),
    ],
)
def test_a_forged_referral_is_refused_naming_its_line(
    tmp_path: Path, export: list[str], change: dict[str, Any], says: str
) -> None:
    lines = list(export)
    i = first_line(lines, "brobyg:Pathway.Referred")
    lines[i] = with_state(lines[i], **change)
    message = refusal(tmp_path, signed(lines))
    assert message.startswith(f"Error: line {i + 1}: ") and says in message, message


def test_a_transition_off_the_graph_is_refused(tmp_path: Path, export: list[str]) -> None:
    lines = list(export)
    i = first_line(lines, "brobyg:Pathway.BridgingStarted")
    lines[i] = with_state(lines[i], new_state="qualified")
    assert refusal(tmp_path, signed(lines)).endswith("BridgingStarted to qualified cannot follow referred (R9)")


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda ls: [line for line in ls if line != second_event(ls)], "where version 2 is due"),
        (lambda ls: [*ls[:2], ls[1], *ls[2:]], "version 1 where version 2 is due"),
        (lambda ls: [ls[0], ls[1].replace('"version": 1', '"version": 1e400'), *ls[2:]], "is not a whole number"),
        (lambda ls: [ls[0], ls[1].replace('"version": 1', '"version": NaN'), *ls[2:]], "is not JSON"),
        (lambda ls: [*ls[:-2], '{"claim": "person:x"}\n', ls[-1]], "neither an event nor a claim"),
        (lambda ls: [*ls[:-2], '{"claim": "person:x", "\\n": 1}\n', ls[-1]], "(keys: '\\n', claim)"),
        (lambda ls: [*ls[:-1], '{"claim": "person:x", "holder": "BQQQQQQ"}\n', ls[-1]], "no case in the file"),
        (lambda ls: [ls[0], ls[-2], *ls[1:-2], ls[-1]], "an event after the claims"),
        (lambda ls: [line for line in ls if '"claim": "person:' not in line], "its person claim is missing"),
        (lambda ls: [line for line in ls if '"claim": "datakey:' not in line], "its data key is missing"),
        (lambda ls: [ls[0], '{"stream": ' + "[" * 100_000 + "]" * 100_000 + "}\n", *ls[1:]], "nested too deeply"),
    ],
)
def test_a_damaged_log_is_refused(tmp_path: Path, export: list[str], damage: Any, says: str) -> None:
    lines = damage(list(export))
    header = json.loads(lines[0])
    header["events"] = sum('"stream"' in line for line in lines)
    header["claims"] = sum('"claim"' in line for line in lines)
    message = refusal(tmp_path, signed([json.dumps(header) + "\n", *lines[1:]]))
    assert says in message, message


def test_bad_utf8_is_refused(tmp_path: Path, export: list[str]) -> None:
    file = tmp_path / "bad.jsonl"
    file.write_bytes(export[0].encode() + b"\xff\xfe\n")
    result = run_cli(str(tmp_path / "t.sqlite"), "import", str(file))
    assert result.exit_code == 2 and "is not UTF-8 text" in result.stderr and "Traceback" not in result.output
    piped = CliRunner().invoke(cli, ["--db", str(tmp_path / "p.sqlite"), "import", "-"], input=file.read_bytes())
    assert piped.exit_code == 2 and "standard input is not UTF-8 text" in piped.stderr
    assert not (tmp_path / "p.sqlite").exists()


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"grade": 5}, "not on the 7-point scale"),
        ({"subject": "klingon"}, "not on the 7-point scale"),
    ],
)
def test_a_fact_no_command_could_record_is_refused(tmp_path: Path, export: list[str], change: dict[str, Any], says: str) -> None:
    lines = list(export)
    i = first_line(lines, "brobyg:Pathway.Assessed")
    lines[i] = with_state(lines[i], **change)
    message = refusal(tmp_path, signed(lines))
    assert message.startswith(f"Error: line {i + 1}: ") and says in message, message


def test_a_header_version_must_be_a_whole_number(tmp_path: Path, export: list[str]) -> None:
    header = json.loads(export[0])
    header["version"] = True
    assert "not a brobyg-event-log file" in refusal(tmp_path, [json.dumps(header) + "\n", *export[1:]])


# --- any change at all ----------------------------------------------------------------------------

FIELDS = ["stream", "version", "topic", "state"]


def mutations(lines: list[str]) -> st.SearchStrategy[list[str]]:
    body = lines[1:-1]
    n = len(body)
    index = st.integers(0, n - 1)
    drop = index.map(lambda i: body[:i] + body[i + 1 :])
    duplicate = index.map(lambda i: body[: i + 1] + body[i:])
    swap = st.tuples(index, index).map(lambda ij: _swapped(body, *ij))
    field = st.tuples(index, st.sampled_from(FIELDS), st.one_of(st.integers(-2, 5), st.text(max_size=8), st.none())).map(
        lambda t: _with_field(body, *t)
    )
    topic = st.tuples(index, st.sampled_from(sorted({json.loads(b)["topic"] for b in body if "topic" in b}))).map(
        lambda t: _with_field(body, t[0], "topic", t[1])
    )
    state = st.tuples(index, st.text(min_size=1, max_size=12), st.one_of(st.integers(), st.text(max_size=5), st.none())).map(
        lambda t: _with_state_key(body, *t)
    )
    return st.one_of(drop, duplicate, swap, field, topic, state)


def _swapped(body: list[str], i: int, j: int) -> list[str]:
    out = list(body)
    out[i], out[j] = out[j], out[i]
    return out


def _with_field(body: list[str], i: int, key: str, value: Any) -> list[str]:
    out = list(body)
    record = json.loads(out[i])
    record[key] = value
    out[i] = json.dumps(record) + "\n"
    return out


def _with_state_key(body: list[str], i: int, key: str, value: Any) -> list[str]:
    out = list(body)
    record = json.loads(out[i])
    if "state" not in record:
        record[key] = value
    else:
        state = json.loads(record["state"])
        existing = sorted(state)
        state[key[1:] if key.startswith("+") else existing[len(key) % len(existing)]] = value  # "+": a new key
        record["state"] = json.dumps(state)
    out[i] = json.dumps(record) + "\n"
    return out


def test_every_change_to_a_real_export_is_refused_or_gives_a_store_that_works(tmp_path: Path, export: list[str]) -> None:
    """A forger who also fixes the digest: whatever they change, the import either refuses it
    (naming a line, writing nothing), or gives a store identical to the original, or one whose
    every pathway replays and whose read models build and rebuild alike. Never a traceback."""
    tally = {"tried": 0, "refused": 0, "identical": 0, "accepted": 0}
    stores = iter(range(1_000_000))

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=mutations(export))
    def import_a_changed_export(body: list[str]) -> None:
        header = json.loads(export[0])
        header["events"] = sum('"stream"' in line for line in body)
        header["claims"] = sum('"claim"' in line for line in body)
        lines = signed([json.dumps(header) + "\n", *body, "{}\n"])
        app = make_app(str(tmp_path / f"t{next(stores)}.sqlite"))
        tally["tried"] += 1
        try:
            try:
                import_log(app, lines)
            except TransferError as e:
                assert str(e) and "\n" not in str(e)  # one line: the line number, or the case across streams
                assert app.count_events() == 0
                tally["refused"] += 1
                return
            if _export(app)[1:] == export[1:]:
                tally["identical"] += 1
                return
            tally["accepted"] += 1
            for stream in {json.loads(line)["stream"] for line in body if '"stream"' in line}:
                app.repository.get(uuid.UUID(stream))
            read_models = ReadModels(app)
            read_models.catch_up()
            incremental = read_models.dump()
            read_models.rebuild()
            assert read_models.dump() == incremental
        finally:
            app.close()

    import_a_changed_export()
    print(f"\nimport mutations: {tally}")
    assert tally["tried"] == tally["refused"] + tally["identical"] + tally["accepted"]
    assert tally["refused"] > tally["tried"] // 2


# --- two imports at once ------------------------------------------------------------------------------


def test_two_imports_into_one_empty_store_at_once_give_one_success(db_url: str, export: list[str]) -> None:
    apps = [make_app(db_url), make_app(db_url)]
    logs = [check_log(app, export) for app in apps]
    start = threading.Barrier(2)
    results: list[bool] = []

    def insert(i: int) -> None:
        start.wait()
        results.append(apps[i].recorder.insert_into_empty(logs[i].events, logs[i].claims))

    threads = [threading.Thread(target=insert, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for app in apps:
        app.close()
    assert sorted(results) == [False, True]
    assert count_events(db_url) == len(logs[0].events)
    print(f"\ntwo imports at once: {results.count(True)} imported, {results.count(False)} refused")


def test_an_export_taken_while_others_write_imports(db_url: str, tmp_path: Path) -> None:
    """A backup during office hours: the export is the log as it stood at one moment."""
    import datetime as dt

    from brobyg.domain.application import Brobyg
    from brobyg.engine.clock import Clock
    from brobyg.engine.store import parse_store_url
    from brobyg.simulator.simulate import Simulation

    app = Brobyg(parse_store_url(db_url), Clock(TODAY, simulated=True), "simulator", seed=5)
    Simulation(app, 150, 5, TODAY.replace(year=TODAY.year - 2), TODAY).run()
    app.close()
    writer, stop = make_app(db_url), threading.Event()

    def refer_meanwhile() -> None:
        n = 0
        while not stop.is_set():
            writer.refer(f"Meanwhile {n}", dt.date(2000, 1, 1), "education-ready", on=TODAY)
            n += 1

    thread = threading.Thread(target=refer_meanwhile)
    thread.start()
    try:
        exports = []
        for i in range(3):
            file = tmp_path / f"during-{i}.jsonl"
            assert run_cli(db_url, "export", str(file)).exit_code == 0
            exports.append(file)
    finally:
        stop.set()
        thread.join()
        writer.close()
    for i, file in enumerate(exports):
        imported = run_cli(str(tmp_path / f"restored-{i}.sqlite"), "import", str(file))
        assert imported.exit_code == 0, imported.output
