"""Who each pathway is about, for finding a case by name: the person reference and birth date,
sealed under the person's own key (`engine.personal.PersonalData.seal_for_view`), never in clear.

A search opens the candidates' rows (one query unwraps all their keys) and matches in memory.
Sealing is deterministic, so a rebuilt table equals the incrementally kept one byte for byte;
an erasure empties the person's row (the key is gone anyway), so it reads `[erased]` and no name
ever matches it.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from brobyg.domain.case_ids import person_spelling
from brobyg.domain.pathway import Pathway
from brobyg.engine.personal import ERASED, PersonalData
from brobyg.engine.read_models import metadata

FIELD = "person"  # the sealed value's field name (bound into its encryption)

people = sa.Table(
    "rm_people",
    metadata,
    sa.Column("stream", sa.String(32), primary_key=True),
    # [person, born] as JSON, sealed; NULL once the person is erased (or had no key to seal with)
    sa.Column("sealed", sa.LargeBinary),
)


class People:
    """The read model: one row per pathway, its person sealed."""

    name = "people"
    tables = (people,)

    def __init__(self, personal: PersonalData) -> None:
        self.personal = personal
        self.discard()

    def discard(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}  # inserted by this page, by stream
        self.erased: list[str] = []  # rows of earlier pages to empty

    def handle(self, conn: sa.Connection, event: Any) -> None:
        if isinstance(event, Pathway.Referred):
            stream = event.originator_id
            born = event.born.isoformat() if event.born is not None else None
            sealed = None
            if event.person != ERASED:  # read after an erasure: nothing left to seal
                sealed = self.personal.seal_for_view(stream, FIELD, json.dumps([event.person, born], ensure_ascii=False))
            self.rows[stream.hex] = {"stream": stream.hex, "sealed": sealed}
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
        self.discard()


def folded(text: str) -> str:
    """A reference as searched: the duplicate check's one spelling (`person_spelling`), without
    accents, so `ase oberg` finds `Åse Øberg` (Ø and Æ have no combining accent: spelled o, ae)."""
    spelled = person_spelling(text).translate(_LETTERS)
    return "".join(c for c in unicodedata.normalize("NFKD", spelled) if not unicodedata.combining(c))


# Letters that are their own letters, not a base letter and an accent, folded as people type them.
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "œ": "oe", "ð": "d", "þ": "th"})


def opened(conn: sa.Connection, personal: PersonalData, streams: Iterable[str]) -> dict[str, tuple[str, dt.date | None]]:
    """The person and birth date of each stream's pathway: `[erased]` and None once erased."""
    wanted = list(streams)
    sealed: dict[str, bytes | None] = {}
    for start in range(0, len(wanted), 500):  # bounded IN lists on both databases
        chunk = wanted[start : start + 500]
        sealed.update(conn.execute(sa.select(people.c.stream, people.c.sealed).where(people.c.stream.in_(chunk))).all())
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
