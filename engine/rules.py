"""Rules: the violations they find, and a refusal if there are any.

A rule is a small function that returns the violations it finds. The engine
evaluates all rules for a command, so a refusal can name every unmet rule at once,
not just the first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from brobyg.engine.errors import Refused


@dataclass(frozen=True)
class Violation:
    """One unmet rule: its id (e.g. ``R6``) and a sentence a coordinator understands."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


def require(*found: Iterable[Violation]) -> None:
    """Raise `Refused` with every violation found, or return if there are none."""
    violations = [v for group in found for v in group]
    if violations:
        raise Refused(violations)
