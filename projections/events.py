"""The aggregates whose events the read models handle, imported when the first event is handled:
a read whose models are caught up never makes eventsourcing's event classes (about 30 ms, a
tenth of a small command's start)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from brobyg.domain.mentor import Mentor
    from brobyg.domain.partnership import Partnership
    from brobyg.domain.pathway import Pathway


class Aggregates(NamedTuple):
    pathway: type[Pathway]
    mentor: type[Mentor]
    partnership: type[Partnership]


@functools.cache
def aggregates() -> Aggregates:
    from brobyg.domain.mentor import Mentor
    from brobyg.domain.partnership import Partnership
    from brobyg.domain.pathway import Pathway

    return Aggregates(Pathway, Mentor, Partnership)


class TouchedPathways:
    """The pathways a page's events touched: for a read model that works something out per
    pathway at its flush (the people's current state, a settled part, an active row)."""

    def __init__(self) -> None:
        self.streams: set[str] = set()
        self._pathway_event: type | None = None  # looked up on the first event (`aggregates`)

    def note(self, event: Any) -> None:
        # Three read models note every event of a rebuild: the class is looked up once.
        if self._pathway_event is None:
            self._pathway_event = aggregates().pathway.Event
        if isinstance(event, self._pathway_event):
            self.streams.add(event.originator_id.hex)

    def taken(self) -> Iterator[list[str]]:
        """The streams noted, in order, 500 at a time (bounded IN lists on both databases); the
        list is emptied."""
        streams, self.streams = sorted(self.streams), set()
        for start in range(0, len(streams), 500):
            yield streams[start : start + 500]
