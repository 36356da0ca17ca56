"""Claims on PostgreSQL (see `engine.claims`), and writers that do not queue behind each other.

Kept apart so SQLite users never import psycopg.

A reader following the notification log must never pass a gap that is filled later: a
writer that took notification id 10 but has not yet committed while id 11 is visible.
eventsourcing prevents this on the writing side: every save locks the events table until
it commits, so writers commit one by one, each waiting for the previous one's flush to disk
(and, in its recorder, for a round trip to the client while holding the lock). With many
coordinators that is a queue.

Here the guarantee is kept on the reading side instead. Writers insert concurrently (their
commits share disk flushes), each holding an advisory lock on the log *shared* for its whole
transaction. A reader first asks for the *settled* head: it takes that lock alone, which
waits for every save in flight to finish, reads the highest notification id, and lets go at
once. Every id up to that head then belongs to a finished transaction, and ids handed out
later are higher. The reader reads no further than that head. The lock blocks writers only
for that instant. (An advisory lock rather than a SHARE lock on the table: that would also
wait for autovacuum's ANALYZE of the table, which eventsourcing asks for every 1,000 rows.)

A save calls a server-side function (claims, then events) in a transaction of its own. The
function takes its shared lock first, before it may wait on a claim, so that a reader
waiting for the writers can never be part of a deadlock with them.

The follower (`brobyg projections follow`) is woken by NOTIFY, but PostgreSQL serialises the
commits of all notifying transactions (a lock held until the commit is on disk): a NOTIFY in
the save would queue the writers again. So it goes in a second, small transaction that need
not wait for the disk (it carries no data; a lost wake-up is made good by the next one, and a
follower catches up when it starts). Both travel as one message and get one answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import InterfaceError, Notification, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg.pq import TransactionStatus
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier, Literal

from brobyg.engine.claims import CLAIMS_TABLE

RECORD_FUNCTION = "brobyg_record"
SETTLED_FUNCTION = "brobyg_settled_head"
NOTIFY_FUNCTION = "brobyg_notify"
ROLLBACK = SQL("ROLLBACK")


class PostgresClaimingRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        # Open the pool, and wait for its connection, before the first request: a request
        # that finds the pool still opening makes it grow, and it keeps the extra connection
        # (`engine.store` asks for one per process). Once, here: psycopg's pool asserts if
        # two threads wait for it at once, so eventsourcing's own way (wait on every use) won't do.
        datastore.pool.open(wait=True, timeout=datastore.pool.timeout)
        super().__init__(datastore, **kwargs)
        schema = self.datastore.schema
        names = {
            "schema": Identifier(schema),
            "events": Identifier(self.events_table_name),
            "claims": Identifier(CLAIMS_TABLE),
            "id_type": Identifier(self.datastore.originator_id_type),
            "channel": Identifier(self.channel_name),
            "record": Identifier(RECORD_FUNCTION),
            "notify": Identifier(NOTIFY_FUNCTION),
            "settled": Identifier(SETTLED_FUNCTION),
            "lock_timeout": self.datastore.lock_timeout,
            # One advisory lock per events table: writers hold it shared, a reader takes it alone.
            "log_lock": SQL("hashtext('brobyg:log'), hashtext({0})").format(Literal(f"{schema}.{self.events_table_name}")),
        }
        self.claims_table = SQL("{schema}.{claims}").format(**names)
        self.events_table = SQL("{schema}.{events}").format(**names)
        self.sql_create_statements += [
            SQL("CREATE TABLE IF NOT EXISTS {schema}.{claims} (key text PRIMARY KEY, holder text NOT NULL)").format(**names),
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{record}("
                " claim_keys text[], claim_holders text[],"
                " ids {id_type}[], versions bigint[], topics text[], states bytea[])"
                " RETURNS SETOF bigint LANGUAGE plpgsql AS $body$"
                " BEGIN"
                "  SET LOCAL lock_timeout = '{lock_timeout}s';"
                "  PERFORM pg_advisory_xact_lock_shared({log_lock});"  # shared by writers, first
                "  INSERT INTO {schema}.{claims} (key, holder) SELECT * FROM unnest(claim_keys, claim_holders);"
                "  RETURN QUERY INSERT INTO {schema}.{events} (originator_id, originator_version, topic, state)"
                "   SELECT * FROM unnest(ids, versions, topics, states)"
                "   RETURNING notification_id;"
                " END"
                " $body$"
            ).format(**names),
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{notify}() RETURNS void LANGUAGE plpgsql AS $body$"
                " BEGIN"
                "  SET LOCAL synchronous_commit = off;"  # a wake-up call, not data: no need to wait for the disk
                "  NOTIFY {channel};"
                " END"
                " $body$"
            ).format(**names),
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{settled}() RETURNS bigint LANGUAGE plpgsql AS $body$"
                " BEGIN"
                "  SET LOCAL lock_timeout = '{lock_timeout}s';"
                "  PERFORM pg_advisory_xact_lock({log_lock});"  # waits for the writers in flight
                "  RETURN (SELECT max(notification_id) FROM {schema}.{events});"
                " END"
                " $body$"
            ).format(**names),
        ]
        save = "BEGIN; SELECT * FROM {schema}.{record}(%s); COMMIT; SELECT {schema}.{notify}()"
        self.save_and_notify = SQL(save.replace("%s", "%s, %s, %s, %s, %s, %s")).format(**names).as_bytes(None)
        # The commonest save, one event and no claims, with its values as scalars: psycopg
        # binds those in C, lists in Python (70 µs a save; a tenth of a command).
        one = "'{{}}', '{{}}', ARRAY[%s]::{id_type}[], ARRAY[%s]::bigint[], ARRAY[%s]::text[], ARRAY[%s]::bytea[]"
        self.save_one_and_notify = SQL(save.replace("%s", one)).format(**names).as_bytes(None)
        self.select_events_forms: dict[tuple[bool, bool, bool, bool], bytes] = {}
        self.settled_statement = SQL("SELECT {schema}.{settled}() AS head").format(**names)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], *, claims: Mapping[str, str] = {}, **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events and not claims:
            return []
        params: tuple[Any, ...]
        if len(stored_events) == 1 and not claims:
            (e,) = stored_events
            statement, params = self.save_one_and_notify, (e.originator_id, e.originator_version, e.topic, e.state)
        else:
            statement = self.save_and_notify
            params = (
                list(claims),
                list(claims.values()),
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            )
        # One message, one answer: the save in a transaction of its own, then the
        # notification in another (see the module's docstring). The parameters are bound
        # here (psycopg's ClientCursor) so that the four statements travel as one query.
        with self.datastore.get_connection() as conn, psycopg.ClientCursor(conn) as curs:
            try:
                curs.execute(statement, params)
            except psycopg.Error:
                if conn.info.transaction_status == TransactionStatus.INERROR:
                    conn.execute(ROLLBACK)
                raise
            curs.nextset()  # past BEGIN, to the ids
            return [row[RECORD_FUNCTION] for row in curs.fetchall()]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """eventsourcing's, but each form of the statement is composed once, not on every call:
        loading a cached aggregate asks the same question every time (its newer events)."""
        form = (gt is not None, lte is not None, desc, limit is not None)
        if form not in self.select_events_forms:
            statement = SQL("SELECT originator_id, originator_version, topic, state FROM {0} WHERE originator_id = %s")
            statement = statement.format(self.events_table)
            statement += SQL(" AND originator_version > %s") if form[0] else SQL("")
            statement += SQL(" AND originator_version <= %s") if form[1] else SQL("")
            statement += SQL(" ORDER BY originator_version DESC" if desc else " ORDER BY originator_version ASC")
            statement += SQL(" LIMIT %s") if form[3] else SQL("")
            self.select_events_forms[form] = statement.as_bytes(None)
        params = [originator_id, *(value for value in (gt, lte, limit) if value is not None)]
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self.select_events_forms[form], params, prepare=True)
            return [StoredEvent(id, version, topic, bytes(state)) for id, version, topic, state in curs.fetchall()]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def max_notification_id(self) -> int | None:
        """The settled head: the highest id below which no gap can still be filled."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.settled_statement, prepare=True)
            row = curs.fetchone()
            return row["head"] if row else None

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        head = self.max_notification_id()
        if head is None:
            return []
        stop = head if stop is None else min(stop, head)
        return super().select_notifications(start, limit, stop, topics, inclusive_of_start=inclusive_of_start)

    def holder(self, key: str) -> str | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(SQL("SELECT holder FROM {0} WHERE key = %s").format(self.claims_table), (key,))
            row = curs.fetchone()
            return row["holder"] if row else None

    def all_claims(self) -> list[tuple[str, str]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(SQL("SELECT key, holder FROM {0} ORDER BY key").format(self.claims_table))
            return [(row["key"], row["holder"]) for row in curs.fetchall()]
