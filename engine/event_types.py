"""A closed set of event types: only the application's own aggregates and events are ever
resolved from a stored or imported topic.

eventsourcing resolves a topic (``module:Class``) with importlib, and a creation event's
``originator_topic`` the same way, so a forged line in the log could import any module. The
application names its aggregates; every topic outside them is refused before anything is
imported or decoded, naming the stream and version.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Mapper, StoredEvent

from brobyg.engine.errors import UntrustedEvent
from brobyg.engine.personal import PersonalData
from brobyg.engine.text import Text


class EventTypes:
    """The topics of some aggregates and of the events nested in them, and their classes."""

    def __init__(self, aggregates: Iterable[type[Aggregate]]) -> None:
        self.aggregates: dict[str, type[Aggregate]] = {}
        self.events: dict[str, type[Any]] = {}
        for aggregate in aggregates:
            self.aggregates[_topic(aggregate)] = aggregate
            for value in vars(aggregate).values():
                if isinstance(value, type) and issubclass(value, Aggregate.Event) and "TOPIC" in vars(value):
                    self.events[_topic(value)] = value

    def event_class(self, stored: StoredEvent) -> type[Any]:
        found = self.events.get(stored.topic)
        if found is None:
            raise UntrustedEvent(Text("{where}: {topic!r} is not a brobyg event type", where=_where(stored), topic=stored.topic))
        return found

    def check_aggregate(self, stored: StoredEvent, topic: object) -> None:
        if not isinstance(topic, str) or topic not in self.aggregates:
            raise UntrustedEvent(Text("{where}: {topic!r} is not a brobyg aggregate type", where=_where(stored), topic=topic))


def _topic(cls: type) -> str:
    topic = vars(cls).get("TOPIC")
    if not isinstance(topic, str):
        raise TypeError(f"{cls.__qualname__} names no TOPIC of its own; stored topics must not follow module names")
    return topic


def _where(stored: StoredEvent) -> str:
    return Text("stream {stream} version {version}", stream=stored.originator_id, version=stored.originator_version)


class ClosedMapper(Mapper[Any]):
    """eventsourcing's mapper, resolving only `EventTypes`' topics, with every event class's
    personal fields sealed on the way in and opened on the way out (`engine.personal`)."""

    def __init__(self, event_types: EventTypes, personal: PersonalData, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.event_types = event_types
        self.personal = personal

    def prepare(self, stored_events: Iterable[StoredEvent]) -> None:
        """Before reading many events (a page of a catch-up): unwrap the data keys of their
        streams with one query instead of one per stream."""
        self.personal.prefetch(
            e.originator_id for e in stored_events if getattr(self.event_types.events.get(e.topic), "PERSONAL", ())
        )

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        if not getattr(type(domain_event), "PERSONAL", ()):
            return super().to_stored_event(domain_event)
        state = dict(vars(domain_event))
        self.personal.seal(domain_event, state)
        sealed = object.__new__(type(domain_event))
        object.__setattr__(sealed, "__dict__", state)
        return super().to_stored_event(sealed)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event_class = self.event_types.event_class(stored_event)
        event = super().to_domain_event(stored_event)  # resolves only a registered topic now
        if type(event) is not event_class:
            raise UntrustedEvent(
                Text("{where}: {topic!r} resolved to another class", where=_where(stored_event), topic=stored_event.topic)
            )
        if "originator_topic" in vars(event):  # a creation event names the aggregate to create
            self.event_types.check_aggregate(stored_event, vars(event)["originator_topic"])
        if getattr(event_class, "PERSONAL", ()):
            self.personal.open(event_class, event.originator_id, stored_event.originator_version, vars(event))
        if getattr(event_class, "FORGETS_PERSONAL_DATA", False):  # an erasure, seen by any process: drop its key
            self.personal.forget(event.originator_id)
        return event
