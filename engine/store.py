"""The store, chosen by one URL.

A plain path or ``sqlite:///path`` runs embedded on SQLite; ``postgresql://…`` runs on
PostgreSQL for shared installs (``?schema=NAME`` keeps several programmes, or test
runs, apart in one database; ``?host=/var/run/postgresql`` reaches a server on the same
machine through its Unix socket, as libpq's URLs do). URLs are read and written by
SQLAlchemy's `make_url` and `URL`, and shown without the password. Events go through
eventsourcing's own recorders; read models use SQLAlchemy on the same database.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from brobyg.engine.errors import StoreUrlError
from brobyg.engine.private_files import create_private_file, made_private
from brobyg.engine.text import N_, Text

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


# libpq connection options a database URL may carry through to the server connection.
LIBPQ_OPTIONS = frozenset(
    {
        "application_name",
        "channel_binding",
        "connect_timeout",
        "gssencmode",
        "keepalives",
        "keepalives_idle",
        "passfile",
        "service",
        "sslcert",
        "sslcrl",
        "sslkey",
        "sslmode",
        "sslrootcert",
        "target_session_attrs",
    }
)


def with_schema(url: str, schema: str) -> str:
    """A PostgreSQL store URL with ``?schema=`` added (after any ``?host=`` it has)."""
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


@dataclass(frozen=True)
class Store:
    kind: str  # "sqlite" or "postgresql"
    eventsourcing_env: dict[str, str]
    sqlalchemy_url: str
    schema: str | None = None
    display: str = ""
    connect_args: dict[str, Any] = field(default_factory=dict)
    libpq_text: str = ""

    @property
    def is_sqlite(self) -> bool:
        return self.kind == "sqlite"

    @property
    def libpq_url(self) -> str:
        """The PostgreSQL URL for psycopg or libpq themselves, with the libpq options."""
        return self.libpq_text

    def sqlalchemy_engine(self) -> Any:
        import sqlalchemy as sa

        if self.is_sqlite:
            engine = sa.create_engine(self.sqlalchemy_url, connect_args=self.connect_args)

            @sa.event.listens_for(engine, "connect")
            def _pragmas(dbapi_connection: Any, _: Any) -> None:
                # Read models can always be rebuilt from the log, and WAL keeps every commit
                # atomic, so they need not wait for the disk on every page.
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.close()
        else:
            engine = sa.create_engine(
                self.sqlalchemy_url,
                connect_args=self.connect_args,
                pool_pre_ping=True,
                execution_options={"schema_translate_map": {None: self.schema}} if self.schema else {},
            )
        return engine

    def exists(self, events_table: str) -> bool:
        """Whether a store is there: the SQLite file, or on PostgreSQL the events table (named
        `events_table`) in the store's schema. Reading must not create one by mistake."""
        if self.is_sqlite:
            return Path(self.eventsourcing_env["SQLITE_DBNAME"]).exists()
        import sqlalchemy as sa

        engine = sa.create_engine(self.sqlalchemy_url, connect_args=self.connect_args)
        try:
            with engine.connect() as conn:
                # The catalog, not information_schema: that shows only tables the login may use.
                found = conn.execute(
                    sa.text("SELECT to_regclass(:table) IS NOT NULL"),
                    {"table": f'"{self.schema or "public"}"."{events_table}"'},
                ).scalar()
        finally:
            engine.dispose()
        return bool(found)

    def schema_exists(self) -> bool:
        if self.is_sqlite or not self.schema:
            return True
        import sqlalchemy as sa

        engine = sa.create_engine(self.sqlalchemy_url, connect_args=self.connect_args)
        try:
            with engine.connect() as conn:
                query = sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :schema")
                return conn.execute(query, {"schema": self.schema}).first() is not None
        finally:
            engine.dispose()

    def discard(self, events_table: str, drop_schema: bool) -> bool:
        """Remove a store this process has just created, if it still holds no event: checked
        under the store's write lock, so that a store another process has written to at the
        same moment is kept. On SQLite the tables are dropped before the file is removed (a
        writer that opened it meanwhile then fails rather than writing into a removed file); on
        PostgreSQL the schema is dropped only if `drop_schema` (this process made it). Returns
        whether it was removed."""
        if self.is_sqlite:
            return self._discard_sqlite()
        if not drop_schema or not self.schema:
            return False
        import sqlalchemy as sa

        schema = f'"{self.schema}"'
        engine = sa.create_engine(self.sqlalchemy_url, connect_args=self.connect_args)
        try:
            with engine.begin() as conn:
                # The locks writers and table creators take (engine.claims_postgres), taken alone.
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(hashtext('brobyg:create'), hashtext(:schema))"),
                    {"schema": self.schema},
                )
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(hashtext('brobyg:log'), hashtext(:events))"),
                    {"events": f"{self.schema}.{events_table}"},
                )
                table = conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": f'{schema}."{events_table}"'}).scalar()
                if table is not None and conn.execute(sa.text(f'SELECT 1 FROM {schema}."{events_table}" LIMIT 1')).first():
                    return False
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        finally:
            engine.dispose()
        return True

    def _discard_sqlite(self) -> bool:
        import sqlite3

        path = self.eventsourcing_env["SQLITE_DBNAME"]
        conn = sqlite3.connect(path, timeout=self.connect_args.get("timeout", 30), isolation_level=None)
        try:
            conn.execute("BEGIN EXCLUSIVE")
            tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            if "stored_events" in tables and conn.execute("SELECT 1 FROM stored_events LIMIT 1").fetchone():
                conn.execute("ROLLBACK")
                return False
            for table in tables:
                conn.execute(f'DROP TABLE IF EXISTS "{table}"')
            conn.execute("COMMIT")
        finally:
            conn.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(path + suffix).unlink(missing_ok=True)
        return True

    def prepare(self) -> None:
        """Make sure the place the events go exists (directory or schema); on SQLite, that the
        file is private (`keep_private`; the command line shows what it says)."""
        if self.is_sqlite:
            folder = Path(self.eventsourcing_env["SQLITE_DBNAME"]).parent
            if not folder.is_dir():
                raise StoreUrlError(Text("the folder {folder} does not exist", folder=folder))
            self.keep_private()
            return
        if self.schema:
            import sqlalchemy as sa

            engine = sa.create_engine(self.sqlalchemy_url, connect_args=self.connect_args)
            try:
                with engine.begin() as conn:
                    # Looked for first: a login that may use the schema may not be allowed to create one.
                    query = sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :schema")
                    if conn.execute(query, {"schema": self.schema}).first() is None:
                        # Made one at a time: two processes' CREATE SCHEMA IF NOT EXISTS can collide.
                        conn.execute(
                            sa.text("SELECT pg_advisory_xact_lock(hashtext('brobyg:create'), hashtext(:schema))"),
                            {"schema": self.schema},
                        )
                        conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
            finally:
                engine.dispose()

    def keep_private(self) -> str | None:
        """A new SQLite file is created 0600 before SQLite opens it; SQLite gives the -wal and
        -shm files it makes the main file's permissions, so they are 0600 too.

        An existing file open to other accounts (an older brobyg made it 0644, in a folder
        anyone could list) is made private, it and its -wal, -shm and -journal files, and the
        person is told once, by the command that did it. That, rather than only a warning, is
        what a data-protection officer asks for: a warning repeated on every command is soon
        read past while the personal data stay readable, a ``chmod`` is undone in a second and a
        leak never is, and brobyg's way to share a store is PostgreSQL and its roles, not a
        file's mode. A file brobyg cannot change (not its owner, a read-only disk) is used as it
        is, and every command says so. A file that is no SQLite database is not touched (SQLite
        refuses it). Returns that sentence, if there is one to say."""
        path = Path(self.eventsourcing_env["SQLITE_DBNAME"])
        try:
            create_private_file(path)
            return None
        except FileExistsError:
            pass  # a store that is there already: made private below, if it is one
        if not _is_sqlite_file(path):
            return None
        told = made_private(path)
        for suffix in ("-wal", "-shm", "-journal"):
            made_private(Path(f"{path}{suffix}"))  # SQLite gives them the main file's mode: its sentence speaks for them
        return told


