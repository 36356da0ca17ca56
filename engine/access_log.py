"""The access log: who was shown whose data, when, and by which command (GDPR art. 15 and 30).

One append-only table in the store itself, written through SQLAlchemy on the same database as
the read models. A row holds a case id, the actor and the login, never a name or any other
personal field, so erasing a person (destroying their key) leaves it as it is and no erasure
ever deletes it. UPDATE and DELETE are refused by triggers: on SQLite against mistakes (whoever
can write the file can drop them), on PostgreSQL for every login, the owner too unless
`brobyg.maintenance` is `on` in that session, as for the events (`engine.claims_postgres`).
On PostgreSQL the admin, coordinator and mentor roles (`engine.access`) may INSERT rows; only
an admin may read them.

A command that shows a person's data appends its entries before it shows anything; if they
cannot be written it raises `AccessNotLogged` and shows nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from brobyg.engine.errors import AccessNotLogged
from brobyg.engine.text import Text

if TYPE_CHECKING:
    import sqlalchemy as sa

TABLE = "brobyg_access_log"
APPEND_ONLY = "brobyg_access_log_append_only"
REFUSAL = "the access log is never changed or deleted"
# The triggers that keep it append-only on SQLite (PostgreSQL has one for each and one for TRUNCATE).
SQLITE_TRIGGERS = (f"{APPEND_ONLY}_update", f"{APPEND_ONLY}_delete")


@functools.cache
def _table() -> sa.Table:
    """The table, on its own metadata (the read models' tables are granted UPDATE and DELETE, this
    one never); made on first use, so that a command writing its entry through sqlite3 (`append`)
    need not import SQLAlchemy."""
    import sqlalchemy as sa

    return sa.Table(
        TABLE,
        sa.MetaData(),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),  # the real time, in UTC
        sa.Column("by", sa.Text, nullable=False),  # the actor: the login, or whom an admin acted for
        sa.Column("login", sa.Text, nullable=False),  # the account that was shown the data
        sa.Column("case_id", sa.String(16), nullable=False, index=True),
        sa.Column("command", sa.String(64), nullable=False),
        # No RETURNING of the new id: a login that may only INSERT could not read it back.
        implicit_returning=False,
    )


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    by: str
    login: str
    case: str
    command: str


@dataclass(frozen=True)
class Showing:
    """One command's showing: its entries differ only by case, in case order."""

    at: dt.datetime
    by: str
    login: str
    command: str
    cases: list[str]

    def rows(self) -> list[dict[str, Any]]:
        """One row per case, as the table's insert takes them."""
        shared = {"at": self.at, "by": self.by, "login": self.login, "command": self.command}
        return [{**shared, "case_id": case} for case in self.cases]


_ready: weakref.WeakSet[sa.Engine] = weakref.WeakSet()  # engines whose store has the table and its triggers


def append(app: Any, command: str, cases: Iterable[str]) -> None:
    """Record that `command` shows the data of each of `cases` to the app's actor, now, in one
    transaction; raises `AccessNotLogged` if it cannot (the caller then shows nothing)."""
    # In case order: a list's thousands of entries then go into the case index page by page
    # (a third less time than in the list's order, with 14,000 entries into 900,000).
    showing = Showing(dt.datetime.now(dt.UTC), app.actor, app.login, command, sorted(set(cases)))
    if not showing.cases:
        return
    # On SQLite the entries are written through sqlite3 itself, as SQLAlchemy would write them: a
    # command that has read nothing through SQLAlchemy (`history`, `next`: the application's events
    # only) need not import it (about a third of such a command's time), and a list's thousands of
    # entries go in one statement (`_appended_through_sqlite3`).
    if app.store.is_sqlite and _appended_through_sqlite3(app, showing):
        return
    import sqlalchemy as sa

    try:
        _prepare(app)
        with app.sql_engine.connect() as conn:
            _insert_durably(conn, None if app.store.is_sqlite else f"{_q(_schema(app))}.{TABLE}", showing)
    except sa.exc.SQLAlchemyError as e:
        reason = " ".join((str(getattr(e, "orig", None) or e).strip().splitlines() or [type(e).__name__])[0].split())
        raise AccessNotLogged(
            Text("the access log could not be written ({reason}), so nothing is shown", reason=reason)
        ) from None


