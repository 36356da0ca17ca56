"""Claims on PostgreSQL (see `engine.claims`): kept apart so SQLite users never import psycopg."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from engine.claims import CLAIMS_TABLE


class PostgresClaimingRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sql_create_statements.append(
            SQL("CREATE TABLE IF NOT EXISTS {0}.{1} (key text PRIMARY KEY, holder text NOT NULL)").format(
                Identifier(self.datastore.schema), Identifier(CLAIMS_TABLE)
            )
        )

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], *, claims: Mapping[str, str] = {}, **kwargs: Any
    ) -> None:
        for key, holder in claims.items():
            curs.execute(
                SQL("INSERT INTO {0}.{1} (key, holder) VALUES (%s, %s)").format(
                    Identifier(self.datastore.schema), Identifier(CLAIMS_TABLE)
                ),
                (key, holder),
            )
        super()._insert_events(curs, stored_events, **kwargs)

    def holder(self, key: str) -> str | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL("SELECT holder FROM {0}.{1} WHERE key = %s").format(
                    Identifier(self.datastore.schema), Identifier(CLAIMS_TABLE)
                ),
                (key,),
            )
            row = curs.fetchone()
            return row["holder"] if row else None

    def all_claims(self) -> list[tuple[str, str]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL("SELECT key, holder FROM {0}.{1} ORDER BY key").format(
                    Identifier(self.datastore.schema), Identifier(CLAIMS_TABLE)
                )
            )
            return [(row["key"], row["holder"]) for row in curs.fetchall()]
