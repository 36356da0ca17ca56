"""Only brobyg's own event types are ever resolved from the log: a forged topic in the store
is refused with one line naming the stream and version, and no module is imported."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

from brobyg.domain.pathway import Pathway
from brobyg.engine.errors import UntrustedEvent
from tests import scenarios
from tests.helpers import make_app, run_cli

STREAM = uuid.UUID("00000000-0000-4000-8000-000000000001")


@pytest.fixture
def trap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """A module on the path that leaves a mark if it is ever imported."""
    name = f"brobyg_trap_{uuid.uuid4().hex[:8]}"
    mark = tmp_path / "imported"
    (tmp_path / f"{name}.py").write_text(f"open({str(mark)!r}, 'w').close()\nclass X: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return name, mark


def store_raw(url: str, stream: uuid.UUID, version: int, topic: str, state: bytes) -> None:
    """Write a stored event past the application, as someone with the database's password could."""
    from eventsourcing.persistence import StoredEvent

    app = make_app(url)
    try:
        app.recorder.insert_events([StoredEvent(stream, version, topic, state)])
    finally:
        app.close()


@pytest.mark.parametrize("command", [["history", "BAAAAAA"], ["caseload", "--json"], ["risk", "--json"]])
def test_a_foreign_topic_in_the_store_is_refused_and_never_imported(
    db_url: str, trap: tuple[str, Path], command: list[str]
) -> None:
    module, mark = trap
    app = make_app(db_url)
    scenarios.mentors(app)
    case = scenarios.referred(app).case
    stream = app.pathway(case).id
    app.close()
    store_raw(db_url, stream, 2, f"{module}:X", b"{}")
    argv = [c if c != "BAAAAAA" else case for c in command]
    result = run_cli(db_url, *argv)
    assert result.exit_code == 1, result.output
    assert result.stderr == f"error: stream {stream} version 2: '{module}:X' is not a brobyg event type\n"
    assert result.stdout == ""
    assert not mark.exists() and module not in sys.modules


def test_a_creation_event_naming_a_foreign_aggregate_is_refused(db_url: str, trap: tuple[str, Path]) -> None:
    module, mark = trap
    app = make_app(db_url)
    scenarios.mentors(app)
    case = scenarios.referred(app).case
    stored = app.recorder.select_events(app.pathway(case).id)[0]
    app.close()
    forged = stored.state.replace(b'"brobyg:Pathway"', f'"{module}:X"'.encode())
    assert forged != stored.state
    store_raw(db_url, STREAM, 1, Pathway.Referred.TOPIC, forged)
    app = make_app(db_url)
    try:
        with pytest.raises(UntrustedEvent, match=f"stream {STREAM} version 1: '{module}:X' is not a brobyg aggregate"):
            app.repository.get(STREAM)
    finally:
        app.close()
    assert not mark.exists() and module not in sys.modules
