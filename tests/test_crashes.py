"""kill -9 at random moments, while a process writes commands, simulates, or catches up read
models. After each kill the store opens, every aggregate replays, no command is half-visible
(pathways and mentors agree, claims point at pathways), and after catch-up the read models
equal a rebuild."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import pytest

from brobyg.domain.mentor import Mentor
from brobyg.domain.pathway import Pathway
from brobyg.projections.readmodels import ReadModels
from tests.helpers import TODAY, assert_rebuild_changes_nothing, drop_pg_schema, make_app, needs_pg, new_pg_store

ROOT = Path(__file__).resolve().parents[1]


def kill_during(url: str, mode: str, seed: int, rng: random.Random) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.crash_worker", url, mode, str(seed)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert worker.stdout is not None
    ready = worker.stdout.readline()
    assert ready.strip() == "ready", worker.stderr.read() if worker.stderr else ""
    try:
        worker.wait(timeout=rng.uniform(0.05, 0.9))
    except subprocess.TimeoutExpired:
        os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    assert worker.returncode in (-signal.SIGKILL, 0), worker.stderr.read() if worker.stderr else ""


def check(url: str) -> None:
    app = make_app(url)
    streams, start = {}, 1
    while page := app.recorder.select_notifications(start=start, limit=2_000):
        for n in page:
            streams.setdefault(n.originator_id, n.topic)
        start = page[-1].id + 1
    pathways = {}
    mentors = []
    for stream, first_topic in streams.items():
        aggregate = app.repository.get(stream)  # replays; a half-written stream would fail here
        if first_topic == Pathway.Referred.TOPIC:
            pathways[aggregate.case] = aggregate
        elif first_topic == Mentor.Added.TOPIC:
            mentors.append(aggregate)
    for m in mentors:
        assert sorted(m.cases) == sorted(c for c, p in pathways.items() if p.mentor == m.mentor)
    streams_of = {p.id: case for case, p in pathways.items()}
    for key, holder in app.recorder.all_claims():
        if key.startswith("person:"):
            assert holder in pathways
        elif key.startswith("datakey:"):  # a data key is saved with its pathway's first personal field
            assert UUID(hex=key.removeprefix("datakey:")) in streams_of
    read_models = ReadModels(app)
    read_models.catch_up()
    assert_rebuild_changes_nothing(read_models)
    app.close()


def fresh(kind: str, tmp_path: Path, name: str) -> tuple[str, str | None]:
    if kind == "sqlite":
        return str(tmp_path / f"{name}.sqlite"), None
    return new_pg_store()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=needs_pg)])
def test_twenty_kills_lose_nothing_and_show_no_half_command(kind: str, tmp_path: Path) -> None:
    rng = random.Random(7)
    url, schema = fresh(kind, tmp_path, "shared")
    schemas = [schema]
    try:
        app = make_app(url)
        for i in range(4):
            app.add_mentor(f"m{i}", f"M{i}", "lab", capacity=50, on=TODAY)
        app.close()
        kills = 0
        for round_ in range(7):
            kill_during(url, "commands", round_, rng)
            check(url)
            kill_during(url, "catch_up", round_, rng)
            check(url)
            kills += 2
        for round_ in range(6):
            own, own_schema = fresh(kind, tmp_path, f"sim{round_}")
            schemas.append(own_schema)
            kill_during(own, "simulate", round_, rng)
            check(own)
            kills += 1
        assert kills == 20
    finally:
        for s in schemas:
            if s:
                drop_pg_schema(s)
