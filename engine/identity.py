"""Who writes: the account behind every event, beside the actor a command names."""

from __future__ import annotations

import getpass
from urllib.parse import unquote, urlsplit

from brobyg.engine.store import Store


def login_of(store: Store) -> str:
    """The database login on PostgreSQL (libpq's default, the operating-system user, when the
    URL names none); the operating-system user on an embedded SQLite store."""
    if not store.is_sqlite:
        user = urlsplit(store.libpq_url).username
        if user:
            return unquote(user)
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment and no password entry
        return "unknown"
