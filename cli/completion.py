"""Shell completion of case ids and mentor ids, read from the store's read models.

click completes command names and options by itself (`_BROBYG_COMPLETE=bash_source brobyg`,
see the README); this adds the ids a coordinator would otherwise copy from another screen. A
completion reads two small columns (`rm_pathways.case`, `rm_mentors.mentor`) and nothing else:
no master key, no catch-up, no access log (an id names nobody). It never fails loudly: with no
store, an unreadable one or read models not built yet, it offers nothing.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.shell_completion import CompletionItem

LIMIT = 200  # a shell shows no more usefully; the query stays cheap on a large store
MENTOR_PARAMS = {"mentor_id", "kui_contact", "seen"}  # MENTOR arguments and options (--kui-contact, --from, --mentor)


def completing(param: click.Parameter) -> None:
    """Give a CASE argument or a MENTOR argument or option completion from the store, keeping
    its type's own checks (a mentor id is still a KEY)."""
    if isinstance(param.type, Completing) or type(param.type).shell_complete is not click.ParamType.shell_complete:
        return  # done already, or the type completes by itself (a choice, a path)
    if param.name == "case" or (param.metavar or "").upper() == "CASE":
        param.type = Completing(param.type, _cases)
    elif param.name in MENTOR_PARAMS or (param.metavar or "").upper() == "MENTOR":
        param.type = Completing(param.type, _mentors)


class Completing(click.ParamType):
    """`base`, whose checks it keeps, with `shell_complete` answered from the store."""

    def __init__(self, base: click.ParamType, ids: Callable[[click.Context, str], list[str]]) -> None:
        self.base, self.ids, self.name = base, ids, base.name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return self.base.convert(value, param, ctx)

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        return self.base.get_metavar(param, ctx)

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        try:
            return [CompletionItem(i) for i in self.ids(ctx, incomplete)]
        except Exception:  # completion must never print a traceback into the shell
            return []


def _db(ctx: click.Context) -> str | None:
    """The store the command line names so far: --db after the command, before it, BROBYG_DB,
    or the default file (only if it exists: completing never creates a folder)."""
    given = ctx.meta.get("brobyg.db") or ctx.find_root().params.get("db") or os.environ.get("BROBYG_DB")
    if given:
        return str(given)
    from platformdirs import user_data_dir

    default = Path(user_data_dir("brobyg")) / "brobyg.sqlite"
    return str(default) if default.exists() else None


def _read(ctx: click.Context, column: Any, incomplete: str) -> list[str]:
    import sqlalchemy as sa

    from brobyg.engine.store import parse_store_url

    db = _db(ctx)
    if db is None:
        return []
    store = parse_store_url(db)
    if store.is_sqlite and not Path(store.eventsourcing_env["SQLITE_DBNAME"]).exists():
        return []  # SQLite would create the file on connecting
    if not store.is_sqlite:  # a server that does not answer must not hang the shell
        store = dataclasses.replace(store, connect_args={"connect_timeout": 2, **store.connect_args})
    engine = store.sqlalchemy_engine()
    try:
        with engine.connect() as conn:
            query = sa.select(column).where(column.startswith(incomplete, autoescape=True)).order_by(column).limit(LIMIT)
            return [str(value) for value in conn.execute(query).scalars()]
    finally:
        engine.dispose()


def _cases(ctx: click.Context, incomplete: str) -> list[str]:
    from brobyg.projections.facts import pathways

    return _read(ctx, pathways.c.case, incomplete.strip().upper())  # case ids are upper case, typed any way


def _mentors(ctx: click.Context, incomplete: str) -> list[str]:
    from brobyg.projections.facts import mentors

    return _read(ctx, mentors.c.mentor, incomplete.strip().lower())
