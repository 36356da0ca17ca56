"""On PostgreSQL writers do not wait for each other; a reader of the notification log waits
for a slower writer instead of passing the gap it will fill (see `engine.claims_postgres`).
(SQLite has one writer at a time, so it has no such gap.)"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from typing import Any

import psycopg
import pytest

from brobyg.engine.store import parse_store_url
from tests.helpers import make_app, needs_pg
from tests.scenarios import mentors

pytestmark = needs_pg


def connect(url: str) -> psycopg.Connection[Any]:
    """A plain connection to the store, beside the application (a slower writer, a vacuum)."""
    return psycopg.connect(parse_store_url(url).libpq_url)


def test_writers_pass_each_other_and_a_reader_waits_for_the_slower_one(pg_url: str) -> None:
    app = make_app(pg_url)
    slow = connect(pg_url)
    try:
        mentors(app)
        first = app.recorder.select_notifications(start=1, limit=1)[0]
        # A slower writer takes the next notification id and is not done yet: it saves a copy
        # of the first mentor's creation under a new stream, through the same function.
        slow.execute(f'SET search_path TO "{parse_store_url(pg_url).schema}"')
        gap = slow.execute(
            "SELECT * FROM brobyg_record(%s, %s, %s, %s, %s, %s)",
            ([], [], [uuid.uuid4()], [first.originator_version], [first.topic], [first.state]),
        ).fetchone()[0]

        writer = threading.Thread(target=lambda: app.add_mentor("late", "Late Mentor", "lab", capacity=5, on=app.clock.today()))
        writer.start()
        writer.join(5)
        assert not writer.is_alive(), "a writer must not queue behind another writer's open transaction"

        read: dict[str, Sequence[Any]] = {}
        reader = threading.Thread(target=lambda: read.update(page=app.recorder.select_notifications(start=1, limit=1000)))
        reader.start()
        reader.join(0.5)
        assert reader.is_alive(), "a reader must wait for the slower writer, not read past its gap"
        slow.commit()
        reader.join(10)
        ids = [n.id for n in read["page"]]
        assert gap in ids and ids == sorted(ids) and ids[-1] > gap  # nothing passed over, nothing out of order
        assert app.count_events() == len(ids)
    finally:
        slow.rollback()  # lets a queued writer or reader finish if an assertion failed
        slow.close()
        app.close()


def test_lost_races_leave_the_connection_clean(pg_url: str) -> None:
    """A save that fails inside its one-message transaction (a stream saved first by someone
    else, a claim already held) rolls back, and the next saves on that connection work,
    also when the very first save of a fresh connection is the one that fails."""
    from eventsourcing.persistence import IntegrityError, StoredEvent

    first_app = make_app(pg_url)
    first = StoredEvent(uuid.uuid4(), 1, "topic", b"{}")
    first_app.recorder.insert_events([first], claims={"key": "a"})
    try:
        for _ in range(3):
            late = make_app(pg_url)  # a fresh connection whose first save loses
            try:
                for _ in range(8):  # past psycopg's threshold for preparing a statement
                    with pytest.raises(IntegrityError):
                        late.recorder.insert_events([first])
                    with pytest.raises(IntegrityError):
                        late.recorder.insert_events([StoredEvent(uuid.uuid4(), 1, "topic", b"{}")], claims={"key": "a"})
                    late.recorder.insert_events([StoredEvent(uuid.uuid4(), 1, "topic", b"{}")])
            finally:
                late.close()
        assert len(first_app.recorder.select_notifications(start=1, limit=100)) == 1 + 3 * 8
        assert first_app.recorder.all_claims() == [("key", "a")]
    finally:
        first_app.close()


def test_a_reader_does_not_wait_for_autovacuum(pg_url: str) -> None:
    """ANALYZE (which eventsourcing asks autovacuum to run every 1,000 rows) holds SHARE UPDATE
    EXCLUSIVE on the events table; reading the log must not queue behind it."""
    app = make_app(pg_url)
    analyzing = connect(pg_url)
    try:
        mentors(app)
        analyzing.execute(f'LOCK TABLE "{parse_store_url(pg_url).schema}".brobyg_events IN SHARE UPDATE EXCLUSIVE MODE')
        read: dict[str, Sequence[Any]] = {}
        reader = threading.Thread(target=lambda: read.update(page=app.recorder.select_notifications(start=1, limit=1000)))
        reader.start()
        reader.join(5)
        assert not reader.is_alive(), "reading the log waited for a vacuum-level lock"
        assert len(read["page"]) == app.count_events() > 0
    finally:
        analyzing.rollback()
        analyzing.close()
        app.close()
