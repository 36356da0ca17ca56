"""Small numbers: what an aggregate report may show without revealing a young person.

Every report format (table, JSON, CSV, HTML) shows the figures these functions publish, so the
rule lives here once. As Danish official statistics do:

- a count from 1 to 4 is shown as "<5"; 0 is shown (it is no one);
- a share computed from fewer than 5 young people is null, and so is a share whose own count is
  held back (the share times the shown total would give the count back);
- a figure about fewer than 5 young people that is not itself below 5 (16 weeks of bridging of
  two people, a median of their days) is null;
- a figure that would give a held-back count back directly is null too: a week's free places and
  places over (the committed places are shown), and, where exactly one cell of a row's partition
  (final states; risk levels) is held back, the smallest other one (the row's total is shown).

Limits, not prevented: the overall row minus the other cohorts can give back a cohort's cell when
it is the only one held back in its column (secondary suppression across cohorts would hide
whole cohorts; give a wide audience quarters or years, not months); a share near 1 gives back its
small complement (9 of 10: 1 did not); the funnel's stages differ by how many stopped at each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from brobyg.engine.text import N_

MIN_PEOPLE = 5
SUPPRESSED = "<5"
NOTE = N_(
    'Small numbers: a count from 1 to 4 is shown as "<5"; a share computed from fewer than 5 young people, or any '
    "figure that would reveal a count below 5, is left out (null in JSON, empty in CSV, \u2013 in tables), "
    "so that no young person can be singled out."
)

Count = int | str | None  # a published count: the number, "<5", or None (held back)


def count(n: int) -> int | str:
    """A count as published: 0 or 5 and more as they are, 1 to 4 as "<5"."""
    return n if n == 0 or n >= MIN_PEOPLE else SUPPRESSED


def few(people: int) -> bool:
    """Fewer than 5 young people, but some: nothing about them is shown."""
    return 0 < people < MIN_PEOPLE


def share(hits: int, of: int, people: int | None = None) -> float | None:
    """hits/of, or None where there is nothing to divide, fewer than 5 young people are behind it
    (`people`, by default `of`) or `hits` is held back."""
    behind = of if people is None else people
    if of == 0 or few(behind) or count(hits) == SUPPRESSED:
        return None
    return round(hits / of, 4)


def ratio(hits: Count, of: Count) -> float | None:
    """The share of two published counts, for charts: None where either is held back."""
    if not isinstance(hits, int) or not isinstance(of, int) or of == 0 or few(of):
        return None
    return hits / of


def shows_held_back(published: Any) -> bool:
    """Whether a published report holds anything back (every holding back shows a "<5")."""
    if isinstance(published, Mapping):
        return any(shows_held_back(v) for v in published.values())
    if isinstance(published, list):
        return any(shows_held_back(v) for v in published)
    return published == SUPPRESSED


def about(n: int, people: int) -> Count:
    """A count of weeks, stays or requests of `people` young people: held back (None) when it is
    5 or more but about fewer than 5 of them, as `count` otherwise."""
    return None if n >= MIN_PEOPLE and few(people) else count(n)


def partition(counts: Mapping[str, int], total: int, also: Mapping[str, int] | None = None) -> dict[str, Count]:
    """Counts that add up to a shown `total`, published: with exactly one of them held back, the
    smallest other non-zero one (of them and `also`) is held back too (None), so that the total
    minus the rest does not give it back. Returns the published `counts` and `also`."""
    raw = {**counts, **(also or {})}
    published: dict[str, Count] = {k: count(v) for k, v in raw.items()}
    held = [k for k in counts if published[k] == SUPPRESSED]
    others = [k for k in raw if published[k] not in (0, SUPPRESSED)]
    if len(held) == 1 and others and not few(total):
        published[min(others, key=lambda k: raw[k])] = None
    return published


# --- the reports ------------------------------------------------------------------------------


def outcomes(o: dict[str, Any]) -> dict[str, Any]:
    """The outcome report as published (`projections.outcomes`)."""
    from brobyg.projections.outcomes import FINALS, SHARE_OF

    def figures(f: dict[str, Any]) -> dict[str, Any]:
        n, raw = f["pathways"], f["funnel"]
        # The final states add up to the pathways with those who end qualified (under "qualified").
        guarded = partition({k: raw[k] for k in FINALS}, n, also={"qualified": raw["qualified"]})
        funnel = {k: count(v) for k, v in raw.items()} | guarded
        shares = {name: None if funnel[k] is None else share(raw[k], n) for name, k in SHARE_OF.items()}
        intervals = {name: f["intervals"][name] if shares[name] is not None else _NO_INTERVAL for name in SHARE_OF}
        return {**f, "pathways": count(n), **shares, "intervals": intervals, "funnel": funnel}

    return {
        **o,
        "horizons": {key: _horizon(h) for key, h in o["horizons"].items()},
        "overall": figures(o["overall"]),
        "cohorts": [figures(c) for c in o["cohorts"]],
        "time_in_state": [_stays(r) for r in o["time_in_state"]],
        "time_in_state_overall": [_stays(r) for r in o["time_in_state_overall"]],
        "suppressed": NOTE,
    }


_NO_INTERVAL = {"low": None, "high": None}


def _horizon(h: dict[str, Any]) -> dict[str, Any]:
    """A horizon's figures: a share (and its interval) of fewer than 5 young people, or whose own
    count is held back, is left out; the count of pathways as any count."""
    n = h["pathways"]
    figures = {}
    for name, f in h["figures"].items():
        here = share(f["hits"], n)
        bounds = {"low": f["low"], "high": f["high"]} if here is not None else _NO_INTERVAL
        figures[name] = {"here": here, **bounds, "participants": f["participants"], "comparison": f["comparison"]}
    return {**h, "pathways": count(n), "figures": figures}


def _stays(r: dict[str, Any]) -> dict[str, Any]:
    """Days in a state: a median or percentile of fewer than 5 young people is someone's days."""
    hidden = few(r["pathways"])
    return {
        **r,
        "stays": about(r["stays"], r["pathways"]),
        "pathways": count(r["pathways"]),
        "median_days": None if hidden else r["median_days"],
        "p90_days": None if hidden else r["p90_days"],
    }


