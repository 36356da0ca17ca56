"""What a reading command reads through while the read models are caught up: the store, its
SQLAlchemy engine, the personal data's keys, the clock and who reads, without building the
event-sourced application (importing it and its event classes' machinery, and on PostgreSQL
opening its pool and bringing its tables and functions up to date, costs a reading command a
large part of its time).

Anything else asked of it (loading an aggregate, catching the read models up from the log) is
asked of the application, built then (`build`); it shares the reader's personal data, whose
claims the reader then reads through it.

On PostgreSQL the reader reads through one connection: whether the store has everything the
application makes (one catalog query, which also names the login), the role the login holds
(`engine.access`: the command line refuses an analyst and `--as` without admin, as with the
application), the settled head (`engine.claims_postgres`) and the claims.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from brobyg.engine import access_log
from brobyg.engine.access import ACCESS_TABLE, Grant
from brobyg.engine.clock import Clock
from brobyg.engine.identity import os_login
from brobyg.engine.master_key import load_master_key
from brobyg.engine.personal import PersonalData
from brobyg.engine.store import Store

# The SQLite tables and triggers the application makes when it opens a store (eventsourcing's
# events table, `engine.claims`' table and `engine.overrides`' append-only triggers) and the read
# models' tracking table: a store without all of them is opened by the application, which makes them.
EVENTS, CLAIMS, TRACKING = "stored_events", "claims", "view_tracking"
MADE_BY_THE_APPLICATION = (EVENTS, CLAIMS, "brobyg_append_only_update", "brobyg_append_only_delete", TRACKING)
SIMULATED = "store:simulated"  # `engine.application.SIMULATED`'s key

# On PostgreSQL (`engine.claims_postgres`): the functions and the events table's triggers the
# application makes beside its tables; `tests/test_reader.py` checks the names against it. And
# the access log with its triggers (`engine.access_log`): where it is missing, the application
# reads, so that the owner's first reading command creates it as before (creating it asks the
# application for the store's roles).
SETTLED_FUNCTION = "brobyg_settled_head"
PG_FUNCTIONS = ("brobyg_record", "brobyg_notify", SETTLED_FUNCTION, "brobyg_append_only")
PG_TRIGGERS = ("brobyg_append_only", "brobyg_append_only_truncate")
ACCESS_LOG = access_log.TABLE
ACCESS_LOG_TRIGGERS = (access_log.APPEND_ONLY, f"{access_log.APPEND_ONLY}_truncate")


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Reader:
    """A store read through its read models; `build` gives the application when needed.

    `events_table` names the events table on PostgreSQL (the application's name for it)."""

    def __init__(self, store: Store, clock: Clock, actor: str, build: Callable[[], Any], events_table: str = "") -> None:
        assert store.is_sqlite or events_table, "on PostgreSQL the events table is named by the application"
        self.store = store
        self.clock = clock
        self.actor = actor
        self._build = build
        self._app: Any = None
        self._events_table = events_table
        self._login: str | None = None  # asked once (on PostgreSQL by `ready`)
        self.access_log_found = False  # the access log and its triggers, seen by `ready` (`engine.access_log`)
        self._roles_readable: bool | None = None  # whether the login may read the roles' table (`grant_of`), seen by `ready`
        self.personal = PersonalData(self._claims_held, lambda create: load_master_key(create=create))

    @cached_property
    def sql_engine(self) -> Any:
        return self.store.sqlalchemy_engine()

    @property
    def schema(self) -> str:
        """The PostgreSQL schema the store's tables are in (eventsourcing's default: public)."""
        return self.store.schema or "public"

    def _in_schema(self, name: str) -> str:
        return f"{quoted(self.schema)}.{quoted(name)}"

    @property
    def login(self) -> str:
        if self._login is None and self.store.is_sqlite:
            self._login = os_login()  # `engine.identity.login_of` on SQLite
        if self._login is None:
            import sqlalchemy as sa

            with self.sql_engine.connect() as conn:
                self._login = str(conn.execute(sa.text("SELECT session_user")).scalar())
        return self._login

    @property
    def app(self) -> Any:
        """The application, built on first use."""
        if self._app is None:
            self._app = self._build()
        return self._app

    def adopt(self, app: Any) -> None:
        """The application built for this command (with this reader's personal data)."""
        self._app = app

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.app, name)

    def _claims_held(self, keys: Sequence[str]) -> dict[str, str]:
        if self._app is not None:
            return self._app.recorder.holders(keys)  # type: ignore[no-any-return]
        import sqlalchemy as sa

        from brobyg.engine.rows import one_of

        claims = sa.table(CLAIMS, sa.column("key"), sa.column("holder"), schema=None if self.store.is_sqlite else self.schema)
        found: dict[str, str] = {}
        with self.sql_engine.connect() as conn:
            for wanted in one_of(conn, claims.c.key, list(keys)):  # a list's thousands of data keys: one parameter
                found.update((row[0], row[1]) for row in conn.execute(sa.select(claims.c.key, claims.c.holder).where(wanted)))
        return found

    def ready(self) -> bool:
        """Whether the store holds every table, function and trigger the application would make."""
        import sqlalchemy as sa

        if not self.store.is_sqlite:
            return self._ready_postgres()
        # The access log and its triggers in the same query: where they are there, the first entry
        # a command writes need not look for them again (`engine.access_log`).
        log = (ACCESS_LOG, *access_log.SQLITE_TRIGGERS)
        names = sa.text("SELECT name, tbl_name FROM sqlite_master WHERE name IN :names")
        with self.sql_engine.connect() as conn:
            query = names.bindparams(sa.bindparam("names", [*MADE_BY_THE_APPLICATION, *log], expanding=True))
            found = {name: table for name, table in conn.execute(query)}
        ready = set(MADE_BY_THE_APPLICATION) <= set(found)
        self.access_log_found = ready and all(found.get(name) == ACCESS_LOG for name in log)
        return ready

    def _ready_postgres(self) -> bool:
        """One query of the catalog (which a login sees without privileges), and the login."""
        import sqlalchemy as sa

        query = sa.text(
            "SELECT session_user AS login,"
            " to_regclass(:events) IS NOT NULL AND to_regclass(:claims) IS NOT NULL"
            "  AND to_regclass(:tracking) IS NOT NULL AS tables,"
            " (SELECT count(DISTINCT proname) FROM pg_proc"
            "  WHERE pronamespace = to_regnamespace(:schema) AND proname IN :functions) AS functions,"
            " (SELECT count(DISTINCT tgname) FROM pg_trigger"
            "  WHERE tgrelid = to_regclass(:events) AND tgname IN :triggers) AS triggers,"
            " (SELECT count(DISTINCT tgname) FROM pg_trigger"
            "  WHERE tgrelid = to_regclass(:access_log) AND tgname IN :access_log_triggers) AS access_log,"
            # `grant_of`'s first question, asked here with the others
            " to_regclass(:roles) IS NOT NULL AND has_table_privilege(to_regclass(:roles), 'SELECT') AS roles_readable"
        ).bindparams(*(sa.bindparam(name, expanding=True) for name in ("functions", "triggers", "access_log_triggers")))
        with self.sql_engine.connect() as conn:
            row = conn.execute(
                query,
                {
                    "events": self._in_schema(self._events_table),
                    "claims": self._in_schema(CLAIMS),
                    "tracking": self._in_schema(TRACKING),
                    "schema": quoted(self.schema),
                    "functions": list(PG_FUNCTIONS),
                    "triggers": list(PG_TRIGGERS),
                    "access_log": self._in_schema(ACCESS_LOG),
                    "access_log_triggers": list(ACCESS_LOG_TRIGGERS),
                    "roles": self._in_schema(ACCESS_TABLE),
                },
            ).one()
        self._login = str(row.login)
        self._roles_readable = bool(row.roles_readable)
        ready = (
            bool(row.tables)
            and row.functions == len(PG_FUNCTIONS)
            and row.triggers == len(PG_TRIGGERS)
            and row.access_log == len(ACCESS_LOG_TRIGGERS)
        )
        self.access_log_found = ready  # its triggers are on its table: it is there
        return ready

    def log_head(self) -> int:
        """The notification log's last id: eventsourcing's SQLite recorder numbers by rowid; on
        PostgreSQL the settled head, below which no writer in flight can still fill a gap."""
        import sqlalchemy as sa

        query = f"SELECT max(rowid) FROM {EVENTS}" if self.store.is_sqlite else f"SELECT {self._in_schema(SETTLED_FUNCTION)}()"
        with self.sql_engine.connect() as conn:
            return int(conn.execute(sa.text(query)).scalar() or 0)

    def is_simulated(self) -> bool:
        return self._claims_held([SIMULATED]).get(SIMULATED) is not None

    # --- who reads, on PostgreSQL (as `engine.access` and `engine.identity` ask the application) ---

    def role_name(self, role: str) -> str:
        """`engine.access.role_name`: the store's own group role."""
        store = f"{self.store.eventsourcing_env['POSTGRES_DBNAME']}/{self.schema}"
        return f"brobyg_{hashlib.sha256(store.encode()).hexdigest()[:10]}_{role}"

    def grant_of(self, login: str) -> Grant | None:
        """`engine.access.grant_of`: the role `login` holds here (None also where roles are not set up)."""
        import sqlalchemy as sa

        table = self._in_schema(ACCESS_TABLE)
        if self._roles_readable is False:  # roles not set up, or a login with no brobyg role (`ready` asked)
            return None
        with self.sql_engine.connect() as conn:
            if self._roles_readable is None:
                readable = conn.execute(
                    sa.text("SELECT to_regclass(:t) IS NOT NULL AND has_table_privilege(to_regclass(:t), 'SELECT')"), {"t": table}
                ).scalar()
                if not readable:  # roles not set up, or a login with no brobyg role
                    return None
            query = sa.text(f"SELECT login, role, mentor FROM {table} WHERE login = :login")
            row = conn.execute(query, {"login": login}).first()
        return Grant(row.login, row.role, row.mentor) if row is not None else None

    def is_admin(self) -> bool:
        """`engine.identity.is_admin`: whether the login may act for others."""
        import sqlalchemy as sa

        query = sa.text(
            "SELECT r.rolsuper"
            " OR EXISTS (SELECT 1 FROM pg_roles a WHERE a.rolname = :admins AND pg_has_role(session_user, a.oid, 'MEMBER'))"
            " OR EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = to_regclass(:events) AND c.relowner = r.oid) AS admin"
            " FROM pg_roles r WHERE r.rolname = session_user"
        )
        with self.sql_engine.connect() as conn:
            row = conn.execute(query, {"admins": self.role_name("admin"), "events": self._in_schema(self._events_table)}).first()
        return bool(row and row.admin)
