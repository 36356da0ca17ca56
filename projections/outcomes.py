"""Outcomes: the evaluation's horizons (each pathway seen exactly 25 weeks, 1½, 2½ and 4 years
after its referral, beside the evaluation's figures), the funnel per intake cohort so far, and
the time pathways spend in each state."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from brobyg.domain.terms import (
    APPRENTICESHIP,
    AWAITING_MAIN_COURSE,
    BASIC_COURSE,
    BRIDGING,
    DROPPED_OUT,
    EDUCATION_OR_LATER,
    EMPLOYED,
    MAIN_COURSE,
    OUTCOME_STATES,
    QUALIFIED,
    REFERRED,
    WITHDRAWN,
)
from brobyg.engine.text import N_

if TYPE_CHECKING:  # the command line imports this module's labels: no SQLAlchemy for --help
    from brobyg.projections.timeline import Timeline

# The evaluation behind the guide, about four years after starting bridging.
BENCHMARK = {
    "completed_basic_course": {"participants": 0.22, "comparison": 0.12, "relative_increase": 0.83},
    "completed_main_course": {"participants": 0.18, "comparison": 0.15, "relative_increase": 0.20},
    "employed": {"participants": 0.26, "comparison": 0.22, "relative_increase": 0.18},
}

# --- the evaluation's horizons -------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One of the evaluation's figures: what holds for a pathway seen on a day, and the shares
    the evaluation found (the comparison group's is published for the four-year figures only)."""

    name: str
    holds: Callable[[Timeline, dt.date], bool]
    participants: float
    comparison: float | None = None


def _reached(state: str) -> Callable[[Timeline, dt.date], bool]:
    return lambda t, day: any(x.state == state and x.on <= day for x in t.transitions)


def _in(states: tuple[str, ...]) -> Callable[[Timeline, dt.date], bool]:
    return lambda t, day: t.state_on(day) in states


# Horizon key: (days after the referral, the figures seen then). The four-year figures are the
# guide's; the intermediate ones the evaluation's, about (34 %, 30 %, 20 %).
HORIZONS: dict[str, tuple[int, tuple[Figure, ...]]] = {
    "25w": (25 * 7, (Figure("in_education", _in(EDUCATION_OR_LATER), 0.34),)),
    "1.5y": (round(365.25 * 1.5), (Figure("started_basic_course", _reached(BASIC_COURSE), 0.30),)),
    "2.5y": (round(365.25 * 2.5), (Figure("completed_basic_course", _reached(AWAITING_MAIN_COURSE), 0.20),)),
    "4y": (
        round(365.25 * 4),
        (
            Figure("completed_basic_course", _reached(AWAITING_MAIN_COURSE), 0.22, 0.12),
            Figure("completed_main_course", _reached(QUALIFIED), 0.18, 0.15),
            Figure("employed", _in((EMPLOYED,)), 0.26, 0.22),
        ),
    ),
}
# How people read each horizon and each figure or share (marked for the catalogue; English as
# the tables have always shown them: the name with spaces). The order is the one shown: the
# evaluation's own comparison first.
HORIZON_LABELS = {"4y": N_("4 years"), "25w": N_("25 weeks"), "1.5y": N_("1½ years"), "2.5y": N_("2½ years")}
FIGURE_LABELS = {
    "in_education": N_("in education"),
    "started_basic_course": N_("started basic course"),
    "completed_basic_course": N_("completed basic course"),
    "completed_main_course": N_("completed main course"),
    "employed": N_("employed"),
    "dropped_out": N_("dropped out"),
    "withdrawn": N_("withdrawn"),
    "active": N_("active"),
}
THE_COMPARISON = "4y"  # the horizon the guide's effects are measured at
STILL_RUNNING_DAYS = HORIZONS[THE_COMPARISON][0]  # a cohort is still running until all are seen this long after


def wilson(hits: int, of: int, z: float = 1.959964) -> tuple[float, float]:
    """The 95 % Wilson score interval of hits/of: sound for small groups and shares near 0 or 1."""
    p = hits / of
    centre = (p + z * z / (2 * of)) / (1 + z * z / of)
    half = z * math.sqrt(p * (1 - p) / of + z * z / (4 * of * of)) / (1 + z * z / of)
    return round(max(centre - half, 0.0), 4), round(min(centre + half, 1.0), 4)


def horizon_hits(t: Timeline) -> dict[str, list[str]]:
    """The figures that hold for the pathway on each horizon's day (counted only once that day
    has passed: `horizons`)."""
    return {
        key: [f.name for f in figures if f.holds(t, t.referred_on + dt.timedelta(days=days))]
        for key, (days, figures) in HORIZONS.items()
    }


