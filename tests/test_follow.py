"""`brobyg projections follow`: live read models on PostgreSQL, a clear no on SQLite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from brobyg.projections.readmodels import ReadModels
from tests.helpers import make_app, needs_pg
from tests.scenarios import bridging, mentors

BROBYG = str(Path(sys.executable).with_name("brobyg"))


def test_following_on_sqlite_says_why_not(tmp_path: Path) -> None:
    result = subprocess.run(
        [BROBYG, "--db", str(tmp_path / "a.sqlite"), "projections", "follow"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1 and "PostgreSQL" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@needs_pg
def test_following_keeps_read_models_live_and_stops_cleanly(pg_url: str) -> None:
    db_url = pg_url
    app = make_app(db_url)
    mentors(app)
    follower = subprocess.Popen(
        [BROBYG, "--db", db_url, "projections", "follow"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        time.sleep(2)  # let it subscribe
        bridging(app, person="Live")  # a few events, written elsewhere
        watcher = ReadModels(app)
        for _ in range(100):
            if all(s.behind == 0 for s in watcher.tracked.status()):
                break
            time.sleep(0.1)
        assert all(s.behind == 0 for s in watcher.tracked.status()), "the follower did not catch up"
    finally:
        follower.send_signal(signal.SIGINT)
        _, err = follower.communicate(timeout=30)
    assert follower.returncode == 0, err
    assert "stopped" in err and "Traceback" not in err
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
    with pytest.raises(KeyboardInterrupt):
        read_models.follow()
    assert finished == [2] and all(s.behind == 0 for s in read_models.status())
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Ctrl-C as before
    app.close()
