"""The `brobyg` console script."""

from __future__ import annotations

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
    cli(prog_name="brobyg")
