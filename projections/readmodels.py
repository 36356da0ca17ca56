"""The read models of one store: kept up to date from the notification log, and asked as of a date.

Every question first catches up (cheap when few events are new), so a read right after a
write sees it, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from brobyg.engine.collector import no_cycles_collected
from brobyg.engine.parallel import shared_out
from brobyg.engine.read_models import ReadModelStatus, TrackedReadModels
from brobyg.engine.text import N_
from brobyg.projections import active, agenda, capacity, facts, fidelity, outcomes, risk, settled
from brobyg.projections.agenda import streams_of
from brobyg.projections.caseload import PARTS as CASELOAD_PARTS
from brobyg.projections.caseload import caseload
from brobyg.projections.facts import all_read_models
from brobyg.projections.policy import Policy, load_policy
from brobyg.projections.situation import situation
from brobyg.projections.timeline import FACTS, Timeline, load_timelines

if TYPE_CHECKING:
    from brobyg.domain.application import Brobyg
    from brobyg.engine.reader import Reader

Progress = Callable[[int, int], None]


class FollowUnavailable(Exception):
    """The store cannot notify readers of new events."""


@contextlib.contextmanager
def ctrl_c_between_catch_ups() -> Iterator[Callable[[Callable[[], int]], int]]:
    """Ctrl-C during a catch-up stops the follower once that catch-up is done. Interrupted
    mid-query, a connection is left busy, and cleaning it up fails with a database error
    instead of stopping cleanly. (Signals can only be handled in the main thread; elsewhere
    a catch-up runs as it is.)"""
    if threading.current_thread() is not threading.main_thread():
        yield lambda catch_up: catch_up()
        return
    state = {"catching_up": False, "interrupted": False}

    def on_ctrl_c(signum: int, frame: Any) -> None:
        if not state["catching_up"]:
            raise KeyboardInterrupt
        state["interrupted"] = True

    def finishing(catch_up: Callable[[], int]) -> int:
        state["catching_up"] = True
        try:
            return catch_up()
        finally:
            state["catching_up"] = False
            if state["interrupted"]:
                raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        yield finishing
    finally:
        signal.signal(signal.SIGINT, previous)


class ReadModels:
    """The read models of one store, and the questions asked of them."""

    def __init__(self, app: Brobyg | Reader, policy: Policy | None = None) -> None:
        self.app = app
        self.policy = policy or load_policy()
        self.engine: sa.Engine = app.sql_engine
        self.tracked = TrackedReadModels(
            app, self.engine, all_read_models(app.personal, self.policy), schema=facts.SCHEMA, on_recreated=self._privileges_again
        )

    def _privileges_again(self) -> None:
        """Read-model tables made anew lose their privileges: give them again where roles exist."""
        if self.app.store.is_sqlite:
            return
        from brobyg.engine import access
        from brobyg.engine.read_models import metadata
        from brobyg.projections.report_views import create_report_views

        if access.grants(self.app):
            views = create_report_views(self.engine, self.app.recorder.datastore.schema)
            access.set_up(self.app, sorted(metadata.tables), views)

    # --- keeping up ------------------------------------------------------------------

    def catch_up(self, progress: Progress | None = None) -> int:
        return self.tracked.catch_up(progress)

    def follow(self, on_caught_up: Callable[[int], None] = lambda processed: None) -> None:
        """Keep the read models up to date as events arrive, using PostgreSQL's notifications
        (eventsourcing's subscription); runs until interrupted (KeyboardInterrupt)."""
        if self.app.store.is_sqlite:
            raise FollowUnavailable(
                N_("following needs PostgreSQL's notifications; on SQLite every reading command catches up by itself")
            )

        def catch_up_and_tell() -> int:
            processed = self.catch_up()
            on_caught_up(processed)  # told before a Ctrl-C that arrived meanwhile stops the follower
            return processed

        with ctrl_c_between_catch_ups() as finishing:
            finishing(catch_up_and_tell)
            # From where the catch-up got to, not from the log's head read later: an event
            # written in between would otherwise wait for the next one to be noticed.
            reached = min((s.position for s in self.tracked.status()), default=0)
            with self.app.recorder.subscribe(gt=reached) as subscription:
                for _notification in subscription:
                    finishing(catch_up_and_tell)  # one catch-up takes whatever else has arrived too

    def status(self) -> list[ReadModelStatus]:
        return self.tracked.status()

    def rebuild(self, progress: Progress | None = None) -> int:
        return self.tracked.rebuild(progress)

    # --- asking ------------------------------------------------------------------------

    def caseload(self, on: dt.date, mentor: str | None = None) -> list[dict[str, Any]]:
        self.catch_up()
        with self._asking() as conn:
            # One mentor's: only the pathways they hold on `on`, not every active one.
            timelines = active.timelines(conn, on, self._active(conn, on, mentor), CASELOAD_PARTS, self._recent(on))
            return caseload(conn, timelines, on, self.policy, mentor)

    def risk(
        self, on: dt.date, level: str | None = None, considered: Callable[[list[str]], None] | None = None
    ) -> list[dict[str, Any]]:
        """The risk list as of `on` (`projections.risk`). `considered`, if given, is told the cases
        of every pathway the list looks at before it is worked out (each row's case is among them)."""
        self.catch_up()
        policy = self.policy

        def scored(timelines: list[Timeline]) -> list[dict[str, Any]]:
            return risk.scored(timelines, on, policy)

        with self._asking() as conn:
            return risk.ranked(self._shared_out(conn, on, self._active(conn, on), risk.PARTS, scored, considered), level)

    def _shared_out(
        self,
        conn: sa.Connection,
        on: dt.date,
        streams: list[str],
        parts: tuple[str, ...],
        work: Callable[[list[Timeline]], list[dict[str, Any]]],
        considered: Callable[[list[str]], None] | None = None,
    ) -> list[dict[str, Any]]:
        """`work` on the pathways' timelines for a list as of `on` (`active.timelines`), in
        shares, one per core (`engine.parallel`): the rows that hold decoded there too, the other
        pathways' timelines read from the facts first. At 100,000 pathways that work is most of
        a list's time, and of one as of a past day, when few rows hold."""
        recent = self._recent(on)
        rows, others = active.held_rows(conn, on, streams, recent)
        from_facts = list(load_timelines(conn, on, others, parts, recent=recent).values()) if others else []

        def work_on(share: list[Any]) -> list[dict[str, Any]]:
            kept = [x for x in share if not isinstance(x, Timeline)]
            return work([x for x in share if isinstance(x, Timeline)] + list(active.from_rows(kept, parts, recent).values()))

        def tell() -> None:
            if considered is not None:
                considered([row[1] for row in rows] + [t.case for t in from_facts])

        return shared_out(work_on, [*rows, *from_facts], meanwhile=tell)

    @contextlib.contextmanager
    def _asking(self) -> Iterator[sa.Connection]:
        """A connection to answer a list or report on, the cycle collector held off meanwhile
        (`engine.collector`)."""
        with self.engine.connect() as conn, no_cycles_collected():
            yield conn

    @staticmethod
    def _active(conn: sa.Connection, on: dt.date, mentor: str | None = None) -> list[str]:
        """The pathways active on `on` (held by `mentor` then, if given), from the people read
        model's current state (one indexed query, not a scan of every transition ever)."""
        from brobyg.projections.find import active_streams, current

        if mentor is not None:
            return [c.stream for c in current(conn, on, active_only=True, mentor=mentor)]
        return active_streams(conn, on)

    def find(
        self, on: dt.date, text: str | None, mentor: str | None, state: str | None, include_ended: bool
    ) -> list[dict[str, Any]]:
        """The cases found by person or id (`projections.find`)."""
        from brobyg.projections.find import find

        self.catch_up()
        with self.engine.connect() as conn:
            return find(conn, self.app.personal, on, text, mentor, state, include_ended, self._unsealed)

    def names(self, cases: list[str]) -> dict[str, str]:
        """The person reference of each case, to show beside it (`[erased]` once erased)."""
        from brobyg.projections.find import names

        self.catch_up()
        with self.engine.connect() as conn:
            return names(conn, self.app.personal, cases, self._unsealed)

    def _unsealed(self, case: str) -> tuple[str, dt.date | None]:
        """A person as the events say, for a pathway recorded before personal data was sealed."""
        p = self.app.pathway(case)
        return p.person, p.born

    def mentor_name(self, mentor: str) -> str:
        """A mentor's name, from the mentors read model: a mentor's stream grows with every case
        they take on and release, so it is not replayed to read a name (an unknown mentor: the
        application's NotFound)."""
        from brobyg.domain.not_found import no_mentor

        self.catch_up()
        with self.engine.connect() as conn:
            name = conn.execute(sa.select(facts.mentors.c.name).where(facts.mentors.c.mentor == mentor)).scalar()
        if name is None:
            raise no_mentor(mentor)
        return str(name)

    def mentors(self, on: dt.date) -> list[dict[str, Any]]:
        """Every mentor recorded by `on`, with the active pathways they hold then (`load`)."""
        from brobyg.projections.find import mentors

        self.catch_up()
        with self.engine.connect() as conn:
            return mentors(conn, on)

    def agenda(self, on: dt.date, days: int, mentor: str | None = None) -> list[dict[str, Any]]:
        """What is due by `on` + `days` on the active pathways (`projections.agenda`)."""
        self.catch_up()
        policy = self.policy

        def due(timelines: list[Timeline]) -> list[dict[str, Any]]:
            return agenda.due(timelines, on, days, policy, mentor)

        with self._asking() as conn:
            # Every active pathway from the people read model (as find takes them): one query,
            # not a scan of every transition; `agenda` checks each timeline's state on `on` again.
            streams = self._active(conn, on) if mentor is None else streams_of(conn, mentor, on)
            return agenda.in_order(self._shared_out(conn, on, streams, agenda.PARTS, due))

    def situation(self, stream: str, on: dt.date) -> dict[str, Any]:
        """One pathway as `show` tells it on `on` (`projections.situation`)."""
        self.catch_up()
        with self.engine.connect() as conn:
            timeline = load_timelines(conn, on, [stream])[stream]
            return situation(timeline, on, self.policy)

    def _recent(self, on: dt.date) -> dt.date:
        """How far back today's views look (`active.recent_window`)."""
        return on - active.recent_window(self.policy)

    def outcomes(self, on: dt.date, cohort: str = "quarter") -> dict[str, Any]:
        self.catch_up()
        with self._asking() as conn:
            tallies, parts = self._parts(conn, on, ("outcomes",))["outcomes"]
            return outcomes.outcomes_of(parts, on, cohort, tallies)

    def capacity(self, on: dt.date) -> list[dict[str, Any]]:
        self.catch_up()
        with self._asking() as conn:
            tallies, parts = self._parts(conn, on, ("capacity",))["capacity"]
            return capacity.capacity_of(conn, parts, on, (tally for _first, tally in tallies))

    def fidelity(self, on: dt.date) -> dict[str, Any]:
        self.catch_up()
        with self._asking() as conn:
            pieces = self._parts(conn, on, ("capacity", "fidelity"))  # occupancy is one of its measures
            tallies, parts = pieces["capacity"]
            occupancy = capacity.capacity_of(conn, parts, on, (tally for _first, tally in tallies))
            tallies, parts = pieces["fidelity"]
            return fidelity.fidelity_of(parts, on, occupancy, (tally for _first, tally in tallies))

    def _parts(
        self, conn: sa.Connection, on: dt.date, reports: tuple[str, ...]
    ) -> dict[str, tuple[list[tuple[dt.date, Any]], list[Any]]]:
        """Reports as of `on` in pieces: per report, the tallies of the months settled by then
        and each other pathway's part, kept for the pathways settled by then
        (`projections.settled`), worked out from the facts for the others (read once for all)."""
        found = settled.gathered(conn, on, reports, self.policy)
        parts = {report: [settled.PARTS[report].from_json(row) for row in found.stored[report]] for report in reports}
        others = found.others
        if others:  # an active pathway's parts kept in its row, where they hold
            held = active.held_parts(conn, on, others, self.policy, reports)
            for kept in held.values():
                for report in reports:
                    parts[report].append(kept[report])
            others = [s for s in others if s not in held]
        if others:
            # Fidelity reads every kind of fact but the assessments; outcomes and capacity the transitions.
            needs = [kind for kind in FACTS if kind != "assessments"] if "fidelity" in reports else ["transitions"]
            policy = self.policy

            def parts_of(share: list[Timeline]) -> list[list[Any]]:
                return [[settled.part(report, t, on, policy) for report in reports] for t in share]

            # In shares, one per core (`engine.parallel`): as of a past day, when few kept parts
            # hold, most of a report's time.
            for pieces in shared_out(parts_of, list(load_timelines(conn, on, others, parts=needs).values())):
                for report, piece in zip(reports, pieces, strict=True):
                    parts[report].append(piece)
        return {report: (found.tallies[report], parts[report]) for report in reports}

    def past_retention(self, on: dt.date) -> list[dict[str, Any]]:
        """The pathways whose person's data is due for erasure on `on` (`projections.retention`)."""
        from brobyg.projections.retention import past_retention, retention_cutoff

        self.catch_up()
        with self.engine.connect() as conn:
            return past_retention(conn, retention_cutoff(on, self.policy.retention_years))

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every read-model row, sorted: for comparing an incremental run with a rebuild."""
        tables = [t for model in self.tracked.models for t in model.tables]
        with self.engine.connect() as conn:
            return {t.name: sorted(tuple(r) for r in conn.execute(sa.select(t))) for t in tables}

    def backtest(self, as_of: dt.date, until: dt.date) -> dict[str, Any]:
        """The risk list as it stood on `as_of` against the drop-outs after it, up to `until`
        (`projections.backtest`): only the pathways active on `as_of` and their later dropouts are read."""
        from brobyg.projections.backtest import backtest, dropped_out_between

        rows = self.risk(as_of)  # catches up; the very list `risk --as-of` shows
        with self.engine.connect() as conn:
            dropped = dropped_out_between(conn, [r["case"] for r in rows], as_of, until)
        return backtest(rows, dropped, as_of, until)
