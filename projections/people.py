"""Who each pathway is about and where it stands, for finding a case: the person reference and
birth date sealed under the person's own key (`engine.personal.PersonalData.seal_for_view`),
never in clear, beside the case id, the current state and since when, and the current mentor.

A search selects its candidates by state and mentor with one query, opens their people (one
query unwraps all their keys) and matches in memory. Sealing is deterministic, so a rebuilt
table equals the incrementally kept one byte for byte; an erasure empties the person's row (the
key is gone anyway), so it reads `[erased]` and no name ever matches it. The current state and
mentor are taken from the fact tables after each page, so whatever the facts say (a voided
transition included) the row says too.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
import uuid
from typing import Any

import sqlalchemy as sa

from brobyg.domain.case_ids import person_spelling
from brobyg.engine.personal import ERASED, PersonalData
from brobyg.engine.read_models import metadata
from brobyg.projections.events import TouchedPathways, aggregates

FIELD = "person"  # the sealed value's field name (bound into its encryption)

people = sa.Table(
    "rm_people",
    metadata,
    sa.Column("stream", sa.String(32), primary_key=True),
    sa.Column("case", sa.String(16), nullable=False, index=True),  # the names beside a list's cases, found by case
    # [person, born] as JSON, sealed; NULL once the person is erased (or had no key to seal with)
    sa.Column("sealed", sa.LargeBinary),
    # The latest transition and mentor change (by event number): the state now, and since when.
    sa.Column("state", sa.String(24), index=True),
    sa.Column("since", sa.Date, index=True),  # indexed: the few with facts after a day asked are found at once
    sa.Column("mentor", sa.String(32), index=True),
    sa.Column("mentor_since", sa.Date, index=True),
)


class People:
    """The read model: one row per pathway, its person sealed, its state and mentor current."""

    name = "people"
    tables = (people,)

    def __init__(self, personal: PersonalData) -> None:
        self.personal = personal
        self.discard()

    def discard(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}  # inserted by this page, by stream
        self.erased: list[str] = []  # rows of earlier pages to empty
        self.touched = TouchedPathways()  # whose state or mentor may have changed

    def handle(self, conn: sa.Connection, event: Any) -> None:
        Pathway = aggregates().pathway
        self.touched.note(event)
        if isinstance(event, Pathway.Referred):
            stream = event.originator_id
            born = event.born.isoformat() if event.born is not None else None
            sealed = None
            if event.person != ERASED:  # read after an erasure: nothing left to seal
                sealed = self.personal.seal_for_view(stream, FIELD, json.dumps([event.person, born], ensure_ascii=False))
            self.rows[stream.hex] = {"stream": stream.hex, "case": event.case, "sealed": sealed}
        elif isinstance(event, Pathway.PersonErased):
            stream = event.originator_id.hex
            if stream in self.rows:
                self.rows[stream]["sealed"] = None
            else:
                self.erased.append(stream)

    def flush(self, conn: sa.Connection) -> None:
        if self.rows:
            conn.execute(people.insert(), list(self.rows.values()))
        if self.erased:
            conn.execute(people.update().where(people.c.stream.in_(self.erased)).values(sealed=None))
        for chunk in self.touched.taken():
            self._current(conn, chunk)
        self.discard()

    @staticmethod
    def _current(conn: sa.Connection, streams: list[str]) -> None:
        """Copy each stream's latest transition and mentor change from the facts (written
        before this model's flush: it comes last)."""
        from brobyg.projections import facts  # facts keeps this model in its list

        rows = {s: {"b_stream": s, "state": None, "since": None, "mentor": None, "mentor_since": None} for s in streams}
        for table, value, date in ((facts.transitions, "state", "since"), (facts.mentor_changes, "mentor", "mentor_since")):
            latest = (
                sa.select(table.c.stream, sa.func.max(table.c.seq).label("seq"))
                .where(table.c.stream.in_(streams))
                .group_by(table.c.stream)
                .subquery()
            )
            column = table.c.state if value == "state" else table.c.mentor
            query = sa.select(table.c.stream, column, table.c.on).join(
                latest, sa.and_(table.c.stream == latest.c.stream, table.c.seq == latest.c.seq)
            )
            for stream, current, on in conn.execute(query):
                rows[stream][value], rows[stream][date] = current, on
        update = people.update().where(people.c.stream == sa.bindparam("b_stream"))
        conn.execute(
            update.values(
                state=sa.bindparam("state"),
                since=sa.bindparam("since"),
                mentor=sa.bindparam("mentor"),
                mentor_since=sa.bindparam("mentor_since"),
            ),
            list(rows.values()),
        )


def folded(text: str) -> str:
    """A reference as searched: the duplicate check's one spelling (`person_spelling`), without
    accents, so `ase oberg` finds `Åse Øberg` (Ø and Æ have no combining accent: spelled o, ae)."""
    if text.isascii():  # the same result, a search over every pathway's name sooner
        return " ".join(text.lower().split())
    spelled = person_spelling(text).translate(_LETTERS)
    return "".join(c for c in unicodedata.normalize("NFKD", spelled) if not unicodedata.combining(c))


# Letters that are their own letters, not a base letter and an accent, folded as people type them.
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "œ": "oe", "ð": "d", "þ": "th"})


def opened(personal: PersonalData, sealed: dict[str, bytes | None]) -> dict[str, tuple[str, dt.date | None]]:
    """The person and birth date of each stream's pathway: `[erased]` and None once erased."""
    ids = {stream: uuid.UUID(hex=stream) for stream in sealed}
    personal.prefetch(ids[s] for s, blob in sealed.items() if blob is not None)  # one query for all their keys
    found: dict[str, tuple[str, dt.date | None]] = {}
    for stream, blob in sealed.items():
        text = personal.open_for_view(ids[stream], FIELD, blob)
        if text == ERASED:
            found[stream] = (ERASED, None)
            continue
        person, born = json.loads(text)
        found[stream] = (person, dt.date.fromisoformat(born) if born else None)
    return found
