"""Every place brobyg replaces part of eventsourcing, in one module, so an upgrade of the
library has one place to look (and `tests/test_overrides.py` notices one).

Written against eventsourcing 9.5.6 (`WRITTEN_AGAINST`). Each override below names the
library function it replaces and why:

- `ApplicationOverrides.save` replaces `eventsourcing.application:Application.save`: the same
  steps, without `ProcessingEvent.collect_events` checking every aggregate against two runtime
  protocols on the way in (41 µs a save; every one of ours is an aggregate).
- `ApplicationOverrides.construct_env` replaces `eventsourcing.application:Application.construct_env`:
  only the settings passed in, never the process environment, which would otherwise let any
  variable (e.g. BROBYG_SQLITE_DBNAME) redirect or change persistence.
- `replay` replaces `eventsourcing.application:project_aggregate` (given to `Repository.get` as
  `projector_func`): without its per-event `isinstance` check against a runtime protocol, which
  cost a third of a command's time (all our events are `mutate`-able).
- `SQLiteRecorderOverrides._insert_events` extends `eventsourcing.sqlite:SQLiteApplicationRecorder._insert_events`:
  a save's claims are inserted in the events' transaction (see `engine.claims`).
- `PostgresRecorderOverrides.insert_events` replaces `eventsourcing.postgres:PostgresApplicationRecorder.insert_events`:
  claims and events through one server-side function under a *shared* advisory lock instead of
  the library's exclusive table lock, and the NOTIFY in a second transaction, sent as one
  message (see `engine.claims_postgres` for why).
- `PostgresRecorderOverrides.select_events` replaces `eventsourcing.postgres:PostgresAggregateRecorder.select_events`:
  each form of the statement is composed once, not on every call (loading a remembered
  aggregate asks the same question every time: its newer events).
- `PostgresRecorderOverrides.max_notification_id` replaces `eventsourcing.postgres:PostgresApplicationRecorder.max_notification_id`:
  the *settled* head, below which no gap can still be filled by a writer in flight.
- `PostgresFactoryOverrides.env_create_table` extends `eventsourcing.postgres:PostgresFactory.env_create_table`:
  tables and functions are created or replaced only by the events table's owner (or where there
  are none), so that another login may use the store; `PostgresFactoryOverrides.__init__` extends
  `eventsourcing.postgres:PostgresFactory.__init__`, changing its pool's connection arguments.
- `PostgresRecorderOverrides.select_notifications` wraps `eventsourcing.postgres:PostgresApplicationRecorder.select_notifications`:
  never reads past the settled head.

`RELIED_ON` lists the library internals these overrides call or extend without replacing.

The recorder overrides are mixins, placed before the library's recorder in a subclass's bases:
the subclass (`engine.claims`, `engine.claims_postgres`) supplies the SQL, these supply the
library's entry points. psycopg is imported only inside the PostgreSQL methods, so a SQLite
user never imports it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.persistence import InterfaceError, Notification, OperationalError, Recording, StoredEvent
from eventsourcing.sqlite import SQLiteCursor
from eventsourcing.utils import Environment, EnvType, retry

WRITTEN_AGAINST = "9.5.6"


@dataclass(frozen=True)
class Override:
    """A library attribute brobyg replaces: where it is (``module:qualname``), its signature in
    `WRITTEN_AGAINST` (as `inspect.signature` shows it), ours, and why."""

    replaces: str
    signature: str
    ours: str
    why: str


@dataclass(frozen=True)
class Reliance:
    """A library internal an override calls or extends: where it is and its signature."""

    target: str
    signature: str
    why: str


OVERRIDES: tuple[Override, ...] = (
    Override(
        "eventsourcing.application:Application.save",
        "(self, *objs: 'MutableOrImmutableAggregate[TAggregateID] | DomainEventProtocol[TAggregateID] | None', "
        "**kwargs: 'Any') -> 'list[Recording[TAggregateID]]'",
        "ApplicationOverrides.save",
        "no runtime-protocol checks on the way in",
    ),
    Override(
        "eventsourcing.application:Application.construct_env",
        "(self, name: 'str', env: 'EnvType | None' = None) -> 'Environment'",
        "ApplicationOverrides.construct_env",
        "the store's settings only, not the process environment",
    ),
    Override(
        "eventsourcing.application:project_aggregate",
        "(aggregate: 'TMutableOrImmutableAggregate | None', domain_events: 'Iterable[DomainEventProtocol[Any]]') "
        "-> 'TMutableOrImmutableAggregate | None'",
        "replay",
        "no per-event runtime-protocol check",
    ),
    Override(
        "eventsourcing.sqlite:SQLiteApplicationRecorder._insert_events",
        "(self, c: 'SQLiteCursor', stored_events: 'Sequence[StoredEvent]', **_: 'Any') -> 'Sequence[int] | None'",
        "SQLiteRecorderOverrides._insert_events",
        "claims in the events' transaction",
    ),
    Override(
        "eventsourcing.postgres:PostgresApplicationRecorder.insert_events",
        "(self, stored_events: 'Sequence[StoredEvent]', **kwargs: 'Any') -> 'Sequence[int] | None'",
        "PostgresRecorderOverrides.insert_events",
        "writers share the log instead of queueing on a table lock; claims in the same transaction",
    ),
    Override(
        "eventsourcing.postgres:PostgresAggregateRecorder.select_events",
        "(self, originator_id: 'UUID | str', *, gt: 'int | None' = None, lte: 'int | None' = None, "
        "desc: 'bool' = False, limit: 'int | None' = None) -> 'Sequence[StoredEvent]'",
        "PostgresRecorderOverrides.select_events",
        "statements composed once per form and prepared",
    ),
    Override(
        "eventsourcing.postgres:PostgresApplicationRecorder.max_notification_id",
        "(self) -> 'int | None'",
        "PostgresRecorderOverrides.max_notification_id",
        "the settled head: no gap below it can still be filled",
    ),
    Override(
        "eventsourcing.postgres:PostgresFactory.env_create_table",
        "(self) -> 'bool'",
        "PostgresFactoryOverrides.env_create_table",
        "only the owner creates or replaces tables and functions",
    ),
    Override(
        "eventsourcing.postgres:PostgresApplicationRecorder.select_notifications",
        "(self, start: 'int | None', limit: 'int', stop: 'int | None' = None, topics: 'Sequence[str]' = (), *, "
        "inclusive_of_start: 'bool' = True) -> 'Sequence[Notification]'",
        "PostgresRecorderOverrides.select_notifications",
        "never past the settled head",
    ),
)

RELIED_ON: tuple[Reliance, ...] = (
    Reliance(
        "eventsourcing.postgres:PostgresRecorder._create_table",
        "(self, curs: 'Cursor[DictRow]') -> 'None'",
        "runs the create statements in order in one transaction: the first, brobyg's, takes a lock",
    ),
    Reliance(
        "eventsourcing.postgres:PostgresFactory.__init__",
        "(self, env: 'Environment | EnvType | None')",
        "builds the datastore whose pool's kwargs PostgresFactoryOverrides changes before it opens",
    ),
    Reliance(
        "eventsourcing.persistence:Mapper.to_domain_event",
        "(self, stored_event: 'StoredEvent') -> 'DomainEventProtocol[TAggregateID]'",
        "`engine.event_types.ClosedMapper` checks the topic before calling it",
    ),
    Reliance(
        "eventsourcing.application:Application.construct_mapper",
        "(self) -> 'Mapper[TAggregateID]'",
        "extended to return the closed mapper",
    ),
    Reliance(
        "eventsourcing.application:Application._record",
        "(self, processing_event: 'ProcessingEvent[TAggregateID]') -> 'list[Recording[TAggregateID]]'",
        "called by our save",
    ),
    Reliance(
        "eventsourcing.application:Application._take_snapshots",
        "(self, processing_event: 'ProcessingEvent[TAggregateID]') -> 'None'",
        "called by our save",
    ),
    Reliance(
        "eventsourcing.application:Application._notify",
        "(self, recordings: 'list[Recording[TAggregateID]]') -> 'None'",
        "called by our save",
    ),
    Reliance(
        "eventsourcing.application:Application.notify",
        "(self, new_events: 'list[DomainEventProtocol[TAggregateID]]') -> 'None'",
        "called by our save (deprecated in the library, which still calls it)",
    ),
    Reliance(
        "eventsourcing.application:ProcessingEvent.__init__",
        "(self, tracking: 'Tracking | None' = None)",
        "our save fills its events, aggregates and saved_kwargs",
    ),
    Reliance(
        "eventsourcing.application:Repository.get",
        "(self, aggregate_id: 'TAggregateID', *, version: 'int | None' = None, "
        "projector_func: 'ProjectorFunction[TMutableOrImmutableAggregate, TDomainEvent]' = <function project_aggregate>, "
        "fastforward_skipping: 'bool' = False, deepcopy_from_cache: 'bool' = True) -> 'TMutableOrImmutableAggregate'",
        "given `replay` as projector_func",
    ),
    Reliance(
        "eventsourcing.application:LRUCache.get",
        "(self, key: 'S', *, evict: 'bool' = False) -> 'T'",
        "the repository's cache is what a process remembers (`engine.memory`)",
    ),
    Reliance(
        "eventsourcing.application:LRUCache.put",
        "(self, key: 'S', value: 'T | None') -> 'Any | None'",
        "the repository's cache is what a process remembers (`engine.memory`)",
    ),
    Reliance(
        "eventsourcing.sqlite:SQLiteApplicationRecorder.construct_create_table_statements",
        "(self) -> 'list[str]'",
        "extended with the claims table",
    ),
    Reliance(
        "eventsourcing.sqlite:SQLiteDatastore.transaction",
        "(self, *, commit: 'bool') -> 'Iterator[SQLiteCursor]'",
        "the claims queries",
    ),
    Reliance(
        "eventsourcing.postgres:PostgresApplicationRecorder.__init__",
        "(self, datastore: 'PostgresDatastore', *, events_table_name: 'str' = 'stored_events')",
        "its sql_create_statements are extended with the claims table and our functions",
    ),
    Reliance(
        "eventsourcing.postgres:PostgresDatastore.get_connection",
        "(self) -> 'Iterator[Connection[DictRow]]'",
        "every PostgreSQL override's connection (rows as dicts)",
    ),
)


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """`project_aggregate` without its per-event `isinstance` check (see the module's docstring)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class ApplicationOverrides(Application):
    """eventsourcing's `Application` with the overrides above; `CommandApplication` builds on it."""

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        return Environment(name, dict(env or {}))

    def save(self, *aggregates: Any, **kwargs: Any) -> list[Recording[Any]]:
        processing_event: ProcessingEvent[Any] = ProcessingEvent()
        for aggregate in aggregates:
            processing_event.events.extend(aggregate.collect_events())
            processing_event.aggregates[aggregate.id] = aggregate
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # eventsourcing's deprecated hook, kept as it calls it
        return recordings


class SQLiteRecorderOverrides:
    """Before `SQLiteApplicationRecorder` in the bases; the subclass supplies `insert_claims`."""

    def insert_claims(self, c: SQLiteCursor, claims: Mapping[str, str]) -> None:
        raise NotImplementedError

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], *, claims: Mapping[str, str] = {}, **kwargs: Any
    ) -> Sequence[int] | None:
        self.insert_claims(c, claims)
        return super()._insert_events(c, stored_events, **kwargs)  # type: ignore[misc]


