"""The `brobyg` console script."""

from __future__ import annotations

from cli import demo, reading, reports, simulate, transfer, writing  # noqa: F401  (they add their commands to the group)
from cli.app import cli


def main() -> None:
    cli(prog_name="brobyg")
