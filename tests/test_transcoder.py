"""The events' JSON read and written by orjson: the same values and the same bytes as
eventsourcing's `json` transcoder gives, on every stored event of a simulation, on the odd text a
poisoned log may hold and on any value made of what events could hold."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from hypothesis import example, given, settings
from hypothesis import strategies as st

from brobyg.domain.application import Brobyg
from brobyg.engine.aggregate import DateAsISO
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


# What an event's state could hold, and more: text with control characters and lone surrogates,
# integers past 64 bits, floats, UUIDs, dates and datetimes with and without a zone, tuples, keys
# that are not strings, nested.
_SCALARS = st.one_of(
    st.text(st.characters(codec=None, exclude_categories=())),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(timezones=st.one_of(st.none(), st.timezones())),
    st.uuids(),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers(0, 9)), inner, max_size=4),
    ),
    max_leaves=12,
)


@given(state=st.dictionaries(st.text(max_size=8), _VALUES, max_size=6))
@settings(max_examples=300)
@example({"grade": 2**64})  # past orjson's 64 bits
@example({"reason": "\ud800"})  # a lone surrogate: both refuse it
@example({"days": math.nan, "more": 1e16})  # json writes NaN and 1e+16, orjson null and 1e16
@example({"by": uuid.UUID(int=1)})  # a transcoding's, not orjson's text
@example({"grades": {7: "da"}, "pair": (1, dt.date(2026, 1, 2))})
@example({"at": dt.datetime(2026, 1, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))), "note": '\x00\x1f\x7f\u2028é😀"\\/'})
def test_anything_is_written_as_json_writes_it_or_refused_alike(state: dict[str, object]) -> None:
    ours, theirs = OrjsonTranscoder(), JSONTranscoder()
    for transcoder in (ours, theirs):  # the application's transcodings (eventsourcing's and brobyg's)
        for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
            transcoder.register(transcoding)
    try:
        expected = theirs.encode(state)
    except Exception as e:  # json refuses it (a lone surrogate, a type with no transcoding): so do we
        with pytest.raises(type(e)):
            ours.encode(state)
        return
    assert ours.encode(state) == expected


def test_an_events_state_is_written_by_orjson() -> None:
    """The fast path is taken for what events hold (else the test above would pass on json alone)."""
    from brobyg.engine import transcoder

    state = {"on": dt.date(2026, 1, 2), "timestamp": dt.datetime(2026, 1, 2, 9, tzinfo=dt.UTC), "grades": {"da": 7}}
    assert transcoder._written_alike(state)
    assert not transcoder._written_alike({"days": 1.5}) and not transcoder._written_alike({"id": uuid.uuid4()})


def test_written_bytes_hold_no_more_memory_than_they_need(pair: tuple[JSONTranscoder, JSONTranscoder]) -> None:
    """A batch keeps every event's bytes until it saves them: orjson's own output would hold its
    whole write buffer (about 4 KB) for an event of a few hundred bytes."""
    import tracemalloc

    ours, _theirs = pair
    state = {"on": dt.date(2026, 1, 2), "actor": "simulator", "mentor": "M1", "channel": "meeting"}
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        written = [ours.encode(state) for _ in range(1000)]
        held = (tracemalloc.get_traced_memory()[0] - before) / len(written)
    finally:
        tracemalloc.stop()
    assert held < 2 * len(written[0]) + 64