def _is_sqlite_file(path: Path) -> bool:
    """An SQLite database (by its header), or an empty file SQLite makes one of."""
    try:
        with path.open("rb") as file:
            return file.read(len(SQLITE_HEADER)) in (b"", SQLITE_HEADER)
    except OSError:  # not ours to read: SQLite will say what is wrong
        return False


def parse_store_url(text: str) -> Store:
    """Turn what the user typed (``--db``) into a `Store`, or raise `StoreUrlError`."""
    text = text.strip()
    if not text:
        raise StoreUrlError(N_("the database URL is empty"))
    if text.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return _postgres(_parsed(text, "PostgreSQL"), text)
    lock_timeout = 30
    if text.startswith("sqlite:///"):
        url = _parsed(text, "SQLite")
        options = {name: _last(value) for name, value in url.query.items() if _last(value)}  # blank values are no option
        if set(options) - {"lock_timeout"}:
            raise StoreUrlError(N_("the only SQLite URL option is lock_timeout=SECONDS"))
        try:
            lock_timeout = int(options.get("lock_timeout", "30"))
        except ValueError:
            raise StoreUrlError(N_("lock_timeout is a whole number of seconds")) from None
        path = url.database or ""
    elif "://" in text:
        scheme = text.split("://", 1)[0]
        raise StoreUrlError(
            Text("unsupported database '{scheme}': use a file path, sqlite:///PATH or postgresql://…", scheme=scheme)
        )
    else:
        path = text
    if not path or path == ":memory:":
        raise StoreUrlError(N_("give a file path for SQLite (an in-memory database would forget everything)"))
    resolved = Path(path).expanduser().resolve()
    if resolved.is_dir():
        raise StoreUrlError(Text("{path} is a directory, not a database file", path=resolved))
    return Store(
        kind="sqlite",
        eventsourcing_env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "APPLICATION_RECORDER_TOPIC": "brobyg.engine.claims:SQLiteClaimingRecorder",
            "SQLITE_DBNAME": str(resolved),
            "SQLITE_LOCK_TIMEOUT": str(lock_timeout),  # how long to wait for another writer
        },
        sqlalchemy_url=f"sqlite:///{resolved}",
        display=str(resolved),
        connect_args={"timeout": lock_timeout},
    )


