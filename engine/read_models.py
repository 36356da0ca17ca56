"""Tracked read models: tables that follow an application's notification log.

Each read model writes its rows and its tracking position in the same transaction, a page of
notifications at a time: exactly once and in order, so a crash loses nothing and
repeats nothing. Catching up is cheap when few events are new, so readers catch up
first and always see the latest writes (SQLite offers no subscription to follow).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

if TYPE_CHECKING:  # a reader (`engine.reader`) builds the application only when a catch-up needs it
    from eventsourcing.application import Application

metadata = sa.MetaData()

# The stored names say "view": they are the tracking table of existing stores.
tracking = sa.Table(
    "view_tracking",
    metadata,
    sa.Column("view", sa.String(64), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
)


class ReadModel(Protocol):
    """A read model: its tables live on `engine.read_models.metadata`.

    `handle` sees each event of a page in order and may write at once or collect rows;
    `flush` writes what was collected. Both run inside the page's transaction, so the
    rows and the tracking position commit together.
    """

    name: str
    tables: Sequence[sa.Table]

    def handle(self, conn: sa.Connection, event: Any) -> None:
        """Apply one domain event."""

    def flush(self, conn: sa.Connection) -> None:
        """Write whatever `handle` collected during the page."""

    def discard(self) -> None:
        """Forget what was collected or remembered: the page's transaction did not commit."""


# A read model may also have `caught_up(conn)`: called, in the page's transaction after every
# model's flush, on the page that reaches the log's head as the catch-up found it (work that would
# be done again on every page of a long catch-up is done there once).


@dataclass(frozen=True)
class ReadModelStatus:
    name: str
    position: int
    head: int

    @property
    def behind(self) -> int:
        return self.head - self.position


# The tracking row whose position is the shape of the read models' tables (`schema` below).
SCHEMA_ROW = "(schema)"


