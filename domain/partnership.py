"""A partnership (samarbejdskontrakt): a jobcentre, a school and a committed number of places (R14)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from brobyg.engine.aggregate import EventSourced, stream_id


class Partnership(EventSourced):
    TOPIC = "brobyg:Partnership"

    if TYPE_CHECKING:  # state set by the events (not constructor arguments)
        since: dt.date  # when it was recorded: nothing happens with it before (R13)
        partnership: str
        jobcentre: str
        school: str
        places: int
        price_per_place: int | None

    @staticmethod
    def id_for(partnership: str) -> Any:
        return stream_id("partnership", partnership)

    class Event(EventSourced.Event):
        """Base of the partnership's events (its own, so eventsourcing keeps the nested classes as written)."""

    class Added(Event, Aggregate.Created):
        TOPIC = "brobyg:Partnership.Added"
        partnership: str
        jobcentre: str
        school: str
        places: int
        price_per_place: int | None

        def apply(self, p: Partnership) -> None:
            p.since = self.on
            p.partnership = self.partnership
            p.jobcentre = self.jobcentre
            p.school = self.school
            p.places = self.places
            p.price_per_place = self.price_per_place

    Created = Added
