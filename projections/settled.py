"""Settled pathways: those that have ended, each with what every report needs of it.

A pathway that has ended (employed, dropped out, withdrawn, qualified) counts the same in every
later report, so the reports need not read its facts again: this read model keeps, per ended
pathway, its part of the outcome, capacity and fidelity reports (`Part` in each), worked out
once from its facts when it ends (and again if it is touched after: a void, a late fact, a
re-referral takes it out). A report as of a day reads these parts for the pathways settled by
then and works out the others (active, ended lately, or ended after the day) from their facts,
as it always did: the same functions, so the same figures, from one row per ended pathway.

A part settles on `settles_on`: the pathway's last fact (an absence's last school day) plus a
margin beyond every window a report looks through. It holds earlier, from the pathway's last
fact plus a week on (`holds_early`): a report as of a day reads the kept parts of the
pathways that ended more than a week before it, and works out the others from their facts. Parts depend on the policy's numbers: each
row names the policy it was worked out with, and a report under another policy works them out
again from the facts.

The parts are also added up per month of referral (`rm_tallies`: each report's `Tally`), so a
report reads one row per month for the months whose pathways have all settled by its day, not
one per pathway: a report as of today reads the tallies of every month but the last few years',
and those few years one pathway at a time, however long the history. A pathway not settled is
listed in `rm_unsettled`, so the ones still active in a tallied month are found without reading
the month. A tally is changed by adding the parts that settle and subtracting those taken out,
and checked against the number of parts it should hold; where they differ (or some part of the
month was worked out under other numbers) it is added up again from the month's parts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from brobyg.domain.terms import OUTCOME_STATES
from brobyg.engine.read_models import metadata
from brobyg.projections import capacity, facts, fidelity, outcomes
from brobyg.projections.events import TouchedPathways
from brobyg.projections.policy import Policy
from brobyg.projections.timeline import Timeline, load_timelines, school_days_from

# Beyond every window the reports look through after a fact: a request's answer day, critical
# absence's follow-up (school days), the weeks of bridging, with room to spare.
MARGIN = dt.timedelta(days=60)


def quiet_after(policy: Policy) -> dt.timedelta:
    """How long after a pathway's last fact its parts of the capacity and fidelity reports may
    still change, absent days apart: every request's answer day has passed and the week of the
    last contact is over (a week of bridging with a contact counts once the week is full)."""
    return dt.timedelta(days=max(7, policy.request_answer_days + 1))


def holds_early(policy: Policy) -> dt.timedelta:
    """How long before its `settles_on` a kept part already holds: an ended pathway holds no
    bridging place, so from its last fact (an absence's last school day) plus `quiet_after` on
    its parts no longer change, as an active pathway's kept parts do not (`active.parts_from`)."""
    return max(MARGIN - quiet_after(policy), dt.timedelta(0))


REPORTS = ("outcomes", "capacity", "fidelity")

settled = sa.Table(
    "rm_settled",
    metadata,
    sa.Column("stream", sa.String(32), primary_key=True),
    sa.Column("referred_on", sa.Date, nullable=False, index=True),
    sa.Column("settles_on", sa.Date, nullable=False, index=True),
    sa.Column("policy", sa.String(16), nullable=False),
    # Each report's part as JSON (`Part.to_json`), read one column at a time.
    *(sa.Column(report, sa.Text, nullable=False) for report in REPORTS),
)
# Per policy and month of referral ("2021-03"), the settled parts added up: how many, the first
# and last referral among them and the last day one of them settles; each report's `Tally` as JSON.
tallies = sa.Table(
    "rm_tallies",
    metadata,
    sa.Column("policy", sa.String(16), primary_key=True),
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("pathways", sa.Integer, nullable=False),
    sa.Column("first_referred", sa.Date, nullable=False),
    sa.Column("last_referred", sa.Date, nullable=False),
    sa.Column("last_settles", sa.Date, nullable=False),
    *(sa.Column(report, sa.Text, nullable=False) for report in REPORTS),
)
# The pathways with no settled part: active (or not yet ended) ones.
unsettled = sa.Table(
    "rm_unsettled",
    metadata,
    sa.Column("stream", sa.String(32), primary_key=True),
    sa.Column("referred_on", sa.Date, nullable=False, index=True),
)


def fingerprint(policy: Policy) -> str:
    """The policy's numbers, in short: parts worked out under other numbers are not used."""
    return hashlib.sha256(repr(policy).encode()).hexdigest()[:16]


def settles_on(t: Timeline) -> dt.date:
    """The day from which the pathway's parts no longer change: its last fact, plus the margin."""
    dates = [
        x.on
        for kind in ("transitions", "mentor_changes", "contacts", "requests", "placements", "cadences")
        for x in getattr(t, kind)
    ]
    dates += [a.on for a in t.assessments]
    dates += [school_days_from(a.on, a.days)[-1] for a in t.absences]
    return max(dates, default=t.referred_on) + MARGIN


class Settled:
    """The read model: one row per ended pathway, with its part of each report; the parts added
    up per month of referral; and the pathways not settled."""

    name = "settled"
    tables = (settled, tallies, unsettled)

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.fingerprint = fingerprint(policy)
        self.discard()

    def discard(self) -> None:
        self.touched = TouchedPathways()

    def handle(self, conn: sa.Connection, event: Any) -> None:
        self.touched.note(event)

    def flush(self, conn: sa.Connection) -> None:
        """Work out the parts of the touched pathways that have ended (after the facts' flush),
        and change the months' tallies by what came and went."""
        changes: dict[str, dict[str, Any]] = {}  # per month, each report's tally of what changed
        for chunk in self.touched.taken():
            for row in conn.execute(sa.select(settled).where(settled.c.stream.in_(chunk))).mappings():
                if row["policy"] == self.fingerprint:
                    parts = {report: PARTS[report].from_json(orjson.loads(row[report])) for report in REPORTS}
                    _count(changes, row["referred_on"], parts, -1)
            conn.execute(settled.delete().where(settled.c.stream.in_(chunk)))
            conn.execute(unsettled.delete().where(unsettled.c.stream.in_(chunk)))
            ended = _ended(conn, chunk)
            if ended:
                rows = []
                for t in load_timelines(conn, dt.date.max, ended).values():
                    on = settles_on(t)
                    parts = {report: part(report, t, on, self.policy, settled=True) for report in REPORTS}
                    rows.append(
                        {"stream": t.stream, "referred_on": t.referred_on, "settles_on": on, "policy": self.fingerprint}
                        | {report: _json(p.to_json()) for report, p in parts.items()}
                    )
                    _count(changes, t.referred_on, parts, +1)
                conn.execute(settled.insert(), rows)
            p = facts.pathways
            still = sa.select(p.c.stream, p.c.referred_on).where(p.c.stream.in_(sorted(set(chunk) - set(ended))))
            conn.execute(sa.insert(unsettled).from_select(["stream", "referred_on"], still))
        for month in sorted(changes):
            self._fold(conn, month, changes[month])

    def _fold(self, conn: sa.Connection, month: str, change: dict[str, Any]) -> None:
        """The month's tallies with the change made, checked against its settled parts."""
        first, last = _month_range(month)
        s, key = settled, sa.and_(tallies.c.policy == self.fingerprint, tallies.c.month == month)
        in_month = s.c.referred_on.between(first, last)
        mine = s.c.policy == self.fingerprint
        counted = sa.select(
            sa.func.count(),
            sa.func.min(s.c.referred_on),
            sa.func.max(s.c.referred_on),
            sa.func.max(s.c.settles_on),
            sa.func.count().filter(s.c.policy != self.fingerprint),
        ).where(in_month)
        pathways, first_referred, last_referred, last_settles, others = conn.execute(counted).one()
        kept = conn.execute(sa.select(tallies).where(key)).mappings().first()
        conn.execute(tallies.delete().where(key))
        if not pathways or others:
            return  # nothing settled; or parts under other numbers, not to be mixed in
        if kept is not None and kept["pathways"] + change["outcomes"].pathways == pathways:
            found = {report: TALLIES[report].from_json(orjson.loads(kept[report])) for report in REPORTS}
            for report in REPORTS:
                found[report].merge(change[report])
        else:  # no tally yet, or it would not add up: from the month's parts
            found = {report: TALLIES[report]() for report in REPORTS}
            for row in conn.execute(sa.select(s).where(in_month, mine)).mappings():
                parts = {report: PARTS[report].from_json(orjson.loads(row[report])) for report in REPORTS}
                _add(found, parts, +1)
        row = {
            "policy": self.fingerprint,
            "month": month,
            "pathways": pathways,
            "first_referred": first_referred,
            "last_referred": last_referred,
            "last_settles": last_settles,
        }
        conn.execute(tallies.insert(), [row | {report: _json(found[report].to_json()) for report in REPORTS}])


def _json(value: Any) -> str:
    # orjson: a rebuild writes a part of each report for every ended pathway, and a tally a month.
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


def _month_of(day: dt.date) -> str:
    return f"{day.year}-{day.month:02d}"


def _month_range(month: str) -> tuple[dt.date, dt.date]:
    first = dt.date.fromisoformat(f"{month}-01")
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def _add(found: dict[str, Any], parts: dict[str, Any], by: int) -> None:
    for report, p in parts.items():
        if report == "outcomes":
            found[report].add(p, None, by)  # every horizon: `Tally.seen_by` decides on the day
        else:
            found[report].add(p, by)


def _count(changes: dict[str, dict[str, Any]], referred_on: dt.date, parts: dict[str, Any], by: int) -> None:
    month = changes.setdefault(_month_of(referred_on), {report: TALLIES[report]() for report in REPORTS})
    _add(month, parts, by)


def _ended(conn: sa.Connection, streams: list[str]) -> list[str]:
    """Those of the streams whose latest transition is into an outcome state."""
    t = facts.transitions
    latest = (
        sa.select(t.c.stream, sa.func.max(t.c.seq).label("seq")).where(t.c.stream.in_(streams)).group_by(t.c.stream).subquery()
    )
    query = sa.select(t.c.stream).join(latest, sa.and_(t.c.stream == latest.c.stream, t.c.seq == latest.c.seq))
    return list(conn.execute(query.where(t.c.state.in_(OUTCOME_STATES))).scalars())


@dataclass
class Gathered:
    """What reports as of a day are made of: per report, the tallies of the months referred by
    then, less their parts settling after it (each with the day its first pathway was referred),
    and the kept parts (as JSON) of the other settled pathways; and the streams of every other
    pathway referred by then, to be worked out from their facts."""

    tallies: dict[str, list[tuple[dt.date, Any]]]
    stored: dict[str, list[dict[str, Any]]]
    others: list[str]


def gathered(conn: sa.Connection, on: dt.date, reports: tuple[str, ...], policy: Policy) -> Gathered:
    """The reports' tallies, kept parts and the pathways to work out, as of `on` under this
    policy. A month's tally is taken once its last referral is on or before `on`, less the parts
    that settle after `on` (those pathways are worked out from their facts instead, as `on` saw
    them): a month whose old pathways still end now and then keeps its tally. Outcomes take a
    month's tally only if no horizon's day falls inside the month, so it is asked alone;
    capacity and fidelity take the same months, and may be asked together."""
    mine = fingerprint(policy)
    held_by = on + holds_early(policy)  # a part settling by then holds on `on`
    found = Gathered({report: [] for report in reports}, {report: [] for report in reports}, [])
    columns = [tallies.c[report] for report in reports]
    query = sa.select(tallies.c.month, tallies.c.first_referred, tallies.c.last_referred, tallies.c.last_settles, *columns)
    rows = conn.execute(query.where(tallies.c.policy == mine, tallies.c.last_referred <= on)).all()
    late = _settling_after(conn, held_by, reports, mine, [_month_range(row[0]) for row in rows if row[3] > held_by])
    months = []
    for month, first, last, _last_settles, *kept in rows:
        shown = {report: TALLIES[report].from_json(orjson.loads(k)) for report, k in zip(reports, kept, strict=True)}
        for _stream, parts in late.get(month, []):
            _add(shown, parts, -1)
        if "outcomes" in shown:
            shown["outcomes"] = shown["outcomes"].seen_by(first, last, on)
            if shown["outcomes"] is None:
                continue  # a horizon's day falls within the month: its pathways one by one
        for report, tally in shown.items():
            found.tallies[report].append((first, tally))
        found.others += [stream for stream, _parts in late.get(month, [])]
        months.append(_month_range(month))
    p, s = facts.pathways, settled
    tallied = sa.or_(*(p.c.referred_on.between(a, b) for a, b in _joined(months))) if months else sa.false()
    joined = p.outerjoin(s, sa.and_(s.c.stream == p.c.stream, s.c.settles_on <= held_by, s.c.policy == mine))
    query = sa.select(p.c.stream, *(s.c[report] for report in reports)).select_from(joined)
    for stream, *kept in conn.execute(query.where(p.c.referred_on <= on, sa.not_(tallied))).all():
        if kept[0] is None:
            found.others.append(stream)
        else:
            for report, k in zip(reports, kept, strict=True):
                found.stored[report].append(orjson.loads(k))
    if months:  # in the tallied months, the pathways not settled
        u = unsettled
        within = sa.or_(*(u.c.referred_on.between(a, b) for a, b in _joined(months)))
        found.others += conn.execute(sa.select(u.c.stream).where(within, u.c.referred_on <= on)).scalars()
    return found


def _settling_after(
    conn: sa.Connection, day: dt.date, reports: tuple[str, ...], mine: str, months: list[tuple[dt.date, dt.date]]
) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Per month of referral, among these months, the kept parts that settle after `day`: each
    pathway's stream and parts, to be taken out of its month's tally."""
    if not months:
        return {}
    s = settled
    within = sa.or_(*(s.c.referred_on.between(a, b) for a, b in _joined(months)))
    query = sa.select(s.c.stream, s.c.referred_on, *(s.c[report] for report in reports))
    late: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for stream, referred_on, *kept in conn.execute(query.where(within, s.c.policy == mine, s.c.settles_on > day)).all():
        parts = {report: PARTS[report].from_json(orjson.loads(k)) for report, k in zip(reports, kept, strict=True)}
        late.setdefault(_month_of(referred_on), []).append((stream, parts))
    return late


def _joined(months: list[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    """Months that follow one another as one range each: a short condition for many months."""
    ranges: list[tuple[dt.date, dt.date]] = []
    for first, last in sorted(months):
        if ranges and ranges[-1][1] + dt.timedelta(days=1) == first:
            ranges[-1] = (ranges[-1][0], last)
        else:
            ranges.append((first, last))
    return ranges


PARTS: dict[str, Any] = {"outcomes": outcomes.Part, "capacity": capacity.Part, "fidelity": fidelity.Part}
TALLIES: dict[str, Any] = {"outcomes": outcomes.Tally, "capacity": capacity.Tally, "fidelity": fidelity.Tally}


def part(report: str, t: Timeline, on: dt.date, policy: Policy, settled: bool = False) -> Any:
    """One pathway's part of a report as of `on`, from its facts (`settled`: kept from `on` on)."""
    if report == "fidelity":
        return fidelity.part(t, on, policy)
    return outcomes.part(t, on, settled) if report == "outcomes" else capacity.part(t, on)