def _appended_through_sqlite3(app: Any, showing: Showing) -> bool:
    """`append`'s rows in one transaction, on disk when it returns (synchronous=FULL), through a
    sqlite3 connection of its own; False (nothing written) where the table or its triggers are
    missing, which `append` then makes through SQLAlchemy (`create`)."""
    import sqlite3

    wanted = {TABLE, *SQLITE_TRIGGERS}
    # Seen by the reader's first query (`engine.reader`) or made by this process: not looked for again.
    known = getattr(app, "access_log_found", False) or ("sql_engine" in vars(app) and app.sql_engine in _ready)
    # `at` as SQLAlchemy writes a DateTime on SQLite (and reads it back: `entries`).
    at, by, login, command, cases = (
        f"{showing.at:%Y-%m-%d %H:%M:%S.%f}",
        showing.by,
        showing.login,
        showing.command,
        showing.cases,
    )
    try:
        conn = sqlite3.connect(
            app.store.eventsourcing_env["SQLITE_DBNAME"], timeout=app.store.connect_args.get("timeout", 30), isolation_level=None
        )
        try:
            query = "SELECT name FROM sqlite_master WHERE name = ? OR (type = 'trigger' AND tbl_name = ?)"
            if not known and not wanted <= {row[0] for row in conn.execute(query, (TABLE, TABLE))}:
                return False
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("BEGIN")
            try:
                if sqlite3.sqlite_version_info >= (3, 38):  # all of them from a JSON array, in SQLite's C
                    conn.execute(
                        f'INSERT INTO {TABLE} (at, "by", login, case_id, command) SELECT ?, ?, ?, value, ? FROM json_each(?)',
                        (at, by, login, command, json.dumps(cases)),
                    )
                else:
                    values = [(at, by, login, case, command) for case in cases]
                    conn.executemany(f'INSERT INTO {TABLE} (at, "by", login, case_id, command) VALUES (?, ?, ?, ?, ?)', values)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        finally:
            conn.close()
    except sqlite3.Error as e:
        reason = " ".join((str(e).strip().splitlines() or [type(e).__name__])[0].split())
        raise AccessNotLogged(
            Text("the access log could not be written ({reason}), so nothing is shown", reason=reason)
        ) from None
    return True


def _insert_durably(conn: sa.Connection, postgres_table: str | None, showing: Showing) -> None:
    """Insert in one transaction that is on disk when it returns: the read models' SQLite
    connections do not wait for the disk (they can be rebuilt), an entry must survive a power cut.
    On PostgreSQL (`postgres_table`, schema-qualified) in one statement from an array of the
    cases, in their order: 6,209 entries in 0.02 s against 0.06 s of SQLAlchemy's executemany,
    which holds the interpreter while a list opens its names beside it (`cli.access_log`)."""
    if postgres_table is not None:
        import sqlalchemy as sa

        statement = sa.text(
            f'INSERT INTO {postgres_table} (at, "by", login, case_id, command)'
            " SELECT :at, :by, :login, unnest(CAST(:cases AS text[])), :command"
        )
        parameters = {"at": showing.at, "by": showing.by, "login": showing.login, "command": showing.command}
        with conn.begin():
            conn.execute(statement, parameters | {"cases": showing.cases})
        return
    conn.exec_driver_sql("PRAGMA synchronous=FULL")
    conn.commit()
    try:
        with conn.begin():
            conn.execute(_table().insert(), showing.rows())
    finally:
        conn.rollback()  # whatever the failure left open, so that the connection can be set back
        conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
        conn.commit()


def entries(app: Any, case: str) -> list[Entry]:
    """Every entry for `case`, oldest first (none where the store has no access log yet)."""
    import sqlalchemy as sa

    if not _exists(app):
        return []
    access_log = _table()
    query = sa.select(access_log).where(access_log.c.case_id == case).order_by(access_log.c.id)
    with app.sql_engine.connect() as conn:
        return [Entry(_utc(r.at), r.by, r.login, r.case_id, r.command) for r in conn.execute(query)]


def create(app: Any) -> None:
    """Create the table and its triggers where missing, and give the store's roles their
    privileges on it (on PostgreSQL, as the store's owner: `engine.access.set_up` calls this)."""

    engine = app.sql_engine
    with engine.begin() as conn:
        if app.store.is_sqlite:
            _table().create(conn, checkfirst=True)
            for op in ("UPDATE", "DELETE"):
                conn.exec_driver_sql(
                    f"CREATE TRIGGER IF NOT EXISTS {APPEND_ONLY}_{op.lower()} BEFORE {op} ON {TABLE}"
                    f" BEGIN SELECT RAISE(ABORT, '{REFUSAL} ({op} refused)'); END"
                )
        else:
            _create_postgres(conn, app)
    _ready.add(engine)


