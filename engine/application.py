"""The application base: eventsourcing's `Application` with a store URL, a clock, an
actor, and commands that survive a lost race.

Saving a stale aggregate raises eventsourcing's `IntegrityError` (optimistic
concurrency). A command is a function that loads what it needs, checks the rules and
returns the aggregates to save; if someone else saved first, it simply runs again on
fresh state (and may then be refused by the rules), a few times, before giving up
with a clear `Conflict`.

A long-running process remembers the aggregates it has loaded and saved. A command's
first attempt decides on what it remembers, without asking the store: if anyone has
written to one of those aggregates since, saving fails on its taken version (or, for an
aggregate only read, a check of its version before saving does), and the command runs
again on what the store holds. A refusal is only ever given on what the store holds.
An aggregate that others were found writing to is read from the store first (its newer
events only), until a read finds that nobody else has written to it since.
"""

from __future__ import annotations

import contextlib
import copy
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import IntegrityError, InternalError, JSONTranscoder, ProgrammingError, Recording
from eventsourcing.utils import Environment, EnvType

from brobyg.engine.aggregate import DateAsISO, EventSourced
from brobyg.engine.clock import Clock
from brobyg.engine.errors import Conflict, Stale
from brobyg.engine.store import Store

T = TypeVar("T")
A = TypeVar("A", bound=EventSourced)


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """eventsourcing's `project_aggregate` without its per-event `isinstance` check against a
    runtime protocol, which cost a third of a command's time (all our events are `mutate`-able)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


@dataclass(frozen=True)
class Changes:
    """What a command saves: aggregates with new events, and keys to claim (see `engine.claims`)."""

    aggregates: Sequence[EventSourced]
    claims: Mapping[str, str] = field(default_factory=dict)


Command = Callable[[], tuple[T, Sequence[EventSourced] | Changes]]


class _Remembered(Exception):
    """A first attempt failed having read aggregates from memory: look in the store."""


class CommandApplication(Application):
    """The only writer: every command goes through `run`."""

    retries = 10
    cache_size = 1_000  # aggregates kept in memory between commands
    retried = 0  # how many times a command ran again after losing a race (for the benchmarks)
    refreshed = 0  # how many first attempts, decided on remembered aggregates, ran again on fresh ones

    def __init__(self, store: Store, clock: Clock | None = None, actor: str = "system") -> None:
        store.prepare()
        self.store = store
        self._attempt_here = threading.local()  # per thread: what a first attempt read from memory (id -> version)
        self._written_elsewhere: set[Any] = set()  # aggregates others wrote to since this process last did
        self.clock = clock or Clock()
        self.actor = actor
        for attempt in range(10):
            try:
                super().__init__(env=store.eventsourcing_env)
                break
            except (InternalError, ProgrammingError, IntegrityError):
                # Several processes creating the tables at the same moment (PostgreSQL says
                # "tuple concurrently updated"): the others have made them; look again.
                if attempt == 9:
                    raise
                time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only the store's settings: eventsourcing would otherwise let any variable in the
        # process environment (e.g. BROBYG_SQLITE_DBNAME) redirect or change persistence.
        # A long-running process (a service, a simulation) keeps recently used aggregates
        # and, on each load, reads only the events saved since (eventsourcing's fast-forward),
        # instead of replaying a whole pathway for every command.
        return Environment(name, {"AGGREGATE_CACHE_MAXSIZE": str(self.cache_size), **(env or {})})

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def run(self, command: Command[T]) -> T:
        """Run a command and save what it returns atomically; retry if we lost a race."""
        if self._batch is not None:
            return self._batch.run(command)
        for attempt in range(1 + self.retries):  # a first attempt on memory, then ten on the store
            try:
                return self._attempt(command, from_memory=attempt == 0)
            except _Remembered:
                self.refreshed += 1  # memory was behind the store, or the rules refused: look, at once
            except (IntegrityError, Stale):
                # Someone saved one of these aggregates first: back off, reload, re-check.
                self.retried += 1
                time.sleep(random.uniform(0, min(0.01 * 2**attempt, 0.5)))  # spread the contenders out
        raise Conflict("changed by someone else at the same moment; nothing was written, try again")

    def _attempt(self, command: Command[T], from_memory: bool) -> T:
        memory: dict[Any, int] | None = {} if from_memory else None
        self._attempt_here.memory = memory
        try:
            result, changes = command()
        except Exception as refused:
            if memory:
                raise _Remembered from refused  # never refuse on what may be out of date
            raise
        finally:
            self._attempt_here.memory = None
        if not isinstance(changes, Changes):
            changes = Changes(changes)
        try:
            if memory:
                self._still_current(memory, changes.aggregates)
            self.save(*changes.aggregates, claims=changes.claims)
        except (IntegrityError, Stale) as lost:
            if memory:
                raise _Remembered from lost  # most likely behind, not a race: no need to back off
            raise
        self._remember(changes.aggregates)
        return result

    def _remember(self, aggregates: Iterable[EventSourced | None]) -> None:
        """Keep copies of saved aggregates for the next command (copies: the caller keeps the
        originals); never one with events still unsaved."""
        if self.repository.cache is None:
            return
        for aggregate in aggregates:
            if aggregate is not None and not aggregate.pending_events:
                self.repository.cache.put(aggregate.id, copy.deepcopy(aggregate))

    def _still_current(self, memory: dict[Any, int], saving: Sequence[EventSourced]) -> None:
        """Aggregates read from memory and not changed (returned or not): the save's versions
        cannot catch a change to them."""
        saved = {aggregate.id for aggregate in saving if aggregate.pending_events}
        for aggregate_id, version in memory.items():
            if aggregate_id not in saved and self.recorder.select_events(aggregate_id, gt=version, limit=1):
                raise Stale("an aggregate read from memory has changed in the store")

    def save(self, *aggregates: Any, **kwargs: Any) -> list[Recording[Any]]:
        """eventsourcing's `save` (9.5.6, pinned), but without checking every aggregate against
        two runtime protocols on the way in: 41 µs a save, every one of ours an aggregate."""
        processing_event: ProcessingEvent[Any] = ProcessingEvent()
        for aggregate in aggregates:
            processing_event.events.extend(aggregate.collect_events())
            processing_event.aggregates[aggregate.id] = aggregate
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # eventsourcing's deprecated hook, kept as it calls it
        return recordings

    def load(self, aggregate_id: Any, cls: type[A]) -> A | None:
        if self._batch is not None:
            return self._batch.load(aggregate_id, cls)
        return self._load(aggregate_id, cls)

    def _load(self, aggregate_id: Any, cls: type[A]) -> A | None:
        aggregate = self._remembered(aggregate_id)
        if aggregate is None:
            known = self._known_version(aggregate_id)
            try:  # eventsourcing's repository: from memory after reading any newer events, or replayed
                aggregate = self.repository.get(aggregate_id, projector_func=replay)
            except AggregateNotFoundError:
                return None
            if known is not None:  # newer events than this process saved or saw: others write here too
                self._note(aggregate_id, written_elsewhere=aggregate.version > known)
        if not isinstance(aggregate, cls):
            return None
        return aggregate

    def _known_version(self, aggregate_id: Any) -> int | None:
        try:
            return self.repository.cache.get(aggregate_id).version if self.repository.cache is not None else None
        except KeyError:
            return None

    def _note(self, aggregate_id: Any, written_elsewhere: bool) -> None:
        if not written_elsewhere:
            self._written_elsewhere.discard(aggregate_id)
            return
        if len(self._written_elsewhere) >= self.cache_size:  # forgetting only costs a failed first attempt
            self._written_elsewhere.clear()
        self._written_elsewhere.add(aggregate_id)

    def _remembered(self, aggregate_id: Any) -> Any:
        """In a first attempt, a copy of the aggregate as this process last knew it, if it does
        and nobody else was writing to it when last looked at (else its memory is likely behind,
        and a failed save would cost more than reading the newer events first)."""
        memory = getattr(self._attempt_here, "memory", None)
        if memory is None or self.repository.cache is None or aggregate_id in self._written_elsewhere:
            return None
        try:
            aggregate = copy.deepcopy(self.repository.cache.get(aggregate_id))
        except KeyError:
            return None
        if memory.setdefault(aggregate_id, aggregate.version) != aggregate.version:
            raise Stale("an aggregate changed in memory between two reads of one command")  # another thread
        return aggregate

    @cached_property
    def sql_engine(self) -> Any:
        """SQLAlchemy on the same database, for read models (created on first use)."""
        return self.store.sqlalchemy_engine()

    def holder(self, key: str) -> str | None:
        """Who holds a claimed key, if anyone."""
        if self._batch is not None and key in self._batch.claims:
            return self._batch.claims[key]
        return self.recorder.holder(key)  # type: ignore[attr-defined]

    # --- many commands, one transaction ----------------------------------------------------

    _batch: Batch | None = None

    @contextlib.contextmanager
    def batch(self, flush_every: int = 20_000) -> Iterator[Batch]:
        """Run many commands as one writer, saving every `flush_every` events in one transaction.

        Every command still passes the rules, against the batch's own copies of the
        aggregates; only the saving is shared. For bulk work by a single writer (a simulation):
        an error outside the rules discards what the batch has not yet saved, and the batch
        goes no further. Once it is all saved, its aggregates are remembered.
        """
        if self._batch is not None:
            raise RuntimeError("batches do not nest")
        self._batch = Batch(self, flush_every)
        try:
            yield self._batch
            self._batch.flush()
            self._batch.remember()
        finally:
            self._batch = None

    def count_events(self) -> int:
        """How many events the store holds."""
        return self.recorder.max_notification_id() or 0


class Batch:
    """The unit of work behind `CommandApplication.batch`: an identity map of aggregates,
    the claims made so far, and a flush when enough events are pending."""

    def __init__(self, app: CommandApplication, flush_every: int) -> None:
        self.app = app
        self.flush_every = flush_every
        self.aggregates: dict[Any, EventSourced | None] = {}
        self.dirty: dict[Any, EventSourced] = {}
        self.counts: dict[Any, int] = {}  # pending events per dirty aggregate
        self.claims: dict[str, str] = {}
        self.unsaved_claims: dict[str, str] = {}
        self.pending = 0
        self.saved_events = 0
        self.discarded = False  # after an error: see `discard`

    def load(self, aggregate_id: Any, cls: type[A]) -> A | None:
        self._still_usable()
        if aggregate_id not in self.aggregates:
            self.aggregates[aggregate_id] = self.app._load(aggregate_id, EventSourced)
        found = self.aggregates[aggregate_id]
        return found if isinstance(found, cls) else None

    def run(self, command: Command[T]) -> T:
        self._still_usable()
        try:
            result, changes = command()
        except Exception:
            # A command checks before it records: a failure must leave every copy as it was.
            if any(len(a.pending_events) != self.counts.get(key, 0) for key, a in self.aggregates.items() if a is not None):
                self.discard()
                raise RuntimeError("a command failed after recording events; the batch is discarded") from None
            raise
        if not isinstance(changes, Changes):
            changes = Changes(changes)
        for aggregate in changes.aggregates:
            self.aggregates.pop(aggregate.id, None)  # the most recently changed last: see `remember`
            self.aggregates[aggregate.id] = aggregate
            self.dirty[aggregate.id] = aggregate
            now = len(aggregate.pending_events)
            self.pending += now - self.counts.get(aggregate.id, 0)
            self.counts[aggregate.id] = now
        self.claims.update(changes.claims)
        self.unsaved_claims.update(changes.claims)
        if self.pending >= self.flush_every:
            self.flush()
        return result

    def flush(self) -> None:
        """Save everything pending in one transaction."""
        self._still_usable()
        if not self.dirty:
            return
        try:
            self.app.save(*self.dirty.values(), claims=self.unsaved_claims)
        except Exception as e:
            self.discard()  # the save took the pending events off the copies: they no longer match the store
            if isinstance(e, IntegrityError):
                raise Conflict(
                    f"someone else wrote to the same records during a batch; the unsaved part is discarded ({e})"
                ) from None
            raise
        self.saved_events += self.pending
        self.dirty.clear()
        self.counts.clear()
        self.unsaved_claims.clear()
        self.pending = 0

    def discard(self) -> None:
        """Drop everything not yet saved, and every copy: after an error they may not match the
        store. The batch refuses to go on (a caller that caught the error must start a new one)."""
        self.discarded = True
        for held in (self.aggregates, self.dirty, self.counts, self.claims, self.unsaved_claims):
            held.clear()
        self.pending = 0

    def _still_usable(self) -> None:
        if self.discarded:
            raise RuntimeError("this batch was discarded after an error; what it had not saved is lost, start a new one")

    def remember(self) -> None:
        """Once everything is saved, remember the batch's aggregates as saved (the most recently
        changed, as many as the process keeps), so that the next command on one decides on memory."""
        self.app._remember(list(self.aggregates.values())[-self.app.cache_size :])

    def forget(self, aggregate_ids: Iterator[Any] | Sequence[Any]) -> None:
        """Drop saved aggregates from memory (they are loaded again if needed)."""
        for aggregate_id in aggregate_ids:
            if aggregate_id not in self.dirty:
                self.aggregates.pop(aggregate_id, None)