class PostgresRecorderOverrides:
    """Before `PostgresApplicationRecorder` in the bases. The subclass supplies the statements:
    `save_and_notify` and `save_one_and_notify` (their first result set the new notification
    ids, in a column named `record_column`), `save_parameters`, `events_table` and
    `settled_statement`."""

    datastore: Any
    events_table: Any  # psycopg.sql.Composable: the schema-qualified events table
    settled_statement: Any  # one row, column "head": the settled head
    save_and_notify: bytes
    save_one_and_notify: bytes
    record_column: str
    select_events_forms: dict[tuple[bool, bool, bool, bool], bytes]

    def save_parameters(self, stored_events: Sequence[StoredEvent], claims: Mapping[str, str]) -> tuple[Any, ...]:
        raise NotImplementedError

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], *, claims: Mapping[str, str] = {}, **kwargs: Any
    ) -> Sequence[int] | None:
        import psycopg
        from psycopg.pq import TransactionStatus

        if not stored_events and not claims:
            return []
        params: tuple[Any, ...]
        if len(stored_events) == 1 and not claims:
            (e,) = stored_events
            statement, params = self.save_one_and_notify, (e.originator_id, e.originator_version, e.topic, e.state)
        else:
            statement, params = self.save_and_notify, self.save_parameters(stored_events, claims)
        # One message, one answer: the save in a transaction of its own, then the
        # notification in another (see `engine.claims_postgres`). The parameters are bound
        # here (psycopg's ClientCursor) so that the four statements travel as one query.
        with self.datastore.get_connection() as conn, psycopg.ClientCursor(conn) as curs:
            try:
                curs.execute(statement, params)
            except psycopg.Error:
                if conn.info.transaction_status == TransactionStatus.INERROR:
                    conn.execute(b"ROLLBACK")
                raise
            curs.nextset()  # past BEGIN, to the ids
            return [row[self.record_column] for row in curs.fetchall()]

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
        from psycopg.rows import tuple_row
        from psycopg.sql import SQL

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
        return super().select_notifications(start, limit, stop, topics, inclusive_of_start=inclusive_of_start)  # type: ignore[misc]


