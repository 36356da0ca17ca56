"""Outcomes: the evaluation's horizons (each pathway seen exactly 25 weeks, 1½, 2½ and 4 years
after its referral, beside the evaluation's figures), the funnel per intake cohort so far, and
the time pathways spend in each state."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
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
from brobyg.projections.counts import nonzero

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


def horizon_hits(t: Timeline, until: dt.date = dt.date.max) -> dict[str, list[str]]:
    """The figures that hold for the pathway on each horizon's day, for the horizons whose day
    has passed by `until` (a report counts a pathway on a horizon only then: `Tally.add`)."""
    return {
        key: [f.name for f in figures if f.holds(t, day)]
        for key, (days, figures) in HORIZONS.items()
        if (day := t.referred_on + dt.timedelta(days=days)) <= until
    }


def horizons(total: Tally) -> dict[str, Any]:
    """Each horizon: the pathways referred at least that long before the report's day, each seen
    exactly that long after its referral, and per figure the share (`here`) with its interval
    beside the evaluation's. Counts (`hits`) are kept for publishing (`projections.small_numbers`)."""
    found: dict[str, Any] = {}
    for key, (days, figures) in HORIZONS.items():
        seen = total.seen.get(key, 0)
        shown = {}
        for f in figures:
            hits = total.hits.get(key, {}).get(f.name, 0)
            low, high = wilson(hits, seen) if seen else (None, None)
            here = round(hits / seen, 4) if seen else None
            shown[f.name] = {
                "here": here,
                "low": low,
                "high": high,
                "participants": f.participants,
                "comparison": f.comparison,
                "hits": hits,
            }
        found[key] = {"days": days, "pathways": seen, "figures": shown}
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


def part(t: Timeline, on: dt.date, settled: bool = False) -> Part:
    """The pathway's part as of `on`; a settled one's with every horizon's figures (they hold
    on any later day), another's with those of the horizons whose day has passed."""
    shown = [x for x in t.transitions if x.on <= on]
    stays = tuple((a.state, (b.on - a.on).days) for a, b in itertools.pairwise(shown))
    reached = tuple(sorted({x.state for x in shown}))
    return Part(
        t.stream,
        t.referred_on,
        reached,
        shown[-1].state if shown else None,
        stays,
        horizon_hits(t, dt.date.max if settled else on),
    )


@dataclass
class Tally:
    """What the report counts of a group of pathways: their parts added up. Kept per month of
    referral for the settled pathways (`projections.settled`), so a report reads one row per
    month, not one per pathway; a part taken out again (a settled pathway touched after) is
    subtracted."""

    pathways: int = 0
    active: int = 0  # not ended
    finals: dict[str, int] = field(default_factory=dict)  # the ended, per outcome state
    reached: dict[str, int] = field(default_factory=dict)  # per state, the pathways that entered it
    seen: dict[str, int] = field(default_factory=dict)  # per horizon, the pathways seen on its day
    hits: dict[str, dict[str, int]] = field(default_factory=dict)  # per horizon and figure
    stays: dict[str, dict[int, int]] = field(default_factory=dict)  # per state, ended stays by length in days
    stayers: dict[str, int] = field(default_factory=dict)  # per state, the pathways with an ended stay in it
    last_referred: dt.date | None = None  # the latest referral: whether the group is still running

    def add(self, p: Part, on: dt.date | None, by: int = 1) -> None:
        """Count a part (`by=-1`: take it out). A horizon counts it once its day has passed by
        `on`; with `on` None, on every horizon (settled tallies: `seen_by` decides later)."""
        self.pathways += by
        if p.final in OUTCOME_STATES:
            self.finals[p.final] = self.finals.get(p.final, 0) + by
        else:
            self.active += by
        for state in p.reached:
            self.reached[state] = self.reached.get(state, 0) + by
        for key, (days, _figures) in HORIZONS.items():
            if on is None or p.referred_on + dt.timedelta(days=days) <= on:
                self.seen[key] = self.seen.get(key, 0) + by
                hits = self.hits.setdefault(key, {})
                for name in p.hits[key]:
                    hits[name] = hits.get(name, 0) + by
        for state, length in p.stays:
            lengths = self.stays.setdefault(state, {})
            lengths[length] = lengths.get(length, 0) + by
        for state in {state for state, _length in p.stays}:
            self.stayers[state] = self.stayers.get(state, 0) + by
        if by > 0 and (self.last_referred is None or p.referred_on > self.last_referred):
            self.last_referred = p.referred_on

    def merge(self, other: Tally) -> None:
        self.pathways += other.pathways
        self.active += other.active
        for mine, theirs in (
            (self.finals, other.finals),
            (self.reached, other.reached),
            (self.seen, other.seen),
            (self.stayers, other.stayers),
        ):
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n
        for nested, others in ((self.hits, other.hits), (self.stays, other.stays)):
            for key, counts in others.items():
                mine = nested.setdefault(key, {})
                for name, n in counts.items():
                    mine[name] = mine.get(name, 0) + n
        if other.last_referred and (self.last_referred is None or other.last_referred > self.last_referred):
            self.last_referred = other.last_referred

    def seen_by(self, first: dt.date, last: dt.date, on: dt.date) -> Tally | None:
        """A settled tally of pathways referred from `first` to `last`, as a report on `on`
        counts it: each horizon whose day has passed for all of them counts them, one whose day
        has passed for none leaves them out; None when a horizon's day falls between (those
        pathways are then counted one by one)."""
        shown = Tally(**{**vars(self), "seen": {}, "hits": {}, "last_referred": last})
        for key, (days, _figures) in HORIZONS.items():
            if last + dt.timedelta(days=days) <= on:
                shown.seen[key] = self.seen.get(key, 0)
                shown.hits[key] = self.hits.get(key, {})
            elif first + dt.timedelta(days=days) <= on:
                return None
        return shown

    def running(self, on: dt.date) -> bool:
        """Any pathway active, or not yet seen four years after its referral."""
        return self.active > 0 or (self.last_referred is not None and (on - self.last_referred).days < STILL_RUNNING_DAYS)

    def to_json(self) -> dict[str, Any]:
        found = nonzero({k: v for k, v in vars(self).items() if k != "last_referred"})
        found |= {"pathways": self.pathways, "active": self.active}
        found["stays"] = {state: sorted(lengths.items()) for state, lengths in found.get("stays", {}).items()}
        return found

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Tally:
        stays = {state: {int(length): n for length, n in lengths} for state, lengths in d["stays"].items()}
        counts = {name: d.get(name, {}) for name in ("finals", "reached", "seen", "hits", "stayers")}
        return cls(d["pathways"], d["active"], **counts, stays=stays)