def horizons(parts: list[Part], on: dt.date) -> dict[str, Any]:
    """Each horizon: the pathways referred at least that long before `on`, each seen exactly that
    long after its referral, and per figure the share (`here`) with its interval beside the
    evaluation's. Counts (`hits`) are kept for publishing (`projections.small_numbers`)."""
    found: dict[str, Any] = {}
    for key, (days, figures) in HORIZONS.items():
        seen = [p for p in parts if p.referred_on + dt.timedelta(days=days) <= on]
        shown = {}
        for f in figures:
            hits = sum(1 for p in seen if f.name in p.hits[key])
            low, high = wilson(hits, len(seen)) if seen else (None, None)
            here = round(hits / len(seen), 4) if seen else None
            shown[f.name] = {
                "here": here,
                "low": low,
                "high": high,
                "participants": f.participants,
                "comparison": f.comparison,
                "hits": hits,
            }
        found[key] = {"days": days, "pathways": len(seen), "figures": shown}
    return found


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
# How people read each stage of the funnel (English: the key with spaces).
FUNNEL_LABELS = {
    "referred": N_("referred"),
    "bridging": N_("bridging"),
    "basic_course_started": N_("basic course started"),
    "basic_course_completed": N_("basic course completed"),
    "main_course": N_("main course"),
    "apprenticeship": N_("apprenticeship"),
    "qualified": N_("qualified"),
}
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
# How people read a kind of cohort ("Outcomes by quarter of first referral").
COHORT_LABELS = {
    "month": N_("month of first referral"),
    "quarter": N_("quarter of first referral"),
    "year": N_("year of first referral"),
}
# The cohort named "so far" in the tables: all pathways, every cohort together.
SO_FAR = N_("so far, all cohorts")


def cohort_of(day: dt.date, cohort: str) -> str:
    if cohort == "month":
        return f"{day.year}-{day.month:02d}"
    if cohort == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if cohort == "year":
        return str(day.year)
    raise ValueError(f"unknown cohort {cohort!r}")


@dataclass(frozen=True)
class Part:
    """What the report needs of one pathway as of a day, worked out once. For a pathway that has
    ended it stays the same on every later day, so the read models keep it (`projections.settled`)."""

    stream: str
    referred_on: dt.date
    reached: tuple[str, ...]  # every state entered
    final: str | None
    stays: tuple[tuple[str, int], ...]  # (state, days) of every ended stay
    hits: dict[str, list[str]]  # per horizon, the figures that hold on its day

    def running(self, on: dt.date) -> bool:
        """Active, or not yet seen four years after its referral."""
        return self.final not in OUTCOME_STATES or (on - self.referred_on).days < STILL_RUNNING_DAYS

    def to_json(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "referred_on": self.referred_on.isoformat(),
            "reached": list(self.reached),
            "final": self.final,
            "stays": [list(stay) for stay in self.stays],
            "hits": self.hits,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Part:
        stays = tuple((state, days) for state, days in d["stays"])
        return cls(d["stream"], dt.date.fromisoformat(d["referred_on"]), tuple(d["reached"]), d["final"], stays, d["hits"])


def part(t: Timeline, on: dt.date) -> Part:
    shown = [x for x in t.transitions if x.on <= on]
    stays = tuple((a.state, (b.on - a.on).days) for a, b in itertools.pairwise(shown))
    reached = tuple(sorted({x.state for x in shown}))
    return Part(t.stream, t.referred_on, reached, shown[-1].state if shown else None, stays, horizon_hits(t))


def _figures(group: list[Part], on: dt.date) -> dict[str, Any]:
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

    def interval(k: int) -> dict[str, float | None]:
        low, high = wilson(k, n) if n else (None, None)
        return {"low": low, "high": high}

    return {
        "pathways": n,
        "still_running": any(s.running(on) for s in group),
        **{name: share(counts[k]) for name, k in SHARE_OF.items()},
        "intervals": {name: interval(counts[k]) for name, k in SHARE_OF.items()},
        "funnel": counts,
    }


def outcomes(timelines: dict[str, Timeline], on: dt.date, cohort: str = "quarter") -> dict[str, Any]:
    """The report from the pathways' facts as of `on`."""
    return outcomes_of([part(t, on) for t in timelines.values()], on, cohort)


def outcomes_of(parts: list[Part], on: dt.date, cohort: str = "quarter") -> dict[str, Any]:
    """The report from each pathway's part as of `on`."""
    groups: dict[str, list[Part]] = defaultdict(list)
    for p in parts:
        groups[cohort_of(p.referred_on, cohort)].append(p)
    return {
        "as_of": on,
        "cohort": cohort,
        "horizons": horizons(parts, on),
        "overall": _figures(parts, on),
        "cohorts": [{"cohort": key, **_figures(groups[key], on)} for key in sorted(groups)],
        "benchmark": BENCHMARK,
        "time_in_state": _time_in_state(parts, cohort),
        "time_in_state_overall": _time_in_state(parts, None),
    }


def percentile(values: list[int], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least q of the values at or below it."""
    ordered = sorted(values)
    return float(ordered[max(math.ceil(q * len(ordered)) - 1, 0)])


def _time_in_state(parts: list[Part], cohort: str | None) -> list[dict[str, Any]]:
    """Median and 90th percentile of the days spent in each state, over stays that have ended
    (per cohort, or over all pathways), and how many young people (`pathways`) made those stays."""
    days: dict[tuple[str, str], list[int]] = defaultdict(list)
    people: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s in parts:
        key = cohort_of(s.referred_on, cohort) if cohort else "all"
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
