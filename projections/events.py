"""The aggregates whose events the read models handle, imported when the first event is handled:
a read whose models are caught up never makes eventsourcing's event classes (about 30 ms, a
tenth of a small command's start)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, NamedTuple

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
