"""How well does the risk score on a date rank the pathways that later drop out?
Area under the ROC curve over the pathways active on that date (0.5 is chance).

    .venv/bin/python bench/risk_auc.py --db /tmp/brobyg-bench-…/sim10000.sqlite
"""

from __future__ import annotations

import argparse
import datetime as dt

from common import TODAY, app_for

from brobyg.projections.readmodels import ReadModels
from brobyg.projections.timeline import load_timelines


def auc(scores: list[tuple[float, bool]]) -> float:
    """Mann–Whitney: the chance that a random dropout scores above a random non-dropout (ties count half)."""
    positives = [s for s, y in scores if y]
    negatives = [s for s, y in scores if not y]
    if not positives or not negatives:
        return float("nan")
    ordered = sorted(scores, key=lambda x: x[0])
    ranks: dict[float, float] = {}
    i = 0
    while i < len(ordered):
        j = i
        while j < len(ordered) and ordered[j][0] == ordered[i][0]:
            j += 1
        ranks[ordered[i][0]] = (i + j + 1) / 2  # average rank of the ties
        i = j
    rank_sum = sum(ranks[s] for s in positives)
    return (rank_sum - len(positives) * (len(positives) + 1) / 2) / (len(positives) * len(negatives))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--weeks-before", type=int, default=104, help="the date to score on, in weeks before today")
    args = parser.parse_args()
    app = app_for(args.db)
    read_models = ReadModels(app)
    on = TODAY - dt.timedelta(weeks=args.weeks_before)
    rows = read_models.risk(on)
    with read_models.engine.connect() as conn:
        final = {t.case: t.state_on(TODAY) for t in load_timelines(conn, TODAY).values()}
    scored = [(float(r["score"]), final[r["case"]] == "dropped_out") for r in rows]
    dropouts = sum(y for _, y in scored)
    print(f"scored on {on}: {len(scored)} active pathways, {dropouts} later dropped out")
    print(f"AUC of the risk score for eventual dropout: {auc(scored):.3f}")
    by_level = {}
    for r in rows:
        level = by_level.setdefault(r["level"], [0, 0])
        level[0] += 1
        level[1] += final[r["case"]] == "dropped_out"
    for level, (n, d) in sorted(by_level.items()):
        print(f"  {level:6} {n:5} pathways, {d / n:.0%} later dropped out")


if __name__ == "__main__":
    main()
