"""An injectable clock: "today" is a value, so every rule and view is deterministic in tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Clock:
    """Tells what today is. `fixed` pins it (``--today``); otherwise the real date."""

    fixed: dt.date | None = None

    def today(self) -> dt.date:
        return self.fixed or dt.date.today()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)
