"""Roles on a shared PostgreSQL store, enforced by the database: which login may do what.

Each store (database and schema) has four group roles of its own, `brobyg_<digest>_<role>`
(`role_name`), created and granted by the store's owner:

- admin: what a coordinator may, and acting for someone else (`--as`);
- coordinator: read everything, append events and claims, keep the read models;
- mentor: as a coordinator in the database; the application lets them record only on their
  own caseload (the database cannot read an event's meaning);
- analyst: the aggregate report views only, never events or facts naming a person.

No role may UPDATE, DELETE or TRUNCATE stored events (and a trigger refuses it even to the
owner, `engine.claims_postgres`). Which login holds which role, and a mentor login's mentor,
is kept in the store's `brobyg_access` table, readable by every role. The access log
(`engine.access_log`) takes entries from admins, coordinators and mentors; only admins read it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from brobyg.engine.errors import NotAllowed
from brobyg.engine.text import Text

ROLES = ("admin", "coordinator", "mentor", "analyst")
ACCESS_TABLE = "brobyg_access"


@dataclass(frozen=True)
class Grant:
    login: str
    role: str
    mentor: str | None = None


def role_name(app: Any, role: str) -> str:
    """The store's own group role: roles are the server's, so the name carries the store (its
    database and schema, as a short digest: any schema name gives a name within 63 bytes)."""
    store = f"{app.store.eventsourcing_env['POSTGRES_DBNAME']}/{app.recorder.datastore.schema}"
    return f"brobyg_{hashlib.sha256(store.encode()).hexdigest()[:10]}_{role}"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def set_up(app: Any, read_model_tables: Sequence[str], report_views: Sequence[str]) -> None:
    """Create the roles and give each its privileges on this store (as the store's owner)."""
    schema = app.recorder.datastore.schema
    s = _q(schema)
    events, claims = f"{s}.{_q(app.events_table())}", f"{s}.claims"
    writers = [role_name(app, r) for r in ("admin", "coordinator", "mentor")]
    analyst = role_name(app, "analyst")
    with app.recorder.datastore.transaction(commit=True) as curs:
        curs.execute(f"CREATE TABLE IF NOT EXISTS {s}.{ACCESS_TABLE} (login text PRIMARY KEY, role text NOT NULL, mentor text)")
        for role in [*writers, analyst]:
            curs.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
            if curs.fetchone() is None:
                curs.execute(f"CREATE ROLE {_q(role)} NOLOGIN")
            curs.execute(f"GRANT USAGE ON SCHEMA {s} TO {_q(role)}")
            curs.execute(f"GRANT SELECT ON {s}.{ACCESS_TABLE} TO {_q(role)}")
        curs.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {events} FROM PUBLIC")
        for role in writers:
            curs.execute(f"GRANT SELECT, INSERT ON {events}, {claims} TO {_q(role)}")
            curs.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {events} FROM {_q(role)}")
            curs.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {_q(role)}")
            for table in read_model_tables:
                curs.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {s}.{_q(table)} TO {_q(role)}")
        # Erasure deletes a person's data key and duplicate-referral claim: an admin's alone.
        curs.execute(f"GRANT DELETE ON {claims} TO {_q(role_name(app, 'admin'))}")
        for view in report_views:
            curs.execute(f"GRANT SELECT ON {s}.{_q(view)} TO {_q(analyst)}")
    from brobyg.engine import access_log

    access_log.create(app)  # the roles may append to the access log; only an admin reads it


def grant(app: Any, login: str, role: str, mentor: str | None) -> Grant:
    """Give `login` one brobyg role on this store (replacing any other it had)."""
    schema = app.recorder.datastore.schema
    with app.recorder.datastore.transaction(commit=True) as curs:
        curs.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (login,))
        row = curs.fetchone()
        if row is None or not row["rolcanlogin"]:
            raise NotAllowed(Text("there is no login {login} on this server (CREATE ROLE {login} LOGIN first)", login=login))
        for other in ROLES:
            curs.execute(f"REVOKE {_q(role_name(app, other))} FROM {_q(login)}")
        curs.execute(f"GRANT {_q(role_name(app, role))} TO {_q(login)}")
        curs.execute(
            f"INSERT INTO {_q(schema)}.{ACCESS_TABLE} (login, role, mentor) VALUES (%s, %s, %s)"
            " ON CONFLICT (login) DO UPDATE SET role = EXCLUDED.role, mentor = EXCLUDED.mentor",
            (login, role, mentor),
        )
    return Grant(login, role, mentor)


def revoke(app: Any, login: str) -> bool:
    """Take every brobyg role on this store from `login`; False if it had none."""
    schema = app.recorder.datastore.schema
    with app.recorder.datastore.transaction(commit=True) as curs:
        for role in ROLES:
            curs.execute(f"REVOKE {_q(role_name(app, role))} FROM {_q(login)}")
        curs.execute(f"DELETE FROM {_q(schema)}.{ACCESS_TABLE} WHERE login = %s", (login,))
        return bool(curs.rowcount)


def grants(app: Any) -> list[Grant]:
    schema = app.recorder.datastore.schema
    with app.recorder.datastore.transaction(commit=False) as curs:
        table = f"{_q(schema)}.{ACCESS_TABLE}"
        curs.execute(
            "SELECT to_regclass(%s) IS NOT NULL AND has_table_privilege(to_regclass(%s), 'SELECT') AS readable",
            (table, table),
        )
        if not curs.fetchone()["readable"]:  # roles not set up, or a login with no brobyg role
            return []
        curs.execute(f"SELECT login, role, mentor FROM {_q(schema)}.{ACCESS_TABLE} ORDER BY login")
        return [Grant(r["login"], r["role"], r["mentor"]) for r in curs.fetchall()]


def grant_of(app: Any, login: str) -> Grant | None:
    """The role `login` holds on this store, if any (None also where roles are not set up)."""
    return next((g for g in grants(app) if g.login == login), None)
