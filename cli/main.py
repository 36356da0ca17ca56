"""The `brobyg` console script.

A command imports the module that defines it, not every command's: the reading commands run
most are listed in `ONLY` with their modules; any other command, `--help`, `--version` and shell
completion import every module (`tests/test_startup_commands.py` checks `ONLY` against the
group with every module imported). `from brobyg.cli.main import cli` gives that whole group.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from typing import Any

# Every module that adds commands to the group.
MODULES = (
    "access",
    "access_log",
    "corrections",
    "demo",
    "find",
    "personal",
    "projections_admin",
    "reading",
    "reports",
    "simulate",
    "transfer",
    "views",
    "writing",
)
# A reading command and the modules that define it (with whatever they import themselves).
ONLY: dict[str, tuple[str, ...]] = {
    "caseload": ("views",),
    "risk": ("views",),
    "agenda": ("views",),
    "find": ("find",),
    "show": ("reading",),
    "history": ("reading",),
    "next": ("reading",),
    "report": ("reports",),
}
# The group's options that take a value (`cli.app.cli`), as they may come before the command.
VALUED = frozenset({"--db", "--as", "--today", "--lang"})


def command_named(args: Sequence[str]) -> str | None:
    """The command `args` ask for, or None: no command (`brobyg --help`), or an option before it
    that is not one of the group's options with a value (click then says what it says)."""
    taking_value = False
    for arg in args:
        if taking_value:
            taking_value = False
        elif arg in VALUED:
            taking_value = True
        elif arg.startswith("-"):
            if arg.split("=", 1)[0] not in VALUED or "=" not in arg:
                return None
        else:
            return arg
    return None


def load(args: Sequence[str] | None) -> None:
    """Import the command modules `args` need (None: every one)."""
    name = command_named(args) if args is not None else None
    completing = any(key.startswith("_BROBYG_COMPLETE") for key in os.environ)
    for module in ONLY.get(name or "", MODULES) if not completing else MODULES:
        __import__(f"brobyg.cli.{module}")  # as an import statement does (and `-X importtime` counts)


def __getattr__(name: str) -> Any:
    """`from brobyg.cli.main import cli`: the group with every command."""
    if name == "cli":
        load(None)
        from brobyg.cli.app import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    # One command, one process. Importing SQLAlchemy and the projections makes a few hundred
    # thousand objects, and with the default thresholds the collector walks them again and again
    # as they come; at exit it would walk them all once more, for a process about to end. So it
    # looks for cycles after every 50,000 new objects instead of 700, and what is alive when the
    # command ends is left out of the last collections (gc.freeze). A reading command: about a
    # fifth less time; a long one is still collected as it goes (`follow`; `simulate` once a flush).
    gc.set_threshold(50_000, 10, 10)
    load(sys.argv[1:])
    from brobyg.cli.app import cli

    try:
        cli(prog_name="brobyg")
    finally:
        gc.freeze()
