"""Start-up and command times of the real `brobyg` script on an existing store (medians).

.venv/bin/python bench/cli_bench.py --db /tmp/brobyg-bench-…/sim10000.sqlite
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from common import median_run

BROBYG = str(Path(sys.executable).with_name("brobyg"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    base = [BROBYG, "--db", args.db, "--today", "2026-11-26", "--as", "bench"]
    subprocess.run([*base, "projections", "status"], check=True, capture_output=True)  # catch up once, outside the timing
    risk = json.loads(subprocess.run([*base, "risk", "--json"], check=True, capture_output=True, text=True).stdout)
    case = next(r["case"] for r in risk if r["state"] in ("bridging", "basic_course"))
    figures = {
        "brobyg --help": median_run([BROBYG, "--help"], args.repeat),
        "one write (contact)": median_run([*base, "contact", case, "--channel", "phone"], args.repeat),
        "caseload": median_run([*base, "caseload"], args.repeat),
        "risk": median_run([*base, "risk"], args.repeat),
        "report outcomes": median_run([*base, "report", "outcomes"], args.repeat),
    }
    targets = {"brobyg --help": 0.25, "one write (contact)": 0.5, "caseload": 1, "risk": 1, "report outcomes": 2}
    for name, seconds in figures.items():
        verdict = "ok" if seconds < targets[name] else "MISSED"
        print(f"{name:24} {seconds:6.3f} s  (target < {targets[name]} s: {verdict})")


if __name__ == "__main__":
    main()
