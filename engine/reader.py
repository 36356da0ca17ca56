"""What a reading command on SQLite reads through while the read models are caught up: the store,
its SQLAlchemy engine, the personal data's keys, the clock and who reads, without building the
event-sourced application (importing it and its event classes' machinery costs a reading
command a tenth of its start-up).

Anything else asked of it (loading an aggregate, catching the read models up from the log) is
asked of the application, built then (`build`); it shares the reader's personal data, whose
claims the reader then reads through it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from brobyg.engine.clock import Clock
from brobyg.engine.identity import os_login
from brobyg.engine.master_key import load_master_key
from brobyg.engine.personal import PersonalData
from brobyg.engine.store import Store

# The SQLite tables and triggers the application makes when it opens a store (eventsourcing's
# events table, `engine.claims`' table and `engine.overrides`' append-only triggers) and the read
# models' tracking table: a store without all of them is opened by the application, which makes them.
EVENTS, CLAIMS = "stored_events", "claims"
MADE_BY_THE_APPLICATION = (EVENTS, CLAIMS, "brobyg_append_only_update", "brobyg_append_only_delete", "view_tracking")
SIMULATED = "store:simulated"  # `engine.application.SIMULATED`'s key


class Reader:
    """A SQLite store read through its read models; `build` gives the application when needed."""

    def __init__(self, store: Store, clock: Clock, actor: str, build: Callable[[], Any]) -> None:
        assert store.is_sqlite, "on PostgreSQL the application checks the login's role first"
        self.store = store
        self.clock = clock
        self.actor = actor
        self._build = build
        self._app: Any = None
        self.personal = PersonalData(self._claims_held, lambda create: load_master_key(create=create))

    @cached_property
    def sql_engine(self) -> Any:
        return self.store.sqlalchemy_engine()

    @cached_property
    def login(self) -> str:
        return os_login()  # `engine.identity.login_of` on SQLite

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

        found: dict[str, str] = {}
        with self.sql_engine.connect() as conn:
            for start in range(0, len(keys), 500):  # SQLite's limit on parameters
                chunk = list(keys[start : start + 500])
                query = sa.text(f"SELECT key, holder FROM {CLAIMS} WHERE key IN :keys").bindparams(
                    sa.bindparam("keys", expanding=True)
                )
                found.update((row[0], row[1]) for row in conn.execute(query, {"keys": chunk}))
        return found

    def ready(self) -> bool:
        """Whether the store holds every table and trigger the application would make."""
        import sqlalchemy as sa

        names = sa.text("SELECT name FROM sqlite_master WHERE name IN :names").bindparams(sa.bindparam("names", expanding=True))
        with self.sql_engine.connect() as conn:
            found = set(conn.execute(names, {"names": list(MADE_BY_THE_APPLICATION)}).scalars())
        return found == set(MADE_BY_THE_APPLICATION)

    def log_head(self) -> int:
        """The notification log's last id (eventsourcing's SQLite recorder numbers by rowid)."""
        import sqlalchemy as sa

        with self.sql_engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT max(rowid) FROM {EVENTS}")).scalar() or 0)

    def is_simulated(self) -> bool:
        return self._claims_held([SIMULATED]).get(SIMULATED) is not None
