"""Outcomes per intake cohort: the funnel from referral to qualification, beside the
evaluation's figures; and the time pathways spend in each state."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from brobyg.domain.terms import (
    APPRENTICESHIP,
    AWAITING_MAIN_COURSE,
    BASIC_COURSE,
    BRIDGING,
    DROPPED_OUT,
    EMPLOYED,
    MAIN_COURSE,
    OUTCOME_STATES,
    QUALIFIED,
    REFERRED,
    WITHDRAWN,
)
from brobyg.projections.timeline import Timeline

# The evaluation behind the guide, about four years after starting bridging.
BENCHMARK = {
    "completed_basic_course": {"participants": 0.22, "comparison": 0.12, "relative_increase": 0.83},
    "completed_main_course": {"participants": 0.18, "comparison": 0.15, "relative_increase": 0.20},
    "employed": {"participants": 0.26, "comparison": 0.22, "relative_increase": 0.18},
}

# The funnel: a pathway counts at a stage once it has ever entered that state.
FUNNEL = (
    ("referred", REFERRED),
    ("bridging", BRIDGING),
    ("basic_course_started", BASIC_COURSE),
    ("basic_course_completed", AWAITING_MAIN_COURSE),
    ("main_course", MAIN_COURSE),
    ("apprenticeship", APPRENTICESHIP),
    ("qualified", QUALIFIED),
)
# Each share and the funnel count it is of the pathways.
SHARE_OF = {
    "completed_basic_course": "basic_course_completed",
    "completed_main_course": "qualified",
    "employed": "employed",
    "dropped_out": "dropped_out",
    "withdrawn": "withdrawn",
    "active": "active",
}
SHARES = tuple(SHARE_OF)
# The funnel counts of final states; with those who end qualified they add up to the pathways.
FINALS = ("employed", "dropped_out", "withdrawn", "active")
COHORTS = ("month", "quarter", "year")


def cohort_of(day: dt.date, cohort: str) -> str:
    if cohort == "month":
        return f"{day.year}-{day.month:02d}"
    if cohort == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if cohort == "year":
        return str(day.year)
    raise ValueError(f"unknown cohort {cohort!r}")


@dataclass(frozen=True)
class _Summary:
    """What the report needs of one pathway, worked out once."""

    stream: str
    cohort: str
    reached: frozenset[str]
    final: str | None
    stays: tuple[tuple[str, int], ...]  # (state, days) of every ended stay


def _summary(t: Timeline, on: dt.date, cohort: str) -> _Summary:
    shown = [x for x in t.transitions if x.on <= on]
    stays = tuple((a.state, (b.on - a.on).days) for a, b in itertools.pairwise(shown))
    return _Summary(
        t.stream, cohort_of(t.referred_on, cohort), frozenset(x.state for x in shown), shown[-1].state if shown else None, stays
    )


def _figures(group: list[_Summary]) -> dict[str, Any]:
    n = len(group)
    finals = Counter(s.final for s in group)
    counts = {stage: sum(state in s.reached for s in group) for stage, state in FUNNEL}
    counts |= {
        "employed": finals[EMPLOYED],
        "dropped_out": finals[DROPPED_OUT],
        "withdrawn": finals[WITHDRAWN],
        "active": n - sum(finals[state] for state in OUTCOME_STATES),
    }

    def share(k: int) -> float:
        return round(k / n, 4) if n else 0.0

    return {"pathways": n, **{name: share(counts[k]) for name, k in SHARE_OF.items()}, "funnel": counts}


def outcomes(timelines: dict[str, Timeline], on: dt.date, cohort: str = "quarter") -> dict[str, Any]:
    summaries = [_summary(t, on, cohort) for t in timelines.values()]
    groups: dict[str, list[_Summary]] = defaultdict(list)
    for s in summaries:
        groups[s.cohort].append(s)
    return {
        "as_of": on,
        "cohort": cohort,
        "overall": _figures(summaries),
        "cohorts": [{"cohort": key, **_figures(groups[key])} for key in sorted(groups)],
        "benchmark": BENCHMARK,
        "time_in_state": _time_in_state(summaries, by_cohort=True),
        "time_in_state_overall": _time_in_state(summaries, by_cohort=False),
    }


def percentile(values: list[int], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least q of the values at or below it."""
    ordered = sorted(values)
    return float(ordered[max(math.ceil(q * len(ordered)) - 1, 0)])


def _time_in_state(summaries: list[_Summary], by_cohort: bool) -> list[dict[str, Any]]:
    """Median and 90th percentile of the days spent in each state, over stays that have ended
    (per cohort, or over all pathways), and how many young people (`pathways`) made those stays."""
    days: dict[tuple[str, str], list[int]] = defaultdict(list)
    people: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s in summaries:
        key = s.cohort if by_cohort else "all"
        for state, length in s.stays:
            days[(key, state)].append(length)
            people[(key, state)].add(s.stream)
    return [
        {
            "cohort": key,
            "state": state,
            "stays": len(values),
            "pathways": len(people[(key, state)]),
            "median_days": float(statistics.median(values)),
            "p90_days": percentile(values, 0.9),
        }
        for (key, state), values in sorted(days.items())
    ]
