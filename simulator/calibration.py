"""How a simulated population compares with the evaluation: every pathway seen at the same
distance from its own referral as the evaluation looked (25 weeks, 1½, 2½ and 4 years), by the
very figures `report outcomes` shows beside the evaluation's (`projections.outcomes.HORIZONS`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from brobyg.projections.outcomes import HORIZONS
from brobyg.projections.timeline import Timeline

# The calibration's name for each (horizon, figure) of the evaluation, the four-year ones first.
NAMES = {
    ("4y", "completed_basic_course"): "completed_basic_course",
    ("4y", "completed_main_course"): "completed_main_course",
    ("4y", "employed"): "employed",
    ("25w", "in_education"): "in_education_after_25_weeks",
    ("1.5y", "started_basic_course"): "started_basic_course_after_1.5_years",
    ("2.5y", "completed_basic_course"): "completed_basic_course_after_2.5_years",
}


def calibration(timelines: dict[str, Timeline], today: dt.date) -> dict[str, dict[str, Any]]:
    """Each figure's share over the pathways old enough to be seen at its horizon by `today`,
    how many those are, and the evaluation's share for the participants."""
    figures: dict[str, dict[str, Any]] = {}
    for (key, name), label in NAMES.items():
        days, found = HORIZONS[key]
        figure = next(f for f in found if f.name == name)
        span = dt.timedelta(days=days)
        old = [t for t in timelines.values() if t.referred_on + span <= today]
        hits = sum(1 for t in old if figure.holds(t, t.referred_on + span))
        figures[label] = {
            "share": round(hits / len(old), 4) if old else None,
            "pathways": len(old),
            "evaluation": figure.participants,
        }
    return figures
