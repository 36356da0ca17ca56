"""Every exception the engine raises, in one place, so that callers (the domain, the command
line, the tests) import what they catch from one module and the command line can map each to
its exit code and label."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brobyg.engine.rules import Violation


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


class AlreadyExists(Exception):
    """A mentor or partnership with that id is already recorded."""


class InvalidInput(ValueError):
    """Malformed input that the command line should have caught: a usage error."""


class Stale(Exception):
    """Aggregates read at slightly different moments disagree: someone else changed one in
    between. The command is simply run again on fresh state (see `CommandApplication.run`)."""


class MemoryBehind(Exception):
    """A first attempt decided on remembered aggregates failed: run it again on what the store
    holds (see `engine.memory`). Never leaves `CommandApplication.run`."""


class NotAllowed(Exception):
    """The login may not do this (a role's limit); nothing was written."""


class UntrustedEvent(Exception):
    """A stored or imported event that is not one of brobyg's own types, or does not decode as
    one: it is never resolved, applied or written."""


class StoreUrlError(ValueError):
    """The database URL cannot be used."""


class TransferError(InvalidInput):
    """The file cannot be imported: malformed, another format, or incomplete."""


class KeyFileError(Exception):
    """The master key is missing, unreadable or not the store's: nothing is read or written."""


class AccessNotLogged(Exception):
    """A showing of a person's data could not be written to the access log, so nothing was shown."""
