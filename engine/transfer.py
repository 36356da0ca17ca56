"""Moving a store: the whole event log (every stream, in order, with metadata) and the claims,
as JSON Lines, and back into an empty store.

The first line describes the file; then one line per event, in notification order, with its
stream, version, topic and the exact stored state (JSON text); then one line per claim. The
state is carried byte for byte, so histories are identical after a round trip.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from eventsourcing.persistence import StoredEvent

from brobyg.engine.application import CommandApplication
from brobyg.engine.errors import AlreadyExists, TransferError

FORMAT = "brobyg-event-log"
VERSION = 1


def export_log(app: CommandApplication, out: IO[str], progress: Callable[[int, int], None] = lambda d, t: None) -> int:
    head = app.count_events()
    claims = app.recorder.all_claims()  # type: ignore[attr-defined]
    out.write(json.dumps({"format": FORMAT, "version": VERSION, "events": head, "claims": len(claims)}) + "\n")
    written, start = 0, 1
    while True:
        page = app.recorder.select_notifications(start=start, limit=5_000)
        if not page:
            break
        for n in page:
            line = {
                "stream": str(n.originator_id),
                "version": n.originator_version,
                "topic": n.topic,
                "state": n.state.decode("utf-8"),
            }
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        written += len(page)
        start = page[-1].id + 1
        progress(written, head)
    for key, holder in claims:
        out.write(json.dumps({"claim": key, "holder": holder}) + "\n")
    return written


def _parse(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise TransferError(f"line {number} is not JSON: {e.msg}") from None
        if not isinstance(record, dict):
            raise TransferError(f"line {number} is not a JSON object")
        yield record


def import_log(app: CommandApplication, lines: Iterable[str]) -> int:
    """Load an exported log into an empty store, in one transaction; returns the number of events.

    The file is read and checked whole first, so a malformed or truncated file writes nothing.
    """
    if app.count_events():
        raise AlreadyExists(f"{app.store.display} already holds events; import only into an empty store")
    records = _parse(lines)
    header = next(records, None)
    if not header or header.get("format") != FORMAT or header.get("version") != VERSION:
        raise TransferError(f"not a {FORMAT} file of version {VERSION} (the first line says what the file is)")
    events: list[StoredEvent] = []
    claims: dict[str, str] = {}
    for record in records:
        if "claim" in record:
            claims[str(record["claim"])] = str(record["holder"])
            continue
        try:
            events.append(
                StoredEvent(
                    originator_id=uuid.UUID(record["stream"]),
                    originator_version=int(record["version"]),
                    topic=str(record["topic"]),
                    state=str(record["state"]).encode("utf-8"),
                )
            )
        except (KeyError, ValueError, TypeError) as e:
            raise TransferError(f"event {len(events) + 1} is incomplete: {e}") from None
    if len(events) != header.get("events") or len(claims) != header.get("claims"):
        raise TransferError(
            f"the file announces {header.get('events')} events and {header.get('claims')} claims but holds "
            f"{len(events)} and {len(claims)}: it is incomplete, nothing was imported"
        )
    if events:
        app.recorder.insert_events(events, claims=claims)
    return len(events)
