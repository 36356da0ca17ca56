"""The policy behind the read models: thresholds and risk weights, read from one TOML file.

`projections/policy.toml` is the default; ``BROBYG_POLICY=path`` (or ``--policy``) uses a
copy. Nothing else holds a number that a steering group might want to change.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brobyg.engine.errors import InvalidInput
from brobyg.engine.text import N_, Text

DEFAULT = Path(__file__).with_name("policy.toml")

INDICATORS = (
    "critical_absence",
    "contact_overdue",
    "unanswered_request",
    "recent_mentor_change",
    "transition_window",
    "bridging_past_13_weeks",
    "admission_requirement_not_met",
    "no_taster_placement",
)


# The actions the default policy file asks for, marked for the catalogue, so that the risk list
# can show them in the reader's language (`say`); an action a steering group wrote into its own
# copy of the file is shown as written.
ACTIONS = (
    N_("follow up the absence with a contact within 2 school days"),
    N_("contact today"),
    N_("answer the request today"),
    N_("make sure the new mentor has met the young person"),
    N_("plan the next step together: the transitions are where most drop out"),
    N_("decide the next step: education, a placement or another plan"),
    N_("plan upskilling in Danish and maths towards 02"),
    N_("plan a taster placement"),
)


class PolicyError(InvalidInput):
    """The policy file cannot be used."""


@dataclass(frozen=True)
class Indicator:
    name: str
    weight: int
    action: str


@dataclass(frozen=True)
class Policy:
    bridging_contact_days: int
    education_contact_days: int
    request_answer_days: int
    absence_consecutive_days: int
    absence_window_school_days: int
    absence_share_above: float
    absence_follow_up_school_days: int
    bridging_flag_after_weeks: int
    placement_expected_weeks: int
    last_weeks_of_bridging: int
    first_weeks_of_basic_course: int
    apprenticeship_trial_days: int
    mentor_change_days: int
    medium_from: int
    high_from: int
    indicators: dict[str, Indicator]
    retention_years: int = 5  # older copies of the file may lack it: the guide's default

    def level(self, score: int) -> str:
        if score >= self.high_from:
            return "high"
        return "medium" if score >= self.medium_from else "low"


def load_policy(path: str | os.PathLike[str] | None = None) -> Policy:
    source = Path(path or os.environ.get("BROBYG_POLICY") or DEFAULT)
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
        return _policy(data)
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as e:
        why = e.args[0] if isinstance(e, ValueError) and e.args and isinstance(e.args[0], Text) else str(e)
        raise PolicyError(Text("cannot use the policy file {source}: {why}", source=str(source), why=why)) from None


def _policy(d: dict[str, Any]) -> Policy:
    indicators = {
        name: Indicator(name, int(d["risk"]["indicators"][name]["weight"]), str(d["risk"]["indicators"][name]["action"]))
        for name in INDICATORS
    }
    policy = Policy(
        bridging_contact_days=int(d["contact"]["bridging_days"]),
        education_contact_days=int(d["contact"]["education_days"]),
        request_answer_days=int(d["contact"]["request_answer_days"]),
        absence_consecutive_days=int(d["absence"]["consecutive_days"]),
        absence_window_school_days=int(d["absence"]["window_school_days"]),
        absence_share_above=float(d["absence"]["share_above"]),
        absence_follow_up_school_days=int(d["absence"]["follow_up_school_days"]),
        bridging_flag_after_weeks=int(d["bridging"]["flag_after_weeks"]),
        placement_expected_weeks=int(d["bridging"]["placement_expected_weeks"]),
        last_weeks_of_bridging=int(d["transition_windows"]["last_weeks_of_bridging"]),
        first_weeks_of_basic_course=int(d["transition_windows"]["first_weeks_of_basic_course"]),
        apprenticeship_trial_days=int(d["transition_windows"]["apprenticeship_trial_days"]),
        mentor_change_days=int(d["risk"]["mentor_change_days"]),
        medium_from=int(d["risk"]["medium_from"]),
        high_from=int(d["risk"]["high_from"]),
        indicators=indicators,
        retention_years=int(d.get("personal_data", {}).get("retention_years", 5)),
    )
    if policy.retention_years < 1:
        raise ValueError(Text("retention_years is at least 1"))
    if not 0 < policy.medium_from <= policy.high_from:
        raise ValueError(Text("risk levels need 0 < medium_from <= high_from"))
    return policy
