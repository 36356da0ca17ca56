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
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from engine.aggregate import DateAsISO, EventSourced
from engine.clock import Clock
from engine.rules import Conflict
from engine.store import Store

T = TypeVar("T")
A = TypeVar("A", bound=EventSourced)

Command = Callable[[], tuple[T, Sequence[EventSourced]]]


class CommandApplication(Application):
    """The only writer: every command goes through `run`."""

    retries = 6

    def __init__(self, store: Store, clock: Clock | None = None, actor: str = "system") -> None:
        store.prepare()
        self.store = store
        self.clock = clock or Clock()
        self.actor = actor
        super().__init__(env=store.eventsourcing_env)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def run(self, command: Command[T]) -> T:
        """Run a command and save what it returns atomically; retry if we lost a race."""
        for attempt in range(self.retries):
            result, aggregates = command()
            try:
                self.save(*aggregates)
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

    def count_events(self) -> int:
        """How many events the store holds (tests check refusals write nothing)."""
        return self.recorder.max_notification_id() or 0
