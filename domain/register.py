"""The person register: which case is active for a person (R1: one active pathway each).

A small lookup kept in the same store, following the notification log like any read
model. It holds a digest of the person reference, not the reference itself.
"""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa

from domain.pathway import Pathway
from engine.views import metadata

person_register = sa.Table(
    "person_register",
    metadata,
    sa.Column("stream", sa.String(32), primary_key=True),
    sa.Column("case", sa.String(16), nullable=False),
    sa.Column("person_digest", sa.String(64), nullable=False, index=True),
    sa.Column("active", sa.Boolean, nullable=False),
)

_ENDINGS = (Pathway.Qualified, Pathway.Employed, Pathway.DroppedOut, Pathway.Withdrew)


def person_digest(person: str) -> str:
    normalised = " ".join(person.split()).casefold()
    return hashlib.sha256(normalised.encode()).hexdigest()


class PersonRegister:
    name = "person_register"
    tables = (person_register,)

    def __init__(self) -> None:
        self.discard()

    def discard(self) -> None:
        self.referred: list[dict[str, Any]] = []
        self.active: dict[str, bool] = {}

    def handle(self, conn: sa.Connection, event: Any) -> None:
        stream = event.originator_id.hex
        if isinstance(event, Pathway.Referred):
            self.referred.append(
                {"stream": stream, "case": event.case, "person_digest": person_digest(event.person), "active": True}
            )
        elif isinstance(event, (Pathway.ReReferred, *_ENDINGS)):
            self.active[stream] = isinstance(event, Pathway.ReReferred)

    def flush(self, conn: sa.Connection) -> None:
        if self.referred:
            conn.execute(person_register.insert(), self.referred)
        for active in (True, False):
            streams = [s for s, a in self.active.items() if a is active]
            if streams:
                conn.execute(person_register.update().where(person_register.c.stream.in_(streams)).values(active=active))
        self.discard()


def active_case_of(conn: sa.Connection, person: str) -> str | None:
    row = conn.execute(
        sa.select(person_register.c.case).where(
            person_register.c.person_digest == person_digest(person), person_register.c.active.is_(True)
        )
    ).first()
    return row[0] if row else None
