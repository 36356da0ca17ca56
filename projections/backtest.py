"""The risk view put to the test: the dropout-risk list as it stood on a past date, against what
became of those pathways afterwards.

The list is `projections.risk` as of that date (the facts dated on or before it, as `risk
--as-of` computes it), so a store's own history is the test: nothing assumes simulated data. A
pathway "later dropped out" when a transition into dropped_out is dated after that date and up
to `until` (today), in any episode: one that dropped out and was re-referred still counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from brobyg.domain.terms import DROPPED_OUT
from brobyg.projections import facts
from brobyg.projections import small_numbers as small

LEVELS = ("low", "medium", "high")  # `Policy.level`'s levels, lowest first


def auc(scored: Iterable[tuple[float, bool]]) -> float | None:
    """The area under the ROC curve (Mann–Whitney): the chance that a random pathway that dropped
    out scored above a random one that did not, ties counted half. None without both kinds."""
    ordered = sorted(scored, key=lambda x: x[0])
    positives = sum(1 for _, y in ordered if y)
    negatives = len(ordered) - positives
    if not positives or not negatives:
        return None
    rank_sum, i = 0.0, 0
    while i < len(ordered):
        j = i
        while j < len(ordered) and ordered[j][0] == ordered[i][0]:
            j += 1
        average_rank = (i + j + 1) / 2  # the ranks i+1..j shared by the tied scores
        rank_sum += average_rank * sum(1 for _, y in ordered[i:j] if y)
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def dropped_out_between(conn: sa.Connection, cases: list[str], after: dt.date, until: dt.date) -> set[str]:
    """The cases among `cases` with a transition into dropped_out dated after `after`, up to `until`."""
    t, p = facts.transitions, facts.pathways
    query = (
        sa.select(p.c.case)
        .distinct()
        .join(t, t.c.stream == p.c.stream)
        .where(t.c.state == DROPPED_OUT, t.c.on > after, t.c.on <= until)
    )
    found: set[str] = set()
    for start in range(0, len(cases), 500):  # bounded IN lists on both databases
        found.update(case for (case,) in conn.execute(query.where(p.c.case.in_(cases[start : start + 500]))))
    return found


def backtest(rows: list[dict[str, Any]], dropped: set[str], as_of: dt.date, until: dt.date) -> dict[str, Any]:
    """Per level of the risk list `rows` (as of `as_of`), how many pathways and how many of them
    are among `dropped`, and the AUC of the score for dropping out."""
    levels = {level: {"pathways": 0, "dropped_out": 0} for level in LEVELS}
    for r in rows:
        level = levels[r["level"]]
        level["pathways"] += 1
        level["dropped_out"] += r["case"] in dropped
    return {
        "as_of": as_of,
        "until": until,
        "pathways": len(rows),
        "auc": auc((float(r["score"]), r["case"] in dropped) for r in rows),
        "levels": levels,
    }


def published(b: dict[str, Any]) -> dict[str, Any]:
    """The backtest as every format shows it, by `small_numbers`' rule: counts from 1 to 4 as
    "<5"; the levels add up to the shown total, so where exactly one is held back a second is
    too; a share of fewer than 5 young people is null; and the AUC is null unless at least 5
    pathways dropped out and 5 did not (it ranks the scores of those who dropped out against
    the rest: of one young person, it would tell where their score stood)."""
    raw = b["levels"]
    shown = small.partition({k: v["pathways"] for k, v in raw.items()}, b["pathways"])
    dropouts = sum(v["dropped_out"] for v in raw.values())
    return {
        **b,
        "pathways": small.count(b["pathways"]),
        "auc": None if b["auc"] is None or small.few(dropouts) or small.few(b["pathways"] - dropouts) else round(b["auc"], 4),
        "levels": {
            k: {
                "pathways": shown[k],
                "dropped_out": small.count(v["dropped_out"]),
                # a share beside a held-back count of pathways would give it back
                "share": None if shown[k] is None else small.share(v["dropped_out"], v["pathways"]),
            }
            for k, v in raw.items()
        },
        "suppressed": small.NOTE,
    }
