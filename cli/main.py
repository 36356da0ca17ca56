"""The `brobyg` console script."""

from __future__ import annotations

from brobyg.cli import access, access_log, demo, personal, projections_admin, reading, reports, simulate, transfer, views, writing  # noqa: F401  (they add their commands to the group)
from brobyg.cli.app import cli


def main() -> None:
    cli(prog_name="brobyg")