def _figures(group: Tally, on: dt.date) -> dict[str, Any]:
    n = group.pathways
    counts = {stage: group.reached.get(state, 0) for stage, state in FUNNEL}
    counts |= {
        "employed": group.finals.get(EMPLOYED, 0),
        "dropped_out": group.finals.get(DROPPED_OUT, 0),
        "withdrawn": group.finals.get(WITHDRAWN, 0),
        "active": group.active,
    }

    def share(k: int) -> float:
        return round(k / n, 4) if n else 0.0

    def interval(k: int) -> dict[str, float | None]:
        low, high = wilson(k, n) if n else (None, None)
        return {"low": low, "high": high}

    return {
        "pathways": n,
        "still_running": group.running(on),
        **{name: share(counts[k]) for name, k in SHARE_OF.items()},
        "intervals": {name: interval(counts[k]) for name, k in SHARE_OF.items()},
        "funnel": counts,
    }


def outcomes(timelines: dict[str, Timeline], on: dt.date, cohort: str = "quarter") -> dict[str, Any]:
    """The report from the pathways' facts as of `on`."""
    return outcomes_of([part(t, on) for t in timelines.values()], on, cohort)


def outcomes_of(
    parts: list[Part], on: dt.date, cohort: str = "quarter", tallies: Iterable[tuple[dt.date, Tally]] = ()
) -> dict[str, Any]:
    """The report from each pathway's part as of `on`, and from the tallies of pathways settled
    by then (each with the day its pathways were first referred on, as `Tally.seen_by` gave it)."""
    groups: dict[str, Tally] = defaultdict(Tally)
    for first, tally in tallies:
        groups[cohort_of(first, cohort)].merge(tally)
    for p in parts:
        groups[cohort_of(p.referred_on, cohort)].add(p, on)
    total = Tally()
    for group in groups.values():
        total.merge(group)
    return {
        "as_of": on,
        "cohort": cohort,
        "horizons": horizons(total),
        "overall": _figures(total, on),
        "cohorts": [{"cohort": key, **_figures(groups[key], on)} for key in sorted(groups)],
        "benchmark": BENCHMARK,
        "time_in_state": _time_in_state(groups),
        "time_in_state_overall": _time_in_state({"all": total}),
    }


def percentile(lengths: dict[int, int], q: float) -> float:
    """Nearest-rank percentile of counted values: the smallest value with at least q of the
    values at or below it."""
    rank = max(math.ceil(q * sum(lengths.values())), 1)
    for value, n in sorted(lengths.items()):
        rank -= n
        if rank <= 0:
            return float(value)
    raise ValueError("no values")


def median(lengths: dict[int, int]) -> float:
    """The median of counted values (the mean of the middle two of an even number)."""
    n = sum(lengths.values())
    ordered = sorted(lengths.items())

    def nth(i: int) -> int:  # the i-th smallest value, from 0
        for value, count in ordered:
            if i < count:
                return value
            i -= count
        raise IndexError(i)

    return float(nth(n // 2)) if n % 2 else (nth(n // 2 - 1) + nth(n // 2)) / 2


def _time_in_state(groups: dict[str, Tally]) -> list[dict[str, Any]]:
    """Median and 90th percentile of the days spent in each state, over stays that have ended
    (per cohort, or over all pathways), and how many young people (`pathways`) made those stays."""
    return [
        {
            "cohort": key,
            "state": state,
            "stays": sum(lengths.values()),
            "pathways": groups[key].stayers[state],
            "median_days": median(lengths),
            "p90_days": percentile(lengths, 0.9),
        }
        for key in sorted(groups)
        for state, lengths in sorted(groups[key].stays.items())
        if any(lengths.values())
    ]
