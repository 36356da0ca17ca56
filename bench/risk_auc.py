"""How well does the risk score on a date rank the pathways that later drop out?
Area under the ROC curve over the pathways active on that date (0.5 is chance), computed by
`projections.backtest` as `brobyg report backtest` does, without small-number suppression.

    .venv/bin/python bench/risk_auc.py --db /tmp/brobyg-bench-…/sim10000.sqlite
"""

from __future__ import annotations

import argparse
import datetime as dt

from common import TODAY, app_for

from brobyg.projections.readmodels import ReadModels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--weeks-before", type=int, default=104, help="the date to score on, in weeks before today")
    args = parser.parse_args()
    app = app_for(args.db)
    on = TODAY - dt.timedelta(weeks=args.weeks_before)
    b = ReadModels(app).backtest(on, TODAY)
    dropouts = sum(level["dropped_out"] for level in b["levels"].values())
    print(f"scored on {on}: {b['pathways']} active pathways, {dropouts} later dropped out")
    print(f"AUC of the risk score for a later dropout: {'–' if b['auc'] is None else format(b['auc'], '.3f')}")
    for name, level in b["levels"].items():
        n, d = level["pathways"], level["dropped_out"]
        print(f"  {name:6} {n:5} pathways, {f'{d / n:.0%}' if n else '–'} later dropped out")


if __name__ == "__main__":
    main()
