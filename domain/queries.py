"""Questions asked of one pathway: what may happen next, and what has happened.

They read, never write, so they stand apart from the commands in `domain.application`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from brobyg.domain import rules
from brobyg.domain.application import Brobyg
from brobyg.domain.workflow import PATHWAY
from brobyg.engine.personal import ERASED
from brobyg.engine.workflow import TriggerCheck


@dataclass(frozen=True)
class HistoryEntry:
    event: str
    on: dt.date
    recorded_at: dt.datetime
    actor: str
    login: str | None  # None: not recorded (events stored before logins were)
    fields: dict[str, Any]
    no: int  # its number in the stream (`brobyg void CASE NO`)
    voided: dict[str, Any] | None  # by, at, reason, once voided (R15)


def next_steps(app: Brobyg, case: str) -> list[TriggerCheck]:
    """Each trigger from the pathway's state: allowed, or the rules that block it today."""
    p = app.pathway(case)
    if p.erased:  # nothing more is recorded on an erased person's case
        return []
    today = app.clock.today()
    steps = []
    for trigger in PATHWAY.triggers_from(p.state):
        check = PATHWAY.check(p, p.state, trigger, {"on": today})
        late = rules.r13_effective_date(today, today, p.last_on)
        steps.append(TriggerCheck(trigger, check.target, [*late, *check.violations]))
    return steps


def history(app: Brobyg, case: str) -> list[HistoryEntry]:
    """Every event of the pathway, oldest first."""
    p = app.pathway(case)
    return [_entry(event, p.voided.get(event.originator_version)) for event in app.events.get(p.id)]


_BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "on", "actor", "login", "originator_topic"}


def _entry(event: Any, voided: tuple[str, dt.datetime, str] | None) -> HistoryEntry:
    fields = {k: v for k, v in vars(event).items() if k not in _BASE_FIELDS}
    for name in getattr(type(event), "PERSONAL_DATES", ()):  # a personal date is missing only once erased
        if fields.get(name) is None:
            fields[name] = ERASED
    return HistoryEntry(
        type(event).__name__,
        event.on,
        event.timestamp,
        event.actor,
        event.login,
        fields,
        event.originator_version,
        None if voided is None else {"by": voided[0], "at": voided[1], "reason": voided[2]},
    )