def fidelity(f: dict[str, Any]) -> dict[str, Any]:
    """The fidelity report as published: each measure's counts are about its `pathways`."""
    return {**f, "measures": [_measure(m) for m in f["measures"]], "suppressed": NOTE}


def _measure(m: dict[str, Any]) -> dict[str, Any]:
    people = m["pathways"]
    return {
        **m,
        "numerator": about(m["numerator"], people),
        "denominator": about(m["denominator"], people),
        "pathways": count(people),
        "share": share(m["numerator"], m["denominator"], people),
    }


def capacity(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The capacity report as published (a list, so each partnership carries the note)."""
    return [_partnership(p) for p in rows]


def _partnership(p: dict[str, Any]) -> dict[str, Any]:
    return {
        **p,
        "occupied_now": count(p["occupied_now"]),
        "average_occupancy": None if few(p["pathways"]) else p["average_occupancy"],
        "pathways": count(p["pathways"]),
        "by_week": [_week(w) for w in p["by_week"]],
        "suppressed": NOTE,
    }


def _week(w: dict[str, Any]) -> dict[str, Any]:
    occupied = count(w["occupied"])
    held = occupied == SUPPRESSED  # the committed places minus the free ones would give it back
    return {**w, "occupied": occupied, "free": None if held else w["free"], "over": None if held else w["over"]}


def risk_levels(rows: list[dict[str, Any]], levels: Iterable[str] = ("high", "medium", "low")) -> dict[str, Count]:
    """How many active pathways are at each risk level, and in all (`pathways`), as published."""
    counts = {level: sum(1 for r in rows if r["level"] == level) for level in levels}
    return {**partition(counts, len(rows)), "pathways": count(len(rows))}
