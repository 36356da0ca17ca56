"""Many commands, one writer, one transaction at a time: for bulk work such as a simulation.

Every command still passes the rules, against the batch's own copies of the aggregates; only
the saving is shared. An error outside the rules discards what the batch has not yet saved,
and the batch goes no further. Once it is all saved, its aggregates are remembered.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from eventsourcing.persistence import IntegrityError

from brobyg.engine.aggregate import EventSourced
from brobyg.engine.commands import Changes, Command
from brobyg.engine.errors import Conflict
from brobyg.engine.text import Text

if TYPE_CHECKING:
    from brobyg.engine.application import CommandApplication

T = TypeVar("T")
A = TypeVar("A", bound=EventSourced)
_UNKNOWN: Any = object()  # not looked up yet (None: looked up, and not in the store)


@contextlib.contextmanager
def running_batch(app: CommandApplication, flush_every: int) -> Iterator[Batch]:
    """`CommandApplication.batch`: while it is open, the application's `run` and `load` go
    through the batch; at the end what is pending is saved and then remembered."""
    if app.open_batch is not None:
        raise RuntimeError("batches do not nest")
    app.open_batch = Batch(app, flush_every)
    # A batch makes objects by the million that all live until they are saved (events, their
    # stored form): the collector, run as objects come, walks them again and again and finds
    # nothing (at 100,000 pathways 7-10 s of a simulation's 175 s, with 50,000 new objects
    # between collections). So it runs once a flush instead, when the saved events are gone and
    # only what was made since is walked (`Batch.flush`).
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield app.open_batch
        app.open_batch.flush()
        app.open_batch.remember()
    finally:
        app.open_batch = None
        if collecting:
            gc.enable()


class Batch:
    """The unit of work behind `CommandApplication.batch`: an identity map of aggregates,
    the claims not yet saved (the store answers for the others), and a flush when enough
    events are pending."""

    def __init__(self, app: CommandApplication, flush_every: int) -> None:
        self.app = app
        self.flush_every = flush_every
        self.aggregates: dict[Any, EventSourced | None] = {}
        self.dirty: dict[Any, EventSourced] = {}
        self.counts: dict[Any, int] = {}  # pending events per dirty aggregate
        self.claims: dict[str, str] = {}
        self.unsaved_claims: dict[str, str] = {}
        self.forget_when_saved: set[Any] = set()  # see `forget`
        self.pending = 0
        self.saved_events = 0
        self.discarded = False  # after an error: see `discard`

    def load(self, aggregate_id: Any, cls: type[A]) -> A | None:
        # Every command's every read comes here: one lookup of the id (a UUID hashes in Python).
        if self.discarded:
            self._still_usable()
        found = self.aggregates.get(aggregate_id, _UNKNOWN)
        if found is _UNKNOWN:
            found = self.aggregates[aggregate_id] = self.app.load_directly(aggregate_id, EventSourced)
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
        if isinstance(changes, Changes):
            changed, claims = changes.aggregates, changes.claims
        else:
            changed, claims = changes, None
        aggregates, dirty, counts = self.aggregates, self.dirty, self.counts
        for aggregate in changed:
            key = aggregate.id
            aggregates.pop(key, None)  # the most recently changed last: see `remember`
            aggregates[key] = dirty[key] = aggregate
            now = len(aggregate.pending_events)
            self.pending += now - counts.get(key, 0)
            counts[key] = now
        if claims:
            self.claims.update(claims)
            self.unsaved_claims.update(claims)
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
                    Text(
                        "someone else wrote to the same records during a batch; the unsaved part is discarded ({problem})",
                        problem=str(e),
                    )
                ) from None
            raise
        self.saved_events += self.pending
        for aggregate_id in self.forget_when_saved:
            self.aggregates.pop(aggregate_id, None)
        self.forget_when_saved.clear()
        self.dirty.clear()
        self.counts.clear()
        self.claims.clear()  # saved: the store answers for them now (100,000 referrals held 25 MB)
        self.unsaved_claims.clear()
        self.pending = 0
        gc.collect(1)  # what was made since the last flush and is still alive (see `running_batch`)

    def discard(self) -> None:
        """Drop everything not yet saved, and every copy: after an error they may not match the
        store. The batch refuses to go on (a caller that caught the error must start a new one)."""
        self.discarded = True
        for held in (self.aggregates, self.dirty, self.counts, self.claims, self.unsaved_claims, self.forget_when_saved):
            held.clear()
        self.pending = 0

    def _still_usable(self) -> None:
        if self.discarded:
            raise RuntimeError("this batch was discarded after an error; what it had not saved is lost, start a new one")

    def remember(self) -> None:
        """Once everything is saved, remember the batch's aggregates as saved (the most recently
        changed, as many as the process keeps), so that the next command on one decides on memory."""
        self.app.memory.remember(list(self.aggregates.values())[-self.app.cache_size :])

    def forget(self, aggregate_ids: Iterator[Any] | Sequence[Any]) -> None:
        """Drop aggregates from memory (they are loaded again if needed): saved ones now, the
        others once they are saved (kept until then, a simulation's ended pathways, mostly
        ended that very week, stayed for good: most of its memory at 100,000 pathways)."""
        for aggregate_id in aggregate_ids:
            if aggregate_id in self.dirty:
                self.forget_when_saved.add(aggregate_id)
            else:
                self.aggregates.pop(aggregate_id, None)
