"""A process to be killed: it writes commands, simulates, or catches up read models, forever.

python -m tests.crash_worker URL commands|simulate|catch_up SEED
"""

from __future__ import annotations

import datetime as dt
import random
import sys

from brobyg.engine.errors import Conflict, NotFound, Refused
from brobyg.projections.readmodels import ReadModels
from brobyg.simulator.simulate import Simulation
from tests.helpers import TODAY, make_app


def commands(url: str, seed: int) -> None:
    rng = random.Random(seed)
    app = make_app(url, seed=seed)
    mentors = [f"m{i}" for i in range(4)]
    cases = [app.refer(f"W{seed}-{i}", dt.date(1999, 1, 1 + i), "education-ready", on=TODAY).case for i in range(5)]
    print("ready", flush=True)
    while True:
        case = rng.choice(cases)
        try:
            action = rng.choice(["assign", "contact", "bridging", "refer", "assess", "drop"])
            if action == "assign":
                app.assign(case, rng.choice(mentors), "rebalancing", on=TODAY)
            elif action == "contact":
                app.contact(case, on=TODAY)
            elif action == "bridging":
                app.start_bridging(case, on=TODAY)
            elif action == "assess":
                app.assess(case, "maths", 4, on=TODAY)
            elif action == "drop":
                app.drop_out(case, "moved away", on=TODAY)
            else:
                cases.append(app.refer(f"W{seed}-{rng.random()}", dt.date(2000, 2, 2), "education-ready", on=TODAY).case)
        except (Refused, Conflict, NotFound):
            continue


def simulate(url: str, seed: int) -> None:
    app = make_app(url, seed=seed)
    print("ready", flush=True)
    # Many small transactions, so kills land between and inside them.
    Simulation(app, 2_000, seed, TODAY.replace(year=TODAY.year - 2), TODAY).run(flush_every=300)


def catch_up(url: str, seed: int) -> None:
    read_models = ReadModels(make_app(url, seed=seed))
    read_models.tracked.page_size = read_models.tracked.rebuild_page_size = 50
    print("ready", flush=True)
    while True:
        read_models.rebuild()


if __name__ == "__main__":
    url, mode, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    {"commands": commands, "simulate": simulate, "catch_up": catch_up}[mode](url, seed)
