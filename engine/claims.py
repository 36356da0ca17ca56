"""Claims: keys that at most one holder may have, written in the same transaction as events.

Optimistic concurrency protects one stream; a rule across streams ("one pathway per
person") needs a key that two concurrent commands would both try to take. A command
saves its events together with its claims; if the key is already held, the whole save
fails with eventsourcing's `IntegrityError`, and the application retries on fresh state
(where the rule then sees the holder). The recorders are eventsourcing's own, extended
only by this table (the hooks into eventsourcing are in `engine.overrides`); the PostgreSQL one is in `engine.claims_postgres` (imported only there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from brobyg.engine.overrides import SQLiteRecorderOverrides
from brobyg.engine.text import N_

CLAIMS_TABLE = "claims"


class SQLiteClaimingRecorder(SQLiteRecorderOverrides, SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {CLAIMS_TABLE} (key TEXT PRIMARY KEY, holder TEXT NOT NULL)",
            # Append-only against mistakes (whoever can write the file can also drop these).
            *(
                f"CREATE TRIGGER IF NOT EXISTS brobyg_append_only_{op.lower()} BEFORE {op} ON {self.events_table_name}"
                f" BEGIN SELECT RAISE(ABORT, 'stored events are never changed or deleted ({op} refused)'); END"
                for op in ("UPDATE", "DELETE")
            ),
        ]

    def insert_claims(self, c: SQLiteCursor, claims: Mapping[str, str]) -> None:
        """In the transaction that inserts the events (`engine.overrides`)."""
        for key, holder in claims.items():
            c.execute(f"INSERT INTO {CLAIMS_TABLE} (key, holder) VALUES (?, ?)", (key, holder))

    def insert_into_empty(self, stored_events: Sequence[StoredEvent], claims: Mapping[str, str]) -> bool:
        """Insert events and claims if the store holds no events, in one transaction that checks
        under the write lock; False, and nothing written, if it holds some."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"UPDATE {CLAIMS_TABLE} SET key = key WHERE 0")  # takes the write lock before the check
            c.execute(f"SELECT 1 FROM {self.events_table_name} LIMIT 1")
            if c.fetchone():
                return False
            self._insert_events(c, stored_events, claims=claims)
        return True

    def holder(self, key: str) -> str | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT holder FROM {CLAIMS_TABLE} WHERE key = ?", (key,))
            row = c.fetchone()
            return row[0] if row else None

    def holders(self, keys: Sequence[str]) -> dict[str, str]:
        """The holders of those of `keys` that are claimed."""
        found: dict[str, str] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(keys), 500):  # SQLite's limit on parameters
                chunk = keys[start : start + 500]
                c.execute(f"SELECT key, holder FROM {CLAIMS_TABLE} WHERE key IN ({','.join('?' * len(chunk))})", chunk)
                found.update((row[0], row[1]) for row in c.fetchall())
        return found

    def held_by(self, holder: str, prefix: str) -> list[str]:
        """The keys starting with `prefix` that `holder` holds."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT key FROM {CLAIMS_TABLE} WHERE holder = ? AND substr(key, 1, ?) = ?", (holder, len(prefix), prefix))
            return [row[0] for row in c.fetchall()]

    def release(self, keys: Sequence[str]) -> None:
        """Delete claims (an erasure), overwriting their bytes in the file and then in the WAL
        (SQLite would otherwise leave a deleted key readable in free pages until reused)."""
        with self.datastore.transaction(commit=True) as c:
            c.execute("PRAGMA secure_delete = ON")
            c.execute(f"DELETE FROM {CLAIMS_TABLE} WHERE key IN ({','.join('?' * len(keys))})", list(keys))
        with self.datastore.transaction(commit=False) as c:
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy = c.fetchone()[0]
        if busy:
            raise OSError(N_("the erased key's old pages are still in the write-ahead log (a reader held it); run erase again"))

    def all_claims(self) -> list[tuple[str, str]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT key, holder FROM {CLAIMS_TABLE} ORDER BY key")
            return [(row[0], row[1]) for row in c.fetchall()]
