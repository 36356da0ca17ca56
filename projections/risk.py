"""Dropout risk: a transparent score per active pathway, with its named indicators and the
action each asks for. Weights and levels come from the policy file.

Reasons (`details`) and actions are English sentences in the rows (JSON shows them as they
are); the command line says them in the reader's language: a reason is a `Text` or a marked
constant (`indicators.findings`), an action is the policy file's own wording, which the
catalogue holds for the shipped policy (`policy.ACTIONS`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from brobyg.domain.terms import ACTIVE_STATES
from brobyg.projections.indicators import findings
from brobyg.projections.policy import Policy
from brobyg.projections.timeline import FACTS, Timeline

# The kinds of fact the risk list reads: every kind.
PARTS = tuple(FACTS)


def risk(timelines: dict[str, Timeline], on: dt.date, policy: Policy, level: str | None = None) -> list[dict[str, Any]]:
    return ranked(scored(list(timelines.values()), on, policy), level)


def scored(timelines: list[Timeline], on: dt.date, policy: Policy) -> list[dict[str, Any]]:
    """Each active pathway's row: its score, level, reasons and actions, in no order."""
    rows = []
    for t in timelines:
        state = t.state_on(on)
        if state not in ACTIVE_STATES:
            continue
        found = findings(t, on, policy)
        score = sum(policy.indicators[f.indicator].weight for f in found)
        rows.append(
            {
                "case": t.case,
                "state": state,
                "mentor": t.mentor_on(on),
                "score": score,
                "level": policy.level(score),
                "reasons": [f.indicator for f in found],
                "details": [f.detail for f in found],
                "actions": [policy.indicators[f.indicator].action for f in found],
            }
        )
    return rows


def ranked(rows: list[dict[str, Any]], level: str | None = None) -> list[dict[str, Any]]:
    """The rows highest score first (then by case), those of `level` only if given."""
    rows.sort(key=lambda r: (-r["score"], r["case"]))
    return [r for r in rows if level is None or r["level"] == level]
