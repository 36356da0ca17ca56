"""Simulation at 10,000 and 100,000 pathways (SQLite): time and peak memory of each run, each
in its own process, and the ratio of the times (target: no more than 12x).

    .venv/bin/python bench/scale_bench.py
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(__file__).with_name("simulate_bench.py")


def run(pathways: int) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--store", "sqlite", "--pathways", str(pathways), "--library-share", "0"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args()
    times = {}
    for pathways in (args.small, args.large):
        _, out = run(pathways)
        line = next(x for x in out.splitlines() if x.startswith("simulate:"))
        memory = next(x for x in out.splitlines() if x.startswith("ratio:"))
        times[pathways] = float(line.split()[1])
        print(f"{pathways:>7} pathways: {line}; {memory.split(';')[-1].strip()}")
    print(f"time ratio {args.large} / {args.small}: {times[args.large] / times[args.small]:.1f}x (target: at most 12x)")


if __name__ == "__main__":
    main()
