"""Shared helpers for the benchmark scripts: stores, timing, memory."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from brobyg.domain.application import Brobyg
from brobyg.engine.clock import Clock
from brobyg.engine.store import parse_store_url, with_schema

TODAY = dt.date(2026, 11, 26)
PG = os.environ.get("BROBYG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def arguments(description: str, **extra: Any) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pathways", type=int, default=10_000)
    for name, default in extra.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    return parser.parse_args()


def fresh_url(store: str, folder: Path, name: str) -> str:
    if store == "sqlite":
        path = folder / f"{name}.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return str(path)
    return with_schema(PG, f"bench_{name}_{uuid.uuid4().hex[:8]}")


def drop(url: str) -> None:
    if url.startswith("postgresql"):
        import sqlalchemy as sa

        store = parse_store_url(url)
        engine = sa.create_engine(store.sqlalchemy_url)
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{store.schema}" CASCADE'))
        engine.dispose()


def app_for(url: str, simulated: bool = False) -> Brobyg:
    return Brobyg(parse_store_url(url), Clock(TODAY, simulated=simulated), "bench", seed=1)


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def timed_with_cpu(work: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall seconds, this process's CPU seconds, and the result."""
    cpu = time.process_time()
    seconds, result = timed(work)
    return seconds, time.process_time() - cpu, result


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median_run(argv: list[str], repeat: int, env: dict[str, str] | None = None) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env={**os.environ, **(env or {})})
        times.append(time.perf_counter() - start)
    return statistics.median(times)
