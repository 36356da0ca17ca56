"""Counts kept in dicts, for the tallies that settled pathways are folded into."""

from __future__ import annotations

from typing import Any


def nonzero(counts: dict[Any, Any]) -> dict[Any, Any]:
    """The counts without the zeros (and nested counts without the empty ones), as a tally is
    stored: two tallies of the same pathways are then equal however they were reached (a
    rebuild, or adding and taking out)."""
    kept = {}
    for key, value in counts.items():
        value = nonzero(value) if isinstance(value, dict) else value
        if value:
            kept[key] = value
    return kept
