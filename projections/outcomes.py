"""Outcomes per intake cohort: the funnel from referral to qualification, beside the
evaluation's figures; and the time pathways spend in each state."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from typing import Any

from projections.timeline import Timeline

# The evaluation behind the guide, about four years after starting bridging.
BENCHMARK = {
    "completed_basic_course": {"participants": 0.22, "comparison": 0.12, "relative_increase": 0.83},
    "completed_main_course": {"participants": 0.18, "comparison": 0.15, "relative_increase": 0.20},
    "employed": {"participants": 0.26, "comparison": 0.22, "relative_increase": 0.18},
}

# The funnel: a pathway counts at a stage once it has ever entered that state.
FUNNEL = (
    ("referred", "referred"),
    ("bridging", "bridging"),
    ("basic_course_started", "basic_course"),
    ("basic_course_completed", "awaiting_main_course"),
    ("main_course", "main_course"),
    ("apprenticeship", "apprenticeship"),
    ("qualified", "qualified"),
)
SHARES = ("completed_basic_course", "completed_main_course", "employed", "dropped_out", "withdrawn", "active")
COHORTS = ("month", "quarter", "year")


def cohort_of(day: dt.date, cohort: str) -> str:
    if cohort == "month":
        return f"{day.year}-{day.month:02d}"
    if cohort == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if cohort == "year":
        return str(day.year)
    raise ValueError(f"unknown cohort {cohort!r}")


def _figures(group: list[Timeline], on: dt.date) -> dict[str, Any]:
    n = len(group)
    reached = [{t.state for t in tl.transitions if t.on <= on} for tl in group]
    final = [tl.state_on(on) for tl in group]
    counts = {stage: sum(state in r for r in reached) for stage, state in FUNNEL}
    counts |= {
        "employed": final.count("employed"),
        "dropped_out": final.count("dropped_out"),
        "withdrawn": final.count("withdrawn"),
        "active": sum(s not in ("qualified", "employed", "dropped_out", "withdrawn") for s in final),
    }

    def share(k: int) -> float:
        return round(k / n, 4) if n else 0.0

    return {
        "pathways": n,
        "completed_basic_course": share(counts["basic_course_completed"]),
        "completed_main_course": share(counts["qualified"]),
        "employed": share(counts["employed"]),
        "dropped_out": share(counts["dropped_out"]),
        "withdrawn": share(counts["withdrawn"]),
        "active": share(counts["active"]),
        "funnel": counts,
    }


def outcomes(timelines: dict[str, Timeline], on: dt.date, cohort: str = "quarter") -> dict[str, Any]:
    groups: dict[str, list[Timeline]] = defaultdict(list)
    for t in timelines.values():
        groups[cohort_of(t.referred_on, cohort)].append(t)
    return {
        "as_of": on,
        "cohort": cohort,
        "overall": _figures(list(timelines.values()), on),
        "cohorts": [{"cohort": key, **_figures(groups[key], on)} for key in sorted(groups)],
        "benchmark": BENCHMARK,
        "time_in_state": time_in_state(timelines, on, cohort),
        "time_in_state_overall": time_in_state(timelines, on, None),
    }


def percentile(values: list[int], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least q of the values at or below it."""
    ordered = sorted(values)
    return float(ordered[max(math.ceil(q * len(ordered)) - 1, 0)])


def time_in_state(timelines: dict[str, Timeline], on: dt.date, cohort: str | None = "quarter") -> list[dict[str, Any]]:
    """Median and 90th percentile of the days spent in each state, over stays that have ended
    (per cohort, or over all pathways with ``cohort=None``)."""
    days: dict[tuple[str, str], list[int]] = defaultdict(list)
    for t in timelines.values():
        key = cohort_of(t.referred_on, cohort) if cohort else "all"
        for state, entered, left in t.spells(on):
            if left is not None:
                days[(key, state)].append((left - entered).days)
    return [
        {
            "cohort": key,
            "state": state,
            "stays": len(values),
            "median_days": float(statistics.median(values)),
            "p90_days": percentile(values, 0.9),
        }
        for (key, state), values in sorted(days.items())
    ]
