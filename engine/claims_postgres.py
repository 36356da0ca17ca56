"""Claims on PostgreSQL (see `engine.claims`), and a save in one round trip.

Kept apart so SQLite users never import psycopg.

eventsourcing's recorder locks the events table for every save, so that notification ids
are committed in the order they are issued (a reader following the log never passes a gap
that is filled later). It takes the lock, inserts, then waits for the client to fetch the
ids and send COMMIT: the lock is held across a round trip to a Python process, which on a
busy machine may wait for a core. With many writers that wait becomes a queue. Here the
whole save (claims, lock, notify, insert, commit) is one statement calling a server-side
function on an autocommit connection, so the lock is held only while PostgreSQL works.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

from engine.claims import CLAIMS_TABLE

RECORD_FUNCTION = "brobyg_record"


class PostgresClaimingRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schema = Identifier(self.datastore.schema)
        self.sql_create_statements.append(
            SQL("CREATE TABLE IF NOT EXISTS {0}.{1} (key text PRIMARY KEY, holder text NOT NULL)").format(
                schema, Identifier(CLAIMS_TABLE)
            )
        )
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}("
                " claim_keys text[], claim_holders text[],"
                " ids {id_type}[], versions bigint[], topics text[], states bytea[])"
                " RETURNS SETOF bigint LANGUAGE plpgsql AS $body$"
                " BEGIN"
                "  SET LOCAL lock_timeout = '{lock_timeout}s';"
                "  INSERT INTO {schema}.{claims} (key, holder) SELECT * FROM unnest(claim_keys, claim_holders);"
                "  LOCK TABLE {schema}.{events} IN EXCLUSIVE MODE;"  # last, so it is held briefly
                "  NOTIFY {channel};"
                "  RETURN QUERY INSERT INTO {schema}.{events} (originator_id, originator_version, topic, state)"
                "   SELECT * FROM unnest(ids, versions, topics, states)"
                "   RETURNING notification_id;"
                " END"
                " $body$"
            ).format(
                schema=schema,
                function=Identifier(RECORD_FUNCTION),
                id_type=Identifier(self.datastore.originator_id_type),
                lock_timeout=self.datastore.lock_timeout,
                claims=Identifier(CLAIMS_TABLE),
                events=Identifier(self.events_table_name),
                channel=Identifier(self.channel_name),
            )
        )
        self.record_statement = SQL("SELECT * FROM {0}.{1}(%s, %s, %s, %s, %s, %s)").format(schema, Identifier(RECORD_FUNCTION))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], *, claims: Mapping[str, str] = {}, **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events and not claims:
            return []
        params = (
            list(claims),
            list(claims.values()),
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        )
        # One statement on an autocommit connection: it commits, or fails, as a whole.
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.record_statement, params, prepare=True)
            return [row[RECORD_FUNCTION] for row in curs.fetchall()]

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
