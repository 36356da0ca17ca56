"""The events' JSON read by orjson: the same values as eventsourcing's `json` transcoder gives,
on every stored event of a simulation and on the odd text a poisoned log may hold."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from eventsourcing.persistence import JSONTranscoder, TranscodingNotRegisteredError

from brobyg.domain.application import Brobyg
from brobyg.engine.clock import Clock
from brobyg.engine.store import parse_store_url
from brobyg.engine.transcoder import OrjsonTranscoder
from brobyg.simulator.simulate import Simulation
from tests.helpers import TODAY


def transcoders(app: Brobyg) -> tuple[JSONTranscoder, JSONTranscoder]:
    """The application's own transcoder, and eventsourcing's with the same transcodings."""
    ours = app.mapper.transcoder
    assert isinstance(ours, OrjsonTranscoder)
    theirs = JSONTranscoder()
    app.register_transcodings(theirs)
    return ours, theirs


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[JSONTranscoder, JSONTranscoder]]:
    app = Brobyg(parse_store_url(str(tmp_path / "t.sqlite")), Clock(TODAY, simulated=True))
    try:
        yield transcoders(app)
    finally:
        app.close()


def test_every_stored_event_of_a_simulation_reads_as_json_reads_it(tmp_path: Path) -> None:
    app = Brobyg(parse_store_url(str(tmp_path / "s.sqlite")), Clock(TODAY, simulated=True), "simulator", seed=5)
    try:
        Simulation(app, 120, 5, TODAY.replace(year=TODAY.year - 3), TODAY).run()
        ours, theirs = transcoders(app)
        stored = app.recorder.select_notifications(start=1, limit=1_000_000)
        assert len(stored) > 3000
        kinds = set()
        for event in stored:
            mine, json_s = ours.decode(event.state), theirs.decode(event.state)
            assert mine == json_s and type(mine) is type(json_s)
            assert ours.encode(mine) == event.state  # and the stored bytes are json's
            kinds |= {type(v) for v in mine.values()}
        assert {dt.date, dt.datetime, dict, str, int} <= kinds
    finally:
        app.close()


@pytest.mark.parametrize(
    "text",
    [
        b'{"grade":123456789012345678901234567890}',  # orjson would read a float
        b'{"grade":-99999999999999999999}',
        b'{"days":1.5,"on":{"_type_":"date_iso","_data_":"2026-01-02"}}',
        b'{"a":[{"b":"\\ud800"}]}',  # a lone surrogate: orjson refuses it
        b'{"a":{"_type_":"date_iso"}}',  # not a transcoding's shape: left a dict
        b'{"a":1,"a":{"_type_":"date_iso","_data_":"2026-01-02"}}',  # the last of a repeated key
        b'[{"_type_":"datetime_iso","_data_":"2026-01-02T10:00:00+00:00"},[{"x":null}]]',
    ],
)
def test_odd_text_reads_as_json_reads_it(text: bytes, pair: tuple[JSONTranscoder, JSONTranscoder]) -> None:
    ours, theirs = pair
    mine, json_s = ours.decode(text), theirs.decode(text)
    assert mine == json_s and repr(mine) == repr(json_s)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (b'{"on":{"_type_":"os_system","_data_":"rm"}}', TranscodingNotRegisteredError),
        (b"\xff\xfe", UnicodeDecodeError),
        (b'{"a":', ValueError),
    ],
)
def test_text_json_refuses_is_refused_the_same_way(
    text: bytes, error: type[Exception], pair: tuple[JSONTranscoder, JSONTranscoder]
) -> None:
    ours, theirs = pair
    with pytest.raises(error):
        theirs.decode(text)
    with pytest.raises(error):
        ours.decode(text)


def test_not_a_number_reads_as_json_reads_it() -> None:
    found = OrjsonTranscoder().decode(b'{"a":NaN}')
    assert math.isnan(found["a"])
