"""The application base: eventsourcing's `Application` with a store URL, a clock, an
actor, and commands that survive a lost race.

Saving a stale aggregate raises eventsourcing's `IntegrityError` (optimistic
concurrency). A command is a function that loads what it needs, checks the rules and
returns the aggregates to save; if someone else saved first, it simply runs again on
fresh state (and may then be refused by the rules), a few times, before giving up
with a clear `Conflict`. A first attempt decides on what the process remembers
(`engine.memory`); many commands can share one transaction (`engine.batch`).
"""

from __future__ import annotations

import contextlib
import random
import time
from functools import cached_property
from typing import Any, TypeVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, InternalError, JSONTranscoder, Mapper, ProgrammingError, Transcoder

from brobyg.engine.aggregate import DateAsISO, EventSourced
from brobyg.engine.batch import Batch, running_batch
from brobyg.engine.clock import Clock
from brobyg.engine.commands import Changes, Command
from brobyg.engine.errors import Conflict, MemoryBehind, Stale
from brobyg.engine.event_types import ClosedMapper, EventTypes
from brobyg.engine.identity import login_of
from brobyg.engine.master_key import load_master_key
from brobyg.engine.memory import Memory
from brobyg.engine.overrides import ApplicationOverrides, replay
from brobyg.engine.personal import PersonalData, is_sealed
from brobyg.engine.store import Store
from brobyg.engine.text import N_
from brobyg.engine.transcoder import OrjsonTranscoder

# A store made by the simulator says so with this claim, so that it may run ahead of the real
# date (R13); a claim goes wherever the store's events go, export and import included.
SIMULATED = ("store:simulated", "simulator")

T = TypeVar("T")
A = TypeVar("A", bound=EventSourced)


