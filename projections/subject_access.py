"""Everything the store holds about one young person, as one document (GDPR art. 15).

The pathway's events as the application reads them (personal fields opened by the mapper, or
read as erased), the events on mentors' streams that name the case, every read-model row kept
for the pathway's stream (the sealed person opened), and the access log's entries for the case.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from brobyg.domain import queries
from brobyg.domain.application import Brobyg
from brobyg.domain.mentor import Mentor
from brobyg.engine import access_log
from brobyg.projections.people import opened, people
from brobyg.projections.readmodels import ReadModels


def subject_access(app: Brobyg, read_models: ReadModels, case: str) -> dict[str, Any]:
    """The document for `case` (raises `NotFound` for an unknown case)."""
    p = app.pathway(case)
    read_models.catch_up()
    events = [
        {"no": no, "event": e.event, "on": e.on, "recorded_at": e.recorded_at, "actor": e.actor, "login": e.login, **e.fields}
        for no, e in enumerate(queries.history(app, p.case), start=1)  # a stream's versions run from 1, one by one
    ]
    return {
        "case": p.case,
        "written_at": dt.datetime.now(dt.UTC),
        "written_by": app.actor,
        "events": events,
        "mentor_events": _mentor_events(app, p.case, events),
        "read_models": rows_about(read_models, p.id.hex),
        "access_log": [{"at": e.at, "by": e.by, "login": e.login, "command": e.command} for e in access_log.entries(app, p.case)],
    }


def _mentor_events(app: Brobyg, case: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The caseload events naming `case` on the streams of the mentors who held it."""
    held = sorted({e[k] for e in events for k in ("mentor", "from_mentor", "to_mentor") if e.get(k)})
    found = []
    for mentor in held:
        for no, event in enumerate(app.events.get(Mentor.id_for(mentor)), start=1):
            if getattr(event, "case", None) == case:
                found.append(
                    {"mentor": mentor, "no": no, "event": type(event).__name__, "on": event.on, "recorded_at": event.timestamp}
                )
    return found


def rows_about(read_models: ReadModels, stream: str) -> dict[str, list[dict[str, Any]]]:
    """Every read-model row keyed by `stream`, per table, in key order."""
    found: dict[str, list[dict[str, Any]]] = {}
    tables = [t for model in read_models.tracked.models for t in model.tables if "stream" in t.c]
    with read_models.engine.connect() as conn:
        for table in tables:
            query = sa.select(table).where(table.c.stream == stream).order_by(*table.primary_key.columns)
            found[table.name] = [dict(row._mapping) for row in conn.execute(query)]
        if people.name in found:  # held sealed: given as what it holds
            held = opened(read_models.app.personal, {r["stream"]: r["sealed"] for r in found[people.name]})
            found[people.name] = [
                {**{k: v for k, v in r.items() if k != "sealed"}, "person": held[r["stream"]][0], "born": held[r["stream"]][1]}
                for r in found[people.name]
            ]
    return found
