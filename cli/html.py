"""A self-contained HTML report: inline CSS and SVG charts, no scripts, nothing fetched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape
from typing import Any

from brobyg.projections.small_numbers import MIN_PEOPLE, NOTE, SUPPRESSED, Count, ratio

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:70rem;color:#1d2733;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #d5dbe3;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}th,td{padding:.25rem .6rem;text-align:left;border-bottom:1px solid #e6e9ee}
th{background:#f3f5f8}td.n{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#5b6675;font-size:.85rem}svg{display:block;margin:.5rem 0}
.high{color:#b3261e;font-weight:600}.medium{color:#a15c00}.low{color:#2f6f3e}
"""
HELD = "#c9d3df"  # a week whose count is held back ("<5"): a pale column up to 4, the most it can be
COLOURS = ("#2f6fb0", "#e08a1e", "#6a9f3a", "#8e5bb5", "#c0392b", "#17a2a2", "#7f8c8d")


def pct(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f} %"


def shown(value: Count | float) -> str:
    """A published figure as text: a held-back one (None) as a dash, "<5" as it is."""
    return "–" if value is None else str(value)


def counted(label: str, value: Count, of: Count = None) -> tuple[str, float, str]:
    """A bar for a published count: held back, it has no length, only its text."""
    length = ratio(value, of) if of is not None else (value if isinstance(value, int) else None)
    return label, length or 0, shown(value)


