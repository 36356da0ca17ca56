"""Who writes: the account behind every event, beside the actor a command names.

On PostgreSQL the account is the database login (`session_user`); acting for someone else
(`--as`) is for an admin there: a member of the store's admin role (`engine.access`), a
superuser, or the owner of the events table. On SQLite the account is the operating-system user, and whoever can write the
file is trusted with it.
"""

from __future__ import annotations

import getpass
from typing import Any

from brobyg.engine.access import role_name

ADMIN_ROLE = "admin"  # engine.access names the store's role: brobyg_<schema>_admin


def os_login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment and no password entry
        return "unknown"


def login_of(app: Any) -> str:
    """The account `app` writes through."""
    if app.store.is_sqlite:
        return os_login()
    with app.recorder.datastore.get_connection() as conn:
        return str(conn.execute("SELECT session_user AS login").fetchone()["login"])


def is_admin(app: Any) -> bool:
    """Whether the account may act for others (always, on SQLite)."""
    if app.store.is_sqlite:
        return True
    events = f'"{app.recorder.datastore.schema}"."{app.events_table()}"'
    with app.recorder.datastore.get_connection() as conn:
        row = conn.execute(
            "SELECT r.rolsuper"
            " OR EXISTS (SELECT 1 FROM pg_roles a WHERE a.rolname = %s AND pg_has_role(session_user, a.oid, 'MEMBER'))"
            " OR EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = to_regclass(%s) AND c.relowner = r.oid) AS admin"
            " FROM pg_roles r WHERE r.rolname = session_user",
            (role_name(app, ADMIN_ROLE), events),
        ).fetchone()
    return bool(row and row["admin"])
