"""What a long-running process remembers of the aggregates it has loaded and saved.

A command's first attempt decides on what the process remembers, without asking the store:
if anyone has written to one of those aggregates since, saving fails on its taken version
(or, for an aggregate only read, a check of its version before saving does), and the
command runs again on what the store holds (`MemoryBehind`). A refusal is only ever given on
what the store holds. An aggregate that others were found writing to is read from the store
first (its newer events only), until a read finds that nobody else has written to it since.

The remembered aggregates themselves are eventsourcing's aggregate cache
(`app.repository.cache`); this module decides when to trust it.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError

from brobyg.engine.aggregate import EventSourced
from brobyg.engine.errors import MemoryBehind, Stale

if TYPE_CHECKING:
    from brobyg.engine.application import CommandApplication

Reads = dict[Any, int]  # what a first attempt read from memory: aggregate id -> version


class Memory:
    """One application's memory of aggregates, shared by its threads."""

    def __init__(self, app: CommandApplication) -> None:
        self.app = app
        self._here = threading.local()  # per thread: the `Reads` of the attempt under way, if from memory
        self.written_elsewhere: set[Any] = set()  # aggregates others wrote to since this process last did

    @contextlib.contextmanager
    def deciding(self, from_memory: bool) -> Iterator[Reads | None]:
        """While a command decides: in a first attempt, loads may come from memory. A command
        that fails having read from memory is run again on the store, never refused on memory."""
        reads: Reads | None = {} if from_memory else None
        self._here.reads = reads
        try:
            yield reads
        except Exception as refused:
            if reads:
                raise MemoryBehind from refused  # never refuse on what may be out of date
            raise
        finally:
            self._here.reads = None

    def recalled(self, aggregate_id: Any) -> bool:
        """Whether the attempt deciding now took this aggregate from memory (and may therefore
        be run again on the store)."""
        reads = getattr(self._here, "reads", None)
        return bool(reads) and aggregate_id in reads

    @contextlib.contextmanager
    def saving(self, reads: Reads | None, changes: Sequence[EventSourced]) -> Iterator[None]:
        """Around the save of a command that decided on memory: first check the aggregates it
        only read, and treat a lost save as memory being behind, not as a race."""
        try:
            if reads:
                self._still_current(reads, changes)
            yield
        except (IntegrityError, Stale) as lost:
            if reads:
                raise MemoryBehind from lost  # most likely behind, not a race: no need to back off
            raise

    def _still_current(self, reads: Reads, saving: Sequence[EventSourced]) -> None:
        """Aggregates read from memory and not changed (returned or not): the save's versions
        cannot catch a change to them."""
        saved = {aggregate.id for aggregate in saving if aggregate.pending_events}
        for aggregate_id, version in reads.items():
            if aggregate_id not in saved and self.app.recorder.select_events(aggregate_id, gt=version, limit=1):
                raise Stale("an aggregate read from memory has changed in the store")

    def remember(self, aggregates: Iterable[EventSourced | None]) -> None:
        """Keep copies of saved aggregates for the next command (copies: the caller keeps the
        originals); never one with events still unsaved."""
        cache = self.app.repository.cache
        if cache is None:
            return
        for aggregate in aggregates:
            if aggregate is not None and not aggregate.pending_events:
                cache.put(aggregate.id, copy.deepcopy(aggregate))

    def forget(self, aggregate_id: Any) -> None:
        """Drop what this process remembers of an aggregate."""
        cache = self.app.repository.cache
        if cache is not None:
            with contextlib.suppress(KeyError):
                cache.get(aggregate_id, evict=True)

    def recall(self, aggregate_id: Any) -> Any:
        """In a first attempt, a copy of the aggregate as this process last knew it, if it does
        and nobody else was writing to it when last looked at (else its memory is likely behind,
        and a failed save would cost more than reading the newer events first)."""
        reads = getattr(self._here, "reads", None)
        cache = self.app.repository.cache
        if reads is None or cache is None or aggregate_id in self.written_elsewhere:
            return None
        try:
            aggregate = copy.deepcopy(cache.get(aggregate_id))
        except KeyError:
            return None
        if reads.setdefault(aggregate_id, aggregate.version) != aggregate.version:
            raise Stale("an aggregate changed in memory between two reads of one command")  # another thread
        return aggregate

    def known_version(self, aggregate_id: Any) -> int | None:
        """The version this process last saved or saw, if it remembers the aggregate."""
        cache = self.app.repository.cache
        try:
            return cache.get(aggregate_id).version if cache is not None else None
        except KeyError:
            return None

    def note(self, aggregate_id: Any, written_elsewhere: bool) -> None:
        """After reading from the store: whether others had written to the aggregate since."""
        if not written_elsewhere:
            self.written_elsewhere.discard(aggregate_id)
            return
        if len(self.written_elsewhere) >= self.app.cache_size:  # forgetting only costs a failed first attempt
            self.written_elsewhere.clear()
        self.written_elsewhere.add(aggregate_id)
