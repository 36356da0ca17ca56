"""Rules and refusals.

A rule is a small function that returns the violations it finds. The engine
evaluates all rules for a command, so a refusal can name every unmet rule at once,
not just the first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """One unmet rule: its id (e.g. ``R6``) and a sentence a coordinator understands."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


class Refused(Exception):
    """A command was refused by one or more rules; nothing was written."""

    def __init__(self, violations: Iterable[Violation]) -> None:
        self.violations = list(violations)
        if not self.violations:
            raise ValueError("a refusal needs at least one violation")
        super().__init__(str(self))

    @property
    def rules(self) -> list[str]:
        return sorted({v.rule for v in self.violations})

    def __str__(self) -> str:
        # One line, however many rules: stderr shows exactly one line per refusal.
        return "; ".join(str(v) for v in self.violations)


class NotFound(Exception):
    """A case, mentor or partnership that does not exist."""


class Conflict(Exception):
    """Someone else changed the same records at the same moment, and a retry did not help."""


def require(*found: Iterable[Violation]) -> None:
    """Raise `Refused` with every violation found, or return if there are none."""
    violations = [v for group in found for v in group]
    if violations:
        raise Refused(violations)


class AlreadyExists(Exception):
    """A mentor or partnership with that id is already recorded."""


class InvalidInput(ValueError):
    """Malformed input that the command line should have caught: a usage error."""


class Stale(Exception):
    """Aggregates read at slightly different moments disagree: someone else changed one in
    between. The command is simply run again on fresh state (see `CommandApplication.run`)."""
