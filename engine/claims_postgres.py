"""Claims on PostgreSQL (see `engine.claims`), and writers that do not queue behind each other.

Kept apart so SQLite users never import psycopg. This module holds the SQL; the recorder
methods of eventsourcing it replaces (insert_events, select_events, max_notification_id,
select_notifications) are in `engine.overrides`.

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

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresFactory
from psycopg.sql import SQL, Identifier, Literal

from brobyg.engine.claims import CLAIMS_TABLE
from brobyg.engine.overrides import PostgresFactoryOverrides, PostgresRecorderOverrides

RECORD_FUNCTION = "brobyg_record"
SETTLED_FUNCTION = "brobyg_settled_head"
NOTIFY_FUNCTION = "brobyg_notify"
APPEND_ONLY = "brobyg_append_only"


class PostgresClaimingRecorder(PostgresRecorderOverrides, PostgresApplicationRecorder):
    """The statements behind the overridden entry points in `engine.overrides`, and the claims."""

    record_column = RECORD_FUNCTION

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
            "append_only": Identifier(APPEND_ONLY),
            "append_only_truncate": Identifier(APPEND_ONLY + "_truncate"),
            "lock_timeout": self.datastore.lock_timeout,
            # One advisory lock per events table: writers hold it shared, a reader takes it alone.
            "log_lock": SQL("hashtext('brobyg:log'), hashtext({0})").format(Literal(f"{schema}.{self.events_table_name}")),
        }
        self.claims_table = SQL("{schema}.{claims}").format(**names)
        self.events_table = SQL("{schema}.{events}").format(**names)
        # Processes starting at once create (or bring up to date) the tables one at a time: the
        # statements run in one transaction, and replacing a trigger locks the events table.
        self.sql_create_statements.insert(
            0, SQL("SELECT pg_advisory_xact_lock(hashtext('brobyg:create'), hashtext({0}))").format(Literal(schema))
        )
        self.sql_create_statements += [
            SQL("CREATE TABLE IF NOT EXISTS {schema}.{claims} (key text PRIMARY KEY, holder text NOT NULL)").format(**names),
            # The log is append-only, for its owner too: changing or deleting a stored event needs
            # the maintenance switch (SET brobyg.maintenance = 'on'), set on purpose in a session.
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{append_only}() RETURNS trigger LANGUAGE plpgsql AS $body$"
                " BEGIN"
                "  IF current_setting('brobyg.maintenance', true) = 'on' THEN RETURN COALESCE(NEW, OLD); END IF;"
                "  RAISE EXCEPTION 'stored events are never changed or deleted (% refused)', TG_OP"
                "   USING ERRCODE = 'insufficient_privilege';"
                " END"
                " $body$"
            ).format(**names),
            SQL(
                "CREATE OR REPLACE TRIGGER {append_only} BEFORE UPDATE OR DELETE ON {schema}.{events}"
                " FOR EACH ROW EXECUTE FUNCTION {schema}.{append_only}()"
            ).format(**names),
            SQL(
                "CREATE OR REPLACE TRIGGER {append_only_truncate} BEFORE TRUNCATE ON {schema}.{events}"
                " FOR EACH STATEMENT EXECUTE FUNCTION {schema}.{append_only}()"
            ).format(**names),
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
        self.import_lock = SQL("SET LOCAL lock_timeout = '{lock_timeout}s'; SELECT pg_advisory_xact_lock({log_lock})").format(
            **names
        )
        self.any_event = SQL("SELECT 1 FROM {schema}.{events} LIMIT 1").format(**names)
        self.record_all = SQL("SELECT * FROM {schema}.{record}(%s, %s, %s, %s, %s, %s)").format(**names)
        self.notify_all = SQL("SELECT {schema}.{notify}()").format(**names)

    def save_parameters(self, stored_events: Sequence[StoredEvent], claims: Mapping[str, str]) -> tuple[Any, ...]:
        """The arguments of the record function, as arrays (`engine.overrides` sends them)."""
        return (
            list(claims),
            list(claims.values()),
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        )

    def insert_into_empty(self, stored_events: Sequence[StoredEvent], claims: Mapping[str, str]) -> bool:
        """Insert events and claims if the store holds no events: the log's lock taken alone (as a
        reader of the settled head does) holds every writer and every other import out while
        this one checks and inserts. False, and nothing written, if the store holds events."""
        with self.datastore.get_connection() as conn:
            with conn.transaction(), conn.cursor() as curs:
                curs.execute(self.import_lock)
                curs.execute(self.any_event)
                if curs.fetchone():
                    return False
                curs.execute(self.record_all, self.save_parameters(stored_events, claims))
            conn.execute(self.notify_all)
        return True

    def holder(self, key: str) -> str | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(SQL("SELECT holder FROM {0} WHERE key = %s").format(self.claims_table), (key,))
            row = curs.fetchone()
            return row["holder"] if row else None

    def holders(self, keys: Sequence[str]) -> dict[str, str]:
        """The holders of those of `keys` that are claimed."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(SQL("SELECT key, holder FROM {0} WHERE key = ANY(%s)").format(self.claims_table), (list(keys),))
            return {row["key"]: row["holder"] for row in curs.fetchall()}

    def held_by(self, holder: str, prefix: str) -> list[str]:
        """The keys starting with `prefix` that `holder` holds."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL("SELECT key FROM {0} WHERE holder = %s AND left(key, %s) = %s").format(self.claims_table),
                (holder, len(prefix), prefix),
            )
            return [row["key"] for row in curs.fetchall()]

    def release(self, keys: Sequence[str]) -> None:
        """Delete claims (an erasure), then vacuum the table. Vacuum makes the dead rows' space
        reusable; their bytes stay in the table's pages until overwritten, and in any WAL
        archive or base backup taken meanwhile."""
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            curs.execute(SQL("DELETE FROM {0} WHERE key = ANY(%s)").format(self.claims_table), (list(keys),))
        with self.datastore.get_connection() as conn:
            # The dead rows' space made reusable now rather than whenever autovacuum comes by (a
            # login that does not own the table gets only a warning, and the deletion stands).
            conn.autocommit = True
            try:
                conn.execute(SQL("VACUUM {0}").format(self.claims_table))
            finally:
                conn.autocommit = False

    def all_claims(self) -> list[tuple[str, str]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(SQL("SELECT key, holder FROM {0} ORDER BY key").format(self.claims_table))
            return [(row["key"], row["holder"]) for row in curs.fetchall()]


class LibpqFactory(PostgresFactoryOverrides, PostgresFactory):
    """eventsourcing's PostgreSQL factory with brobyg's connections and table creation
    (`engine.overrides.PostgresFactoryOverrides`)."""