class CommandApplication(ApplicationOverrides):
    """The only writer: every command goes through `run`."""

    retries = 10
    cache_size = 1_000  # aggregates kept in memory between commands
    retried = 0  # how many times a command ran again after losing a race (for the benchmarks)
    refreshed = 0  # how many first attempts, decided on remembered aggregates, ran again on fresh ones
    open_batch: Batch | None = None  # while `batch` is open, `run` and `load` go through it
    aggregates: tuple[type[EventSourced], ...] = ()  # the only types ever read from the log

    def __init__(
        self, store: Store, clock: Clock | None = None, actor: str = "system", personal: PersonalData | None = None
    ) -> None:
        store.prepare()
        self.store = store
        self.memory = Memory(self)
        self.clock = clock or Clock()
        self.actor = actor
        # `personal`: a reader's (`engine.reader`), whose lookups come here once the application is built.
        self.personal = personal or PersonalData(self._claims_held, lambda create: load_master_key(create=create))
        # A long-running process (a service, a simulation) keeps recently used aggregates
        # and, on each load, reads only the events saved since (eventsourcing's fast-forward),
        # instead of replaying a whole pathway for every command.
        env = {"AGGREGATE_CACHE_MAXSIZE": str(self.cache_size), **store.eventsourcing_env}
        for attempt in range(10):
            try:
                super().__init__(env=env)
                break
            except (InternalError, ProgrammingError, IntegrityError):
                # Several processes creating the tables at the same moment (PostgreSQL says
                # "tuple concurrently updated"): the others have made them; look again.
                if attempt == 9:
                    raise
                time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))

    @classmethod
    def events_table(cls) -> str:
        """The events table's name on PostgreSQL (eventsourcing names it after the application)."""
        return f"{cls.name.lower()}_events"

    def log_head(self) -> int:
        """The notification log's last id (on PostgreSQL the settled head: `engine.overrides`)."""
        return self.recorder.max_notification_id() or 0

    def is_simulated(self) -> bool:
        return self.recorder.holder(SIMULATED[0]) is not None  # type: ignore[attr-defined]

    def mark_simulated(self) -> bool:
        """Mark an empty store as made by the simulator; False if it holds events and is not."""
        if self.is_simulated():
            return True
        return bool(self.recorder.insert_into_empty([], dict([SIMULATED])))  # type: ignore[attr-defined]

    def implausible(self, before: EventSourced | None, event: Any) -> str | None:
        """What is wrong with a stored event read from a file, given the aggregate it follows
        (None for a creation event); None if nothing. The domain knows its own facts."""
        return None

    def implausible_log(self, claims: dict[str, str], aggregates: list[EventSourced], person_secret: bytes | None) -> str | None:
        """What is wrong across a file's streams and claims, given every aggregate it replays to
        and the secret its claims were keyed with (None: a file written before encryption)."""
        return None

    def rekeyed_claims(self, claims: dict[str, str], aggregates: list[EventSourced]) -> dict[str, str]:
        """A checked file's claims as this store keys them (its own secret)."""
        return dict(claims)

    @cached_property
    def login(self) -> str:
        """The account every event of this process is written by (`engine.identity`)."""
        return login_of(self)

    def construct_mapper(self) -> Mapper[Any]:
        library = super().construct_mapper()
        return ClosedMapper(
            EventTypes(self.aggregates),
            self.personal,
            transcoder=library.transcoder,
            compressor=library.compressor,
            cipher=library.cipher,
        )

    def construct_transcoder(self) -> Transcoder:
        """The events' JSON as eventsourcing writes it, by orjson (`engine.transcoder`)."""
        transcoder = OrjsonTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def _claims_held(self, keys: list[str]) -> dict[str, str]:
        return self.recorder.holders(keys)  # type: ignore[attr-defined]

    def save(self, *aggregates: Any, **kwargs: Any) -> Any:
        """Every save carries the data keys its personal fields are sealed with (`engine.personal`)."""
        kwargs["claims"] = {**kwargs.get("claims", {}), **self.personal.claims_for(aggregates)}
        try:
            recordings = super().save(*aggregates, **kwargs)
        except BaseException:
            self.personal.saved(committed=False)
            raise
        self.personal.saved(committed=True)
        return recordings

    def run(self, command: Command[T]) -> T:
        """Run a command and save what it returns atomically; retry if we lost a race."""
        if self.open_batch is not None:
            return self.open_batch.run(command)
        for attempt in range(1 + self.retries):  # a first attempt on memory, then ten on the store
            try:
                return self._attempt(command, from_memory=attempt == 0)
            except MemoryBehind:
                self.refreshed += 1  # memory was behind the store, or the rules refused: look, at once
            except (IntegrityError, Stale):
                # Someone saved one of these aggregates first: back off, reload, re-check.
                self.retried += 1
                time.sleep(random.uniform(0, min(0.01 * 2**attempt, 0.5)))  # spread the contenders out
        raise Conflict(N_("changed by someone else at the same moment; nothing was written, try again"))

    def _attempt(self, command: Command[T], from_memory: bool) -> T:
        with self.memory.deciding(from_memory) as reads:
            result, changes = command()
        if not isinstance(changes, Changes):
            changes = Changes(changes)
        with self.memory.saving(reads, changes.aggregates):
            self.save(*changes.aggregates, claims=changes.claims)
        self.memory.remember(changes.aggregates)
        return result

    def load(self, aggregate_id: Any, cls: type[A]) -> A | None:
        """The aggregate, if it exists and is a `cls`: from the open batch, memory or the store."""
        if self.open_batch is not None:
            return self.open_batch.load(aggregate_id, cls)
        return self.load_directly(aggregate_id, cls)

    def load_directly(self, aggregate_id: Any, cls: type[A]) -> A | None:
        """`load`, past any open batch (the batch's own loads come here)."""
        aggregate = self.memory.recall(aggregate_id)
        if aggregate is None:
            known = self.memory.known_version(aggregate_id)
            try:  # eventsourcing's repository: from memory after reading any newer events, or replayed
                aggregate = self.repository.get(aggregate_id, projector_func=replay)
            except AggregateNotFoundError:
                return None
            if known is not None:  # newer events than this process saved or saw: others write here too
                self.memory.note(aggregate_id, written_elsewhere=aggregate.version > known)
        if not isinstance(aggregate, cls):
            return None
        return aggregate

    @cached_property
    def sql_engine(self) -> Any:
        """SQLAlchemy on the same database, for read models (created on first use)."""
        return self.store.sqlalchemy_engine()

    def holder(self, key: str) -> str | None:
        """Who holds a claimed key, if anyone."""
        if self.open_batch is not None and key in self.open_batch.claims:
            return self.open_batch.claims[key]
        return self.recorder.holder(key)  # type: ignore[attr-defined]

    def first_holder(self, keys: list[str]) -> str | None:
        """Who holds the first of `keys` that is claimed, if any: `holder` of each in turn, in
        one query (a referral asks for two keys, and a simulation makes thousands)."""
        pending = self.open_batch.claims if self.open_batch is not None else {}
        stored: dict[str, str] | None = None
        for key in keys:
            if key in pending:
                held: str | None = pending[key]
            else:
                if stored is None:
                    stored = self.recorder.holders([k for k in keys if k not in pending])  # type: ignore[attr-defined]
                held = stored.get(key)
            if held:
                return held
        return None

    def batch(self, flush_every: int = 20_000) -> contextlib.AbstractContextManager[Batch]:
        """Run many commands as one writer, saving every `flush_every` events in one transaction
        (see `engine.batch`)."""
        return running_batch(self, flush_every)

    def holds_personal_in_clear(self, stream: Any) -> bool:
        """Whether a stored event of the stream has a personal field in clear (written before
        encryption): no erasure reaches those."""
        for stored in self.recorder.select_events(stream):
            names = getattr(self.mapper.event_types.events.get(stored.topic), "PERSONAL", ())  # type: ignore[attr-defined]
            if names:
                raw = stored.state  # as the mapper reads it (brobyg sets neither a cipher nor a compressor)
                raw = self.mapper.cipher.decrypt(raw) if self.mapper.cipher else raw
                raw = self.mapper.compressor.decompress(raw) if self.mapper.compressor else raw
                state = self.mapper.transcoder.decode(raw)
                if any(state.get(name) is not None and not is_sealed(state[name]) for name in names):
                    return True
        return False

    def count_events(self) -> int:
        """The log's head: how many events the store holds, except that on PostgreSQL a save that
        lost a race may have taken a notification id it never used (the head is then higher)."""
        return self.recorder.max_notification_id() or 0
