"""The application base: eventsourcing's `Application` with a store URL, a clock, an
actor, and commands that survive a lost race.

Saving a stale aggregate raises eventsourcing's `IntegrityError` (optimistic
concurrency). A command is a function that loads what it needs, checks the rules and
returns the aggregates to save; if someone else saved first, it simply runs again on
fresh state (and may then be refused by the rules), a few times, before giving up
with a clear `Conflict`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder
from eventsourcing.utils import Environment, EnvType

from engine.aggregate import DateAsISO, EventSourced
from engine.clock import Clock
from engine.rules import Conflict
from engine.store import Store

T = TypeVar("T")
A = TypeVar("A", bound=EventSourced)


@dataclass(frozen=True)
class Changes:
    """What a command saves: aggregates with new events, and keys to claim (see `engine.claims`)."""

    aggregates: Sequence[EventSourced]
    claims: Mapping[str, str] = field(default_factory=dict)


Command = Callable[[], tuple[T, Sequence[EventSourced] | Changes]]


class CommandApplication(Application):
    """The only writer: every command goes through `run`."""

    retries = 6

    def __init__(self, store: Store, clock: Clock | None = None, actor: str = "system") -> None:
        store.prepare()
        self.store = store
        self.clock = clock or Clock()
        self.actor = actor
        super().__init__(env=store.eventsourcing_env)

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only the store's settings: eventsourcing would otherwise let any variable in the
        # process environment (e.g. BROBYG_SQLITE_DBNAME) redirect or change persistence.
        return Environment(name, dict(env or {}))

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def run(self, command: Command[T]) -> T:
        """Run a command and save what it returns atomically; retry if we lost a race."""
        for attempt in range(self.retries):
            result, changes = command()
            if not isinstance(changes, Changes):
                changes = Changes(changes)
            try:
                self.save(*changes.aggregates, claims=changes.claims)
            except IntegrityError:
                # Someone saved one of these aggregates first: back off, reload, re-check.
                time.sleep(random.uniform(0, 0.02 * (attempt + 1)))
                continue
            return result
        raise Conflict("changed by someone else at the same moment; nothing was written, try again")

    def load(self, aggregate_id: Any, cls: type[A]) -> A | None:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(aggregate, cls):
            return None
        return aggregate

    @cached_property
    def sql_engine(self) -> Any:
        """SQLAlchemy on the same database, for read models (created on first use)."""
        return self.store.sqlalchemy_engine()

    def holder(self, key: str) -> str | None:
        """Who holds a claimed key, if anyone."""
        return self.recorder.holder(key)  # type: ignore[attr-defined]

    def count_events(self) -> int:
        """How many events the store holds."""
        return self.recorder.max_notification_id() or 0
