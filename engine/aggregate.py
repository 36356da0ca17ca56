"""The event-sourced aggregate base.

Commands check rules, then record an event; an event's ``apply`` sets state by plain
assignment. Replaying stored events therefore never evaluates a guard: rules change
over time, history does not.

Every event carries its effective date (``on``), the actor who recorded it, and the
time it was recorded (eventsourcing's ``timestamp``).

Topics are explicit and stable: each aggregate and each of its events names its own
``TOPIC``, so modules can move without breaking stored events. An aggregate declares
its own ``Event`` base (so eventsourcing does not redefine the nested events) and
points ``Created`` at its creation event.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Transcoding

# Stream ids are derived from ids people type (case, mentor, partnership), never from
# personal data, so the same name always finds the same stream.
STREAM_NAMESPACE = uuid.UUID("6f1c8c1e-3b0e-4d55-9a51-2a8f0f6b7a10")


@functools.lru_cache(maxsize=65_536)
def stream_id(kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(STREAM_NAMESPACE, f"{kind}:{key}")


class EventSourced(Aggregate):
    """Base of every aggregate: events know when they took effect and who recorded them."""

    class Event(Aggregate.Event):
        """Every event: when it took effect (`on`), who acted (`actor`: the person the command
        was given for), and the account that wrote it (`login`: the database login, or the
        operating-system user on an embedded store)."""

        on: dt.date
        actor: str
        login: str | None  # None: not recorded (stored before class version 2)

        # Version 2 added `login`. An event's shape changes only with its class version and an
        # upcaster from the version before (docs/events.md); eventsourcing's mapper runs the
        # chain whenever a stored event is read.
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["login"] = None

    def record(
        self, event_class: type[Any], on: dt.date, actor: str, at: dt.datetime | None = None, *, login: str, **fields: Any
    ) -> None:
        """Record an event that took effect `on`, by `actor` through the account `login`,
        recorded `at` (default: now); its ``apply`` changes the state."""
        self.trigger_event(event_class, on=on, actor=actor, login=login, timestamp=at, **fields)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        # eventsourcing hands each command a deep copy of a cached aggregate. State here is
        # flat (values, and dicts, lists and sets of values; events are frozen), so copying
        # the containers is a deep copy, at a fraction of `copy.deepcopy`'s cost.
        clone = object.__new__(type(self))
        clone.__dict__.update({name: _copy_containers(value) for name, value in self.__dict__.items()})
        return clone


def _copy_containers(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy_containers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_containers(v) for v in value]
    if isinstance(value, set):
        return set(value)
    return value


class DateAsISO(Transcoding):
    """Effective dates are plain dates, stored as ISO text."""

    type = dt.date
    name = "date_iso"

    def encode(self, obj: dt.date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> dt.date:
        return dt.date.fromisoformat(data)