class TrackedReadModels:
    """Keeps a set of read models up to date with one application's log.

    `schema` numbers the shape of the models' tables: a store whose read models have another
    shape has them dropped and rebuilt from the log (they hold nothing the log does not), and
    `on_recreated` is called after (to give the tables' privileges again, say)."""

    def __init__(
        self,
        app: Application,
        engine: sa.Engine,
        models: Iterable[ReadModel],
        page_size: int = 2000,
        schema: int = 1,
        rebuild_page_size: int = 20_000,
        on_recreated: Callable[[], None] = lambda: None,
    ) -> None:
        self.app = app
        self.engine = engine
        self.models = list(models)
        self.page_size = page_size
        # A rebuild reads the whole log: larger pages, so fewer transactions (each a commit,
        # and each model's work per page: the people's current state, the settled pathways).
        self.rebuild_page_size = rebuild_page_size
        self.schema = schema
        self.on_recreated = on_recreated
        self._created = False
        self._position = -1  # the log position of this process's last committed page

    def _ensure_tables(self) -> dict[str, int] | None:
        """Create what is missing; the first time, the models' positions as they were read then."""
        if self._created:
            return None
        known = self._positions_if_made()
        if known is not None:
            self._created = True
            return known
        tables = [tracking, *(t for v in self.models for t in v.tables)]
        for attempt in range(10):
            try:
                if not self._all_there(tables):  # one query; `create_all` asks once per table
                    metadata.create_all(self.engine, tables=tables)
                with self.engine.begin() as conn:
                    known = {row[0]: row[1] for row in conn.execute(sa.select(tracking.c.view, tracking.c.position))}
                    recreate = known.get(SCHEMA_ROW, 1 if known else self.schema) != self.schema
                    if recreate:
                        self._recreate(conn)
                        known = {}
                    missing = [{"view": v.name, "position": 0} for v in self.models if v.name not in known]
                    if SCHEMA_ROW not in known:
                        missing.append({"view": SCHEMA_ROW, "position": self.schema})
                    if missing:
                        conn.execute(tracking.insert(), missing)
                if recreate:
                    self.on_recreated()
            except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError):
                # Another process is creating the same tables at this moment: look again.
                if attempt == 9:
                    raise
                time.sleep(0.05 * (attempt + 1))
                continue
            self._created = True
            return {v.name: known.get(v.name, 0) for v in self.models}
        return None  # pragma: no cover - the last attempt raises

    def _positions_if_made(self) -> dict[str, int] | None:
        """The models' positions, read with one query, if every model has its tracking row in
        the current shape (the rows are inserted only after their tables are made, and a change of
        the tables' shape changes `schema`); else None, and `_ensure_tables` looks at the tables."""
        try:
            with self.engine.connect() as conn:
                known = {row[0]: row[1] for row in conn.execute(sa.select(tracking.c.view, tracking.c.position))}
        except (sa.exc.OperationalError, sa.exc.ProgrammingError):  # no tracking table yet
            return None
        if known.get(SCHEMA_ROW) != self.schema or any(v.name not in known for v in self.models):
            return None
        return {v.name: known[v.name] for v in self.models}

    def _all_there(self, tables: Sequence[sa.Table]) -> bool:
        """Whether every one of `tables` exists (in the store's schema on PostgreSQL)."""
        names = sa.bindparam("names", [t.name for t in tables], expanding=True)
        if self.engine.dialect.name == "sqlite":
            query = sa.text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN :names")
            query = query.bindparams(names)
        else:
            query = sa.text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = coalesce(:schema, current_schema()) AND c.relkind IN ('r', 'p') AND c.relname IN :names"
            ).bindparams(names, schema=self._schema())
        with self.engine.connect() as conn:
            return conn.execute(query).scalar() == len(tables)

    def _schema(self) -> str | None:
        schema: str | None = self.engine.get_execution_options().get("schema_translate_map", {}).get(None)
        return schema

    def _recreate(self, conn: sa.Connection) -> None:
        """Drop the models' tables (views built on them too) and their positions, and create
        them in their current shape; the next catch-up rebuilds them from the log."""
        cascade = "" if conn.dialect.name == "sqlite" else " CASCADE"
        schema = self.engine.get_execution_options().get("schema_translate_map", {}).get(None)
        prefix = '"' + schema.replace('"', '""') + '".' if schema else ""
        for table in reversed([t for v in self.models for t in v.tables]):
            conn.execute(sa.text(f'DROP TABLE IF EXISTS {prefix}"{table.name}"{cascade}'))
        conn.execute(tracking.delete())
        metadata.create_all(conn, tables=[t for v in self.models for t in v.tables])

    def head(self) -> int:
        return int(self.app.log_head())

    def status(self) -> list[ReadModelStatus]:
        self._ensure_tables()
        head = self.head()
        with self.engine.connect() as conn:
            positions = {name: position for name, position in conn.execute(sa.select(tracking.c.view, tracking.c.position))}
        return [ReadModelStatus(v.name, positions.get(v.name, 0), head) for v in self.models]

    def catch_up(self, progress: Callable[[int, int], None] | None = None, page_size: int | None = None) -> int:
        """Process every new notification, `page_size` at a time (default: the usual pages);
        returns how many were processed."""
        known = self._ensure_tables()
        head = self.head()
        reached = self._reached(head, known)
        if reached >= head:  # no page read: `engine.reader` builds no application then
            return 0
        if page_size is None:
            # Far behind (after a simulation, an import, a new read model): the rebuild's larger
            # pages, since each page also does its models' work once (the people's current state,
            # the settled pathways): at 2,000 events a page that work was most of the time.
            page_size = self.rebuild_page_size if head - reached > self.rebuild_page_size else self.page_size
        done = 0
        while True:
            n = self._page(page_size, head)
            if n == 0:
                return done
            done += n
            if progress:
                progress(done, head)

    def _reached(self, head: int, known: dict[str, int] | None = None) -> int:
        """How far every model has got: from the positions `_ensure_tables` read just before, if
        given and at the head (positions only grow, so reading them before the head can only say
        "not yet"), else by one query; 0 where a model has no position yet."""
        names = [v.name for v in self.models]
        if known and len(known) == len(names) and min(known.values()) >= head:
            return head
        with self.engine.connect() as conn:
            positions = list(conn.execute(sa.select(tracking.c.position).where(tracking.c.view.in_(names))).scalars())
        return min(positions, default=0) if len(positions) == len(names) else 0

    def _page(self, page_size: int, head: int) -> int:
        try:
            return self._page_in_one_transaction(page_size, head)
        except BaseException:
            self._position = -1
            for v in self.models:  # whatever they collected or remember was not committed
                v.discard()
            raise

    def _page_in_one_transaction(self, page_size: int, head: int) -> int:
        names = [v.name for v in self.models]
        with self.engine.begin() as conn:
            # Writing the tracking rows first takes the write lock (SQLite) or the row
            # locks (PostgreSQL), so two readers catching up at once take turns instead
            # of applying the same page twice.
            conn.execute(tracking.update().where(tracking.c.view.in_(names)).values(position=tracking.c.position))
            selected = conn.execute(sa.select(tracking.c.view, tracking.c.position).where(tracking.c.view.in_(names)))
            positions = {name: position for name, position in selected}
            start = min(positions.values()) + 1
            if start - 1 != self._position:
                # Someone else has caught up since our last page: what the read models remember is stale.
                for v in self.models:
                    v.discard()
            notifications = self.app.recorder.select_notifications(start=start, limit=page_size)
            if not notifications:
                return 0
            prepare = getattr(self.app.mapper, "prepare", None)
            if prepare is not None:
                prepare(notifications)
            handlers = [(positions[v.name], v.handle) for v in self.models]  # looked up once a page, not once an event
            decoded = self.app.mapper.to_domain_event
            for notification in notifications:
                event = decoded(notification)
                for position, handle in handlers:
                    if notification.id > position:
                        handle(conn, event)
            for v in self.models:
                v.flush(conn)
            last = notifications[-1].id
            if last >= head:
                for v in self.models:
                    if hasattr(v, "caught_up"):
                        v.caught_up(conn)
            behind = [name for name, position in positions.items() if position < last]  # never move a read model back
            conn.execute(tracking.update().where(tracking.c.view.in_(behind)).values(position=last))
        self._position = last
        return len(notifications)

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Drop every read model's rows and process the whole log again."""
        self._ensure_tables()
        self._position = -1
        with self.engine.begin() as conn:
            for v in self.models:
                for table in reversed(v.tables):
                    conn.execute(table.delete())
            conn.execute(tracking.update().where(tracking.c.view.in_([v.name for v in self.models])).values(position=0))
        analyzed = self.engine.dialect.name != "postgresql"

        def after_page(done: int, head: int) -> None:
            nonlocal analyzed
            if not analyzed:
                self._analyze()
                analyzed = True
            if progress:
                progress(done, head)

        return self.catch_up(after_page, max(self.page_size, self.rebuild_page_size))

    def _analyze(self) -> None:
        """Give PostgreSQL's planner the read models' statistics after a rebuild's first page. A
        table emptied and filled again within a rebuild has none until autovacuum gets to it, and
        without them every later page's reads by stream (the settled pathways' facts, the people's
        current state; 500 streams a query) scan the whole table."""
        schema = self.engine.get_execution_options().get("schema_translate_map", {}).get(None)
        prefix = '"' + schema.replace('"', '""') + '".' if schema else ""
        names = ", ".join(f'{prefix}"{table.name}"' for v in self.models for table in v.tables)
        with self.engine.begin() as conn:
            conn.execute(sa.text(f"ANALYZE {names}"))
