"""`brobyg projections follow`: live read models on PostgreSQL, a clear no on SQLite."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import uuid
from pathlib import Path

import psycopg
import pytest

from brobyg.engine.store import parse_store_url
from brobyg.projections.readmodels import ReadModels
from tests.helpers import count_events, installed_brobyg, make_app, needs_pg, wait_for
from tests.scenarios import bridging, mentors


def test_following_on_sqlite_says_why_not(tmp_path: Path) -> None:
    mentors(make_app(str(tmp_path / "a.sqlite")))
    result = subprocess.run(
        [installed_brobyg(), "--db", str(tmp_path / "a.sqlite"), "projections", "follow"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "PostgreSQL" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def listening(pg_url: str, application_name: str) -> bool:
    """Whether a connection named `application_name` has finished a LISTEN and waits for notifications."""
    with psycopg.connect(parse_store_url(pg_url).libpq_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND state = 'idle' AND query LIKE 'LISTEN %%'",
            (application_name,),
        ).fetchone()
    return bool(row and row[0])


@needs_pg
def test_following_keeps_read_models_live_and_stops_cleanly(pg_url: str) -> None:
    app = make_app(pg_url)
    mentors(app)  # two events before the follower starts
    name = f"brobyg-follow-{uuid.uuid4().hex[:12]}"  # libpq names the follower's connections after PGAPPNAME
    follower = subprocess.Popen(
        [installed_brobyg(), "--db", pg_url, "projections", "follow"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PGAPPNAME": name},
    )
    watcher = ReadModels(app)  # only reads the tracking positions; never catches up itself

    def subscribed() -> bool:
        assert follower.poll() is None, "the follower exited before it subscribed"
        return listening(pg_url, name)

    try:
        wait_for(subscribed, "the follower to LISTEN for new events")
        assert {s.position for s in watcher.status()} == {2}  # it caught up with what was there first
        bridging(app, person="Live")  # a few events, written elsewhere
        wait_for(lambda: all(s.behind == 0 for s in watcher.status()), "the follower to catch up with the new events")
    finally:
        follower.send_signal(signal.SIGINT)
        _, err = follower.communicate(timeout=30)
    assert follower.returncode == 0, err
    lines = err.splitlines()
    assert lines[0].startswith(f"following {app.store.display}") and lines[-1].startswith("stopped")
    caught_up = [int(n) for n in re.findall(r"^caught up (\d+) events$", err, re.MULTILINE)]
    assert caught_up[0] == 2 and sum(caught_up) == count_events(pg_url) > 2  # every event, once
    assert "Traceback" not in err
    app.close()


@needs_pg
def test_ctrl_c_during_a_catch_up_stops_the_follower_after_it(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(pg_url)
    mentors(app)
    read_models = ReadModels(app)
    catch_up, finished = read_models.catch_up, []

    def interrupted_midway() -> int:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C arrives while the catch-up runs
        finished.append(catch_up())  # which still finishes its work
        return finished[-1]

    monkeypatch.setattr(read_models, "catch_up", interrupted_midway)
    told: list[int] = []
    before = signal.getsignal(signal.SIGINT)  # Python's own; ignored where the tests run in the background
    with pytest.raises(KeyboardInterrupt):
        read_models.follow(told.append)
    assert finished == [2] and all(s.behind == 0 for s in read_models.status())
    assert told == [2]  # the catch-up that Ctrl-C interrupted is still reported ("caught up 2 events")
    assert signal.getsignal(signal.SIGINT) is before  # Ctrl-C as before
    app.close()


@needs_pg
def test_an_event_written_just_after_the_first_catch_up_is_not_left_waiting(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app, elsewhere = make_app(pg_url), make_app(pg_url)
    mentors(app)
    read_models = ReadModels(app)
    catch_up, processed = read_models.catch_up, []
    rescue = threading.Timer(20, lambda: elsewhere.add_mentor("late", "Late Writer", "lab"))  # unblocks a stuck follower

    def and_then_one_more() -> int:
        processed.append(catch_up())
        if len(processed) == 1:
            elsewhere.add_mentor("ida", "Ida Berg", "lab")  # between the first catch-up and the subscription
        else:
            os.kill(os.getpid(), signal.SIGINT)  # stop the follower after this catch-up
        return processed[-1]

    monkeypatch.setattr(read_models, "catch_up", and_then_one_more)
    rescue.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            read_models.follow()
    finally:
        rescue.cancel()
    assert processed == [2, 1]  # the event written in between, without waiting for another
    app.close()
    elsewhere.close()