def hbars(items: Sequence[tuple[str, float, str]], maximum: float | None = None, unit: str = "", width: int = 760) -> str:
    """Horizontal bars: (label, value, shown text)."""
    top = maximum or max((v for _, v, _ in items), default=1) or 1
    row, label_w = 22, 230
    parts = [f'<svg width="{width}" height="{row * len(items) + 6}" role="img" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value, text) in enumerate(items):
        y = i * row + 3
        length = max((width - label_w - 250) * value / top, 0)  # room for the text after the bar
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{length:.1f}" height="16" fill="{COLOURS[0]}"/>')
        parts.append(f'<text x="{label_w + length + 6:.1f}" y="{y + 13}" font-size="12">{escape(text)}{unit}</text>')
    parts.append("</svg>")
    return "".join(parts)


def grouped_bars(groups: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], width: int = 640) -> str:
    """Vertical grouped bars of shares (0–1), one group per label, with a legend; None draws no bar."""
    height, bottom, left = 220, 40, 40
    n = max(len(groups), 1)
    group_w = (width - left) / n
    bar_w = max(group_w / (len(series) + 1), 2)
    parts = [f'<svg width="{width}" height="{height + 24 * len(series)}" role="img" xmlns="http://www.w3.org/2000/svg">']
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = height - bottom - tick * (height - bottom - 10)
        parts.append(f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6e9ee"/>')
        parts.append(f'<text x="0" y="{y + 4:.1f}" font-size="11">{int(tick * 100)}%</text>')
    for g, label in enumerate(groups):
        x0 = left + g * group_w
        for s, (_, values) in enumerate(series):
            value = values[g]
            if value is None:  # held back: no bar rather than a bar of 0
                continue
            h = value * (height - bottom - 10)
            parts.append(
                f'<rect x="{x0 + s * bar_w:.1f}" y="{height - bottom - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" fill="{COLOURS[s % len(COLOURS)]}"/>'
            )
        parts.append(f'<text x="{x0:.1f}" y="{height - bottom + 16}" font-size="11">{escape(label)}</text>')
    for s, (name, _) in enumerate(series):
        y = height + 18 * s
        parts.append(f'<rect x="{left}" y="{y}" width="12" height="12" fill="{COLOURS[s % len(COLOURS)]}"/>')
        parts.append(f'<text x="{left + 18}" y="{y + 11}" font-size="12">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def weekly_columns(weeks: Sequence[dict[str, Any]], places: int, width: int = 640) -> str:
    """Occupied places per week as columns, the committed places as a line; a held-back week pale."""
    height, left = 160, 30
    heights = [MIN_PEOPLE - 1 if w["occupied"] == SUPPRESSED else w["occupied"] for w in weeks]
    top = max([places, *heights], default=1) or 1
    col = (width - left) / max(len(weeks), 1)
    y_places = height - 10 - places / top * (height - 20)
    parts = [f'<svg width="{width}" height="{height + 14}" role="img" xmlns="http://www.w3.org/2000/svg">']
    for i, (w, occupied) in enumerate(zip(weeks, heights, strict=True)):
        h = occupied / top * (height - 20)
        colour = HELD if w["occupied"] == SUPPRESSED else "#c0392b" if w["over"] else COLOURS[0]
        parts.append(
            f'<rect x="{left + i * col:.1f}" y="{height - 10 - h:.1f}" width="{max(col - 1, 1):.1f}" height="{h:.1f}" fill="{colour}"/>'
        )
    parts.append(
        f'<line x1="{left}" x2="{width}" y1="{y_places:.1f}" y2="{y_places:.1f}" stroke="#1d2733" stroke-dasharray="4 3"/>'
    )
    parts.append(f'<text x="0" y="{y_places + 4:.1f}" font-size="11">{places}</text>')
    if weeks:
        parts.append(f'<text x="{left}" y="{height + 10}" font-size="11">{escape(weeks[0]["week"])}</text>')
        parts.append(f'<text x="{width - 60}" y="{height + 10}" font-size="11">{escape(weeks[-1]["week"])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=n' if i in numeric else ''}>{escape(str(v))}</td>" for i, v in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# --- sections ------------------------------------------------------------------------


def outcomes_section(o: dict[str, Any]) -> str:
    cohorts = o["cohorts"]
    funnel_keys = (
        "referred",
        "bridging",
        "basic_course_started",
        "basic_course_completed",
        "main_course",
        "apprenticeship",
        "qualified",
    )
    overall = o["overall"]
    funnel = hbars([counted(k.replace("_", " "), overall["funnel"][k], overall["pathways"]) for k in funnel_keys], maximum=1)
    by_cohort = grouped_bars(
        [c["cohort"] for c in cohorts],
        [
            (label.replace("_", " "), [ratio(c["funnel"][label], c["pathways"]) for c in cohorts])
            for label in ("bridging", "basic_course_started", "basic_course_completed", "qualified")
        ],
    )
    bench = o["benchmark"]
    benchmark_rows = [
        [k.replace("_", " "), pct(overall[k]), pct(bench[k]["participants"]), pct(bench[k]["comparison"])] for k in bench
    ]
    cohort_rows = [
        [
            c["cohort"],
            shown(c["pathways"]),
            pct(c["completed_basic_course"]),
            pct(c["completed_main_course"]),
            pct(c["employed"]),
            pct(c["dropped_out"]),
            pct(c["withdrawn"]),
            pct(c["active"]),
        ]
        for c in cohorts
    ]
    tis = o["time_in_state"]
    overall_tis = o["time_in_state_overall"]
    return (
        "<h2>Outcomes</h2>"
        f'<p class="muted">{overall["pathways"]} pathways, by intake {escape(o["cohort"])} (first referral), as of {o["as_of"]}.</p>'
        "<h3>The funnel, all cohorts</h3>"
        + funnel
        + "<h3>The funnel by cohort (share of the cohort)</h3>"
        + by_cohort
        + table(
            ["cohort", "pathways", "completed basic", "completed main", "employed", "dropped out", "withdrawn", "active"],
            cohort_rows,
            numeric=range(1, 8),
        )
        + "<h3>Beside the evaluation (about four years after starting bridging)</h3>"
        + table(["outcome", "here", "bridging participants", "comparable group"], benchmark_rows, numeric=(1, 2, 3))
        + "<h3>Time spent in each state (all cohorts, stays that have ended)</h3>"
        + hbars(
            [
                (
                    r["state"].replace("_", " "),
                    r["median_days"],
                    f"median {r['median_days']:.0f}, 90th percentile {r['p90_days']:.0f}",
                )
                for r in overall_tis
                if r["median_days"] is not None
            ],
            unit=" days",
        )
        + table(
            ["cohort", "state", "stays", "median days", "90th percentile"],
            [[r["cohort"], r["state"], *map(shown, (r["stays"], r["median_days"], r["p90_days"]))] for r in tis],
            numeric=(2, 3, 4),
        )
    )


def risk_listed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cases --with-cases lists: the 50 highest scores above low."""
    return [r for r in rows if r["level"] != "low"][:50]


def risk_section(levels: dict[str, Count], rows: list[dict[str, Any]] | None = None) -> str:
    """Active pathways per risk level (published counts); the list of the highest scores, by
    case and mentor, only when `rows` is given (--with-cases, a coordinator's working list)."""
    chart = hbars([counted(level, levels[level]) for level in ("high", "medium", "low")])
    head = "<h2>Dropout risk</h2>" + chart
    if rows is None:
        return head + (
            f'<p class="muted">{shown(levels["pathways"])} active pathways. The cases behind these counts are for '
            "coordinators: <code>brobyg risk</code>, or this report with <code>--with-cases</code>.</p>"
        )
    listed = risk_listed(rows)
    body = "".join(
        f"<tr><td>{escape(r['case'])}</td><td>{escape(r['state'])}</td><td>{escape(r['mentor'] or '')}</td><td class=n>{r['score']}</td>"
        f'<td class="{r["level"]}">{r["level"]}</td><td>{escape("; ".join(r["details"]))}</td><td>{escape("; ".join(r["actions"]))}</td></tr>'
        for r in listed
    )
    return (
        head
        + f'<p class="muted">{len(rows)} active pathways; the {len(listed)} highest scores below.</p>'
        + "<table><thead><tr><th>case</th><th>state</th><th>mentor</th><th>score</th><th>level</th><th>why</th><th>action</th></tr></thead>"
        + f"<tbody>{body}</tbody></table>"
    )


def fidelity_section(f: dict[str, Any]) -> str:
    chart = hbars(
        [(m["key"].replace("_", " "), m["share"] or 0, pct(m["share"])) for m in f["measures"]],
        maximum=max(1, *(m["share"] or 0 for m in f["measures"])),
    )
    rows = [[m["question"], m["measure"], shown(m["numerator"]), shown(m["denominator"]), pct(m["share"])] for m in f["measures"]]
    missing = "".join(f"<li>{escape(q)}</li>" for q in f["not_answerable"])
    return (
        "<h2>Fidelity to the model</h2>"
        + chart
        + table(["the guide asks", "measured as", "yes", "of", "share"], rows, numeric=(2, 3, 4))
        + "<h3>Questions the event log cannot answer</h3><ul>"
        + missing
        + "</ul>"
    )


def capacity_section(rows: list[dict[str, Any]]) -> str:
    parts = ["<h2>Capacity (committed places per partnership)</h2>"]
    for p in rows:
        parts.append(
            f"<h3>{escape(p['partnership'])}: {escape(p['jobcentre'])} and {escape(p['school'])}</h3>"
            f'<p class="muted">{p["places"]} committed places; now {shown(p["occupied_now"])} occupied; average occupancy {pct(p["average_occupancy"])}; '
            f"{p['intake_gap_weeks']} of {p['weeks']} weeks with free places (intake gaps), {p['weeks_over']} over.</p>"
        )
        parts.append(weekly_columns(p["by_week"], p["places"]))
    return "".join(parts)


def page(title: str, as_of: dt.date, sections: Sequence[str]) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f'<h1>{escape(title)}</h1><p class="muted">As of {as_of}. Made by brobyg from the event log.</p>'
        + "".join(sections)
        + f'<p class="muted">{escape(NOTE)}</p>'
        + "</body></html>"
    )
