"""Work shared out between cores by forking (`engine.parallel`): the same answer as working alone,
in the same order, whatever a child does; no fork where threads run. Each case runs in a process
of its own, as a command does (a test runner may have threads of its own)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from brobyg.domain.application import Brobyg
from brobyg.engine.clock import Clock
from brobyg.engine.parallel import cores
from brobyg.engine.store import parse_store_url
from brobyg.projections.readmodels import ReadModels
from brobyg.simulator.simulate import Simulation
from tests.helpers import TODAY

pytestmark = pytest.mark.skipif(cores() < 2, reason="one core: nothing is shared out")


def run(body: str) -> dict:
    code = textwrap.dedent(
        """
        import json, os, sys, threading
        from brobyg.engine.parallel import shared_out
        me = os.getpid()
        def squares(share):
            return [(x * x, os.getpid()) for x in share]
        """
    ) + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_shares_worked_out_by_children_give_the_answer_in_order() -> None:
    found = run(
        """
        answer = shared_out(squares, list(range(1000)), least=100)
        print(json.dumps({"values": [v for v, _ in answer], "pids": sorted({p for _, p in answer}), "me": me}))
        """
    )
    assert found["values"] == [x * x for x in range(1000)]
    assert len(found["pids"]) >= 2 and found["me"] in found["pids"]  # this process and at least one child


def test_a_child_that_fails_has_its_share_worked_out_here() -> None:
    found = run(
        """
        def fails_in_children(share):
            if os.getpid() != me:
                os._exit(3)
            return squares(share)
        answer = shared_out(fails_in_children, list(range(1000)), least=100)
        print(json.dumps({"values": [v for v, _ in answer], "pids": sorted({p for _, p in answer}), "me": me}))
        """
    )
    assert found["values"] == [x * x for x in range(1000)] and found["pids"] == [found["me"]]


def test_an_error_in_the_work_is_raised_here_and_no_child_is_left() -> None:
    found = run(
        """
        def broken(share):
            raise ValueError("no square for you")
        try:
            shared_out(broken, list(range(1000)), least=100)
        except ValueError as e:
            error = str(e)
        try:
            os.waitpid(-1, os.WNOHANG)
            left = True
        except ChildProcessError:
            left = False
        print(json.dumps({"error": error, "children left": left}))
        """
    )
    assert found == {"error": "no square for you", "children left": False}


def test_nothing_is_forked_for_a_short_list_or_beside_other_threads() -> None:
    found = run(
        """
        short = shared_out(squares, list(range(50)), least=100)
        stop = threading.Event()
        thread = threading.Thread(target=stop.wait)
        thread.start()
        threaded = shared_out(squares, list(range(1000)), least=100)
        stop.set()
        thread.join()
        print(json.dumps({"pids": sorted({p for _, p in short + threaded}), "me": me, "n": len(threaded)}))
        """
    )
    assert found == {"pids": [found["me"]], "me": found["me"], "n": 1000}


def test_lists_worked_out_in_shares_equal_lists_worked_out_alone(db_url: str) -> None:
    db = db_url
    app = Brobyg(parse_store_url(db), Clock(TODAY, simulated=True), "simulator", seed=4)
    Simulation(app, 400, 4, TODAY.replace(year=TODAY.year - 3), TODAY).run()
    ReadModels(app).catch_up()
    app.close()
    found = run(
        f"""
        import datetime as dt
        from brobyg.engine import parallel
        from brobyg.engine.clock import Clock
        from brobyg.engine.store import parse_store_url
        from brobyg.projections.readmodels import ReadModels
        from brobyg.engine.text import Text

        today = dt.date.fromisoformat("{TODAY}")
        from brobyg.engine.reader import Reader

        # As a reading command reads: no application built, so no pool's threads beside it.
        from brobyg.cli.app import EVENTS_TABLE

        reader = Reader(parse_store_url({db!r}), Clock(today, simulated=True), "tester", lambda: None, events_table=EVENTS_TABLE)
        reader.ready()  # its first look at the store, as a command's (the access log is not made yet)
        rm = ReadModels(reader)
        forks = []
        fork = os.fork
        def counted():
            forks.append(1)
            return fork()
        os.fork = counted
        def lists():
            return [rm.risk(today), rm.agenda(today, 7), rm.risk(today - dt.timedelta(days=30), "high")]
        parallel.LEAST = 10
        shared = lists()
        parallel.LEAST = 10**9
        alone = lists()
        texts = sum(isinstance(d, Text) for row in shared[0] for d in row["details"])
        print(json.dumps({{"same": repr(shared) == repr(alone), "forks": len(forks), "rows": len(shared[0]), "texts": texts}}))
        """
    )
    assert found["same"] and found["forks"] >= 3 and found["rows"] > 50 and found["texts"] > 0


def test_a_sentence_comes_back_from_a_child_with_its_template_and_values() -> None:
    import datetime as dt
    import pickle

    from brobyg.engine.text import Term, Text, _text

    inner = Text("{n} days", n=3)
    sentence = Text("contact (every {every}; {state}){late}", every=inner, state=Term("state", "bridging"), late="")
    back = pickle.loads(pickle.dumps([sentence, Text("request of {on} not answered", on=dt.date(2026, 1, 2))]))
    assert back[0] == "contact (every 3 days; bridging)" and back[0].template == sentence.template
    assert back[0].values["every"].values == {"n": 3} and back[0].values["state"].context == "state"
    assert back[1].values == {"on": dt.date(2026, 1, 2)}
    assert _text("{n} days", {"n": 2}) == "2 days"  # as pickled before the sentence was kept