def _parsed(text: str, kind: str) -> URL:
    """SQLAlchemy's reading of a database URL (imported here: `brobyg --help` need not load it)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(text)
    except (ArgumentError, ValueError) as e:
        raise StoreUrlError(Text("bad {kind} URL: {problem}", kind=kind, problem=str(e))) from None


def _last(value: str | tuple[str, ...]) -> str:
    return value[-1] if isinstance(value, tuple) else value


def _postgres(url: URL, text: str) -> Store:
    from sqlalchemy.engine import URL

    port = url.port or 5432
    dbname = url.database or ""
    if not dbname:
        raise StoreUrlError(N_("the PostgreSQL URL names no database (postgresql://user@host:5432/DBNAME)"))
    # SQLAlchemy drops options given no value; here ``?host=`` is a mistake to point out.
    given: dict[str, list[str]] = {
        name: list(value) if isinstance(value, tuple) else [value] for name, value in url.query.items()
    }
    for name, value in parse_qsl(text.partition("?")[2], keep_blank_values=True):
        if not value:
            given.setdefault(name, []).append(value)
    unknown = set(given) - {"schema", "host"} - LIBPQ_OPTIONS
    if unknown:
        raise StoreUrlError(
            Text(
                "unknown database URL option(s): {unknown} (schema=, host=, and libpq's {known})",
                unknown=sorted(unknown),
                known=sorted(LIBPQ_OPTIONS),
            )
        )
    for option, values in given.items():
        if len(values) > 1:
            raise StoreUrlError(Text("the database URL gives {option}= more than once", option=option))
    query = {name: values[0] for name, values in given.items()}
    schema = query.get("schema")
    if schema is not None and not _SCHEMA.match(schema):
        raise StoreUrlError(Text("bad schema name {schema!r}: lower-case letters, digits and _ only", schema=schema))
    socket_folder = query.get("host")
    if socket_folder is not None:
        # libpq's way to a server on the same machine: its Unix socket, in this folder
        # (cheaper than TCP for every round trip).
        if url.host:
            raise StoreUrlError(N_("the database URL names the host twice (before the database and as ?host=)"))
        if not socket_folder.startswith("/"):
            raise StoreUrlError(
                Text(
                    "?host= takes the folder of the server's socket, e.g. /var/run/postgresql, not {folder!r}",
                    folder=socket_folder,
                )
            )
    libpq = {"fallback_application_name": "brobyg", "connect_timeout": "5"}  # PGAPPNAME or ?application_name= win
    libpq.update({name: value for name, value in query.items() if name in LIBPQ_OPTIONS})
    # What the URL leaves out, libpq finds its usual way (PGHOST, PGUSER, PGPASSWORD, ~/.pgpass,
    # a service file) where the environment names one; otherwise the server on this machine.
    from_libpq = "service" in libpq or "PGSERVICE" in os.environ
    leave_host = not (socket_folder or url.host) and (from_libpq or "PGHOST" in os.environ)
    leave_user = not url.username and (from_libpq or "PGUSER" in os.environ)
    host = socket_folder or url.host or "127.0.0.1"
    user = url.username or "postgres"
    password = url.password or ""
    left = [name for name, leave in (("host", leave_host), ("user", leave_user), ("password", not password)) if leave]
    env = {
        "PERSISTENCE_MODULE": "brobyg.engine.claims_postgres:LibpqFactory",
        "LIBPQ_OPTIONS": json.dumps({"set": libpq, "leave": left}),
        "APPLICATION_RECORDER_TOPIC": "brobyg.engine.claims_postgres:PostgresClaimingRecorder",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(port),
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": password,
        "POSTGRES_CONNECT_TIMEOUT": "5",
        # One connection per process, more only while threads need them at once (the
        # follower's). A command uses one at a time; with more, the pool took turns between
        # server processes, each one colder. PostgreSQL allows 100 connections by default.
        # `engine.claims_postgres` keeps the pool at one.
        "POSTGRES_POOL_SIZE": "1",
        "POSTGRES_MAX_OVERFLOW": "3",
    }
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    options = {"host": socket_folder} if socket_folder else {}
    tcp_host = None if socket_folder or leave_host else host
    sa_user = None if leave_user else user
    where: dict[str, Any] = {"username": sa_user, "password": password or None, "host": tcp_host, "port": port}
    sa_url = URL.create("postgresql+psycopg", **where, database=dbname, query=options)
    libpq_url = URL.create("postgresql", **where, database=dbname, query={**options, **libpq})
    # Shown without the password, and with the options as typed: SQLAlchemy would write the
    # socket folder's slashes as %2F.
    shown = URL.create("postgresql", username=sa_user, host=tcp_host, port=port, database=dbname)
    typed = {name: value for name, value in query.items() if name in LIBPQ_OPTIONS and "password" not in name}
    shown_options = urlencode({**options, **({"schema": schema} if schema else {}), **typed}, safe="/")
    return Store(
        kind="postgresql",
        eventsourcing_env=env,
        sqlalchemy_url=sa_url.render_as_string(hide_password=False),
        schema=schema,
        display=shown.render_as_string(hide_password=True) + (f"?{shown_options}" if shown_options else ""),
        connect_args=dict(libpq),
        libpq_text=libpq_url.render_as_string(hide_password=False),
    )
