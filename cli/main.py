"""The `brobyg` console script."""

from __future__ import annotations

import gc

from brobyg.cli import (  # noqa: F401  (they add their commands to the group)
    access,
    access_log,
    corrections,
    demo,
    find,
    personal,
    projections_admin,
    reading,
    reports,
    simulate,
    transfer,
    views,
    writing,
)
from brobyg.cli.app import cli


def main() -> None:
    # One command, one process. Importing SQLAlchemy and the projections makes a few hundred
    # thousand objects, and with the default thresholds the collector walks them again and again
    # as they come; at exit it would walk them all once more, for a process about to end. So it
    # looks for cycles after every 50,000 new objects instead of 700, and what is alive when the
    # command ends is left out of the last collections (gc.freeze). A reading command: about a
    # fifth less time; a long one (simulate, follow) is still collected as it goes.
    gc.set_threshold(50_000, 10, 10)
    try:
        cli(prog_name="brobyg")
    finally:
        gc.freeze()