def _create_postgres(conn: sa.Connection, app: Any) -> None:
    import sqlalchemy as sa

    from brobyg.engine.access import role_name

    schema = _schema(app)
    s, table, function = _q(schema), f"{_q(schema)}.{TABLE}", f"{_q(schema)}.{APPEND_ONLY}"
    # One creator at a time per schema, as for the events' tables (`engine.claims_postgres`).
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('brobyg:create'), hashtext(:schema))"), {"schema": schema})
    _table().create(conn, checkfirst=True)
    conn.exec_driver_sql(  # through psycopg's placeholders: %% is plpgsql's %
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $body$"
        " BEGIN"
        "  IF current_setting('brobyg.maintenance', true) = 'on' THEN RETURN COALESCE(NEW, OLD); END IF;"
        f"  RAISE EXCEPTION '{REFUSAL} (%% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';"
        " END"
        " $body$"
    )
    conn.exec_driver_sql(
        f"CREATE OR REPLACE TRIGGER {APPEND_ONLY} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()"
    )
    conn.exec_driver_sql(
        f"CREATE OR REPLACE TRIGGER {APPEND_ONLY}_truncate BEFORE TRUNCATE ON {table}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
    )
    conn.exec_driver_sql(f"REVOKE ALL ON {table} FROM PUBLIC")
    sequence = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar()  # the ids'
    for role in ("admin", "coordinator", "mentor", "analyst"):
        name = role_name(app, role)
        if conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name}).first() is None:
            continue  # roles not set up on this store (yet): `brobyg access grant` calls this again
        conn.exec_driver_sql(f"REVOKE ALL ON {table} FROM {_q(name)}")
        if role != "analyst":  # an analyst is never shown a person's data
            conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {s} TO {_q(name)}")
            conn.exec_driver_sql(f"GRANT {'SELECT, INSERT' if role == 'admin' else 'INSERT'} ON {table} TO {_q(name)}")
            conn.exec_driver_sql(f"GRANT USAGE ON SEQUENCE {sequence} TO {_q(name)}")  # an INSERT takes the next id


def _prepare(app: Any) -> None:
    """Create the access log on first use in a store; on PostgreSQL only its owner can. A reader
    (`engine.reader`) has seen whether it is there in the query that checked the store."""
    import sqlalchemy as sa

    if app.sql_engine in _ready:
        return
    if getattr(app, "access_log_found", False):
        _ready.add(app.sql_engine)
        return
    if not _exists(app, with_triggers=True):
        try:
            create(app)
        except sa.exc.ProgrammingError as e:
            if getattr(e.orig, "sqlstate", None) != "42501":  # PostgreSQL's insufficient_privilege: not the owner
                raise
            raise AccessNotLogged(
                Text(
                    "the store has no access log yet and the login {login} may not create it (its owner does, with "
                    "brobyg access grant or any reading command), so nothing is shown",
                    login=app.login,
                )
            ) from None
    _ready.add(app.sql_engine)


def _exists(app: Any, with_triggers: bool = False) -> bool:
    import sqlalchemy as sa

    with app.sql_engine.connect() as conn:
        if app.store.is_sqlite:
            found = conn.execute(
                sa.text("SELECT name FROM sqlite_master WHERE name = :t OR (type = 'trigger' AND tbl_name = :t)"), {"t": TABLE}
            ).scalars()
            return {TABLE, *(SQLITE_TRIGGERS if with_triggers else ())} <= set(found)
        # The catalog, which a login sees without any privilege on the table.
        table = f"{_q(_schema(app))}.{TABLE}"
        if conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": table}).scalar() is None:
            return False
        if not with_triggers:
            return True
        triggers = conn.execute(
            sa.text("SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(:t) AND tgname LIKE :name"),
            {"t": table, "name": f"{APPEND_ONLY}%"},
        ).scalar()
        return triggers == 2


def _schema(app: Any) -> str:
    return app.store.schema or "public"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _utc(at: dt.datetime) -> dt.datetime:
    """SQLite keeps no time zone (the times are written in UTC); PostgreSQL answers in the session's."""
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