class PostgresFactoryOverrides:
    """Before `PostgresFactory` in the bases (`engine.claims_postgres.LibpqFactory`)."""

    env: Any
    datastore: Any

    def __init__(self, env: Any) -> None:
        # eventsourcing always passes a host, user and password to libpq: what the URL did not
        # name is taken out again (libpq then finds it its usual way: PGPASSWORD, ~/.pgpass, a
        # service file), and the URL's libpq options are added (`engine.store`).
        super().__init__(env)  # type: ignore[call-arg]
        given = json.loads(self.env.get("LIBPQ_OPTIONS") or "{}")
        kwargs = self.datastore.pool.kwargs
        assert isinstance(kwargs, dict)
        for name in given.get("leave", ()):
            kwargs.pop(name, None)
        kwargs.update(given.get("set", {}))

    def env_create_table(self) -> bool:
        """Create (or bring up to date) the tables and functions only as the events table's
        owner, or where there is none yet: another login (a coordinator's) may use them but
        not replace them."""
        if not super().env_create_table():  # type: ignore[misc]
            return False
        events = f'"{self.datastore.schema}"."{self.env.name.lower()}_events"'
        with self.datastore.get_connection() as conn:
            row = conn.execute(
                "SELECT c.relowner = (SELECT oid FROM pg_roles WHERE rolname = session_user) AS owns"
                " FROM pg_class c WHERE c.oid = to_regclass(%s)",
                (events,),
            ).fetchone()
        return row is None or bool(row["owns"])
