"""An injectable clock: "today" is a value, so every rule and view is deterministic in tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Clock:
    """Tells what today is. `fixed` pins it (``--today``); otherwise the real date.

    A `simulated` clock also records events at noon of their effective date instead of at
    the real time, so the same simulation always writes the same bytes.
    """

    fixed: dt.date | None = None
    simulated: bool = False

    def today(self) -> dt.date:
        return self.fixed or dt.date.today()

    def recorded_at(self, on: dt.date) -> dt.datetime | None:
        """When an event taking effect `on` is recorded (None: now, as eventsourcing does)."""
        return dt.datetime.combine(on, dt.time(12), dt.UTC) if self.simulated else None
