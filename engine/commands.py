"""What a command is and what it returns: shared by the application that runs commands one by
one and the batch that runs many in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from brobyg.engine.aggregate import EventSourced

T = TypeVar("T")


@dataclass(frozen=True)
class Changes:
    """What a command saves: aggregates with new events, and keys to claim (see `engine.claims`)."""

    aggregates: Sequence[EventSourced]
    claims: Mapping[str, str] = field(default_factory=dict)


Command = Callable[[], tuple[T, Sequence[EventSourced] | Changes]]
"""Loads what it needs, checks the rules, and returns its result and what to save. It may run
more than once (after a lost race), so it only reads until it returns."""
