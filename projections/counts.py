"""Counts kept in dicts, for the tallies that settled pathways are folded into."""

from __future__ import annotations

from typing import Any


def bump(counts: dict[Any, int], key: Any, by: int) -> None:
    """Add `by` (negative: take away) to one count, leaving no zero behind, so two tallies of
    the same pathways are equal however they were reached (a rebuild, or adding and taking out)."""
    counts[key] = counts.get(key, 0) + by
    if not counts[key]:
        del counts[key]
