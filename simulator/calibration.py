"""How a simulated population compares with the evaluation, each pathway seen at the same
distance from its own start (the evaluation looked about four years after the start)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from brobyg.domain.terms import AWAITING_MAIN_COURSE, BASIC_COURSE, EDUCATION_OR_LATER, EMPLOYED, QUALIFIED
from brobyg.projections.outcomes import BENCHMARK
from brobyg.projections.timeline import Timeline


def _reached(t: Timeline, state: str, by: dt.date) -> bool:
    return any(x.state == state and x.on <= by for x in t.transitions)


def calibration(timelines: dict[str, Timeline], today: dt.date) -> dict[str, Any]:
    """Shares at fixed distances from the referral, over pathways old enough to have them."""

    def share(years: float, test: Any) -> dict[str, Any]:
        span = dt.timedelta(days=round(365.25 * years))
        old = [t for t in timelines.values() if t.referred_on + span <= today]
        hits = sum(1 for t in old if test(t, t.referred_on + span))
        return {"share": round(hits / len(old), 4) if old else None, "pathways": len(old)}

    four = 4.0
    figures = {
        "completed_basic_course": share(four, lambda t, by: _reached(t, AWAITING_MAIN_COURSE, by)),
        "completed_main_course": share(four, lambda t, by: _reached(t, QUALIFIED, by)),
        "employed": share(four, lambda t, by: t.state_on(by) == EMPLOYED),
        "in_education_after_25_weeks": share(25 / 52, lambda t, by: t.state_on(by) in EDUCATION_OR_LATER),
        "started_basic_course_after_1.5_years": share(1.5, lambda t, by: _reached(t, BASIC_COURSE, by)),
        "completed_basic_course_after_2.5_years": share(2.5, lambda t, by: _reached(t, AWAITING_MAIN_COURSE, by)),
    }
    for key, bench in BENCHMARK.items():
        figures[key]["evaluation"] = bench["participants"]
    return figures
