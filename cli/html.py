"""A self-contained HTML report: inline CSS and SVG charts, no scripts, nothing fetched.

Every chart is drawn by `_chart`: an <svg class="chart"> with a <title> and the same title shown
on it, a label on each axis naming its unit (class "axis-label x" and "axis-label y"), ticks on
the value axis, and, where it draws marks of more than one look, a legend with a swatch of each
look. The marks sit in <g class="plot">, the axes in <g class="axis">, the legend in
<g class="legend">, so tests/test_report_html.py can hold every chart of the page to that.

The page speaks the language of the run (`cli.i18n`): in Danish it is ``lang="da"``, its words
are the catalogue's, dates in sentences read ``1. december 2026`` and decimals have a comma; in
English it is as it always was. Sentences from the read models (`Text`, marked constants) are
shown with `say`; code names (states, risk levels) with `term`."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from brobyg.cli.i18n import N_, _, current, long_date, number, pgettext, say, term
from brobyg.cli.i18n import percent as percent_text
from brobyg.projections.outcomes import FIGURE_LABELS, FUNNEL_LABELS, HORIZON_LABELS, SO_FAR
from brobyg.projections.small_numbers import MIN_PEOPLE, NOTE, SUPPRESSED, Count, ratio

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:70rem;color:#1d2733;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #d5dbe3;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}th,td{padding:.25rem .6rem;text-align:left;border-bottom:1px solid #e6e9ee}
th{background:#f3f5f8}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.muted{color:#5b6675;font-size:.85rem}svg{display:block;margin:.8rem 0 .4rem}
.note{background:#f3f5f8;border-left:4px solid #2f6fb0;padding:.5rem .8rem;max-width:52rem}
.caveat{background:#fdf3d8;border-left:4px solid #d9a521;padding:.5rem .8rem;max-width:52rem}
.high{color:#b3261e;font-weight:600}.medium{color:#a15c00}.low{color:#2f6f3e}
"""
COLOURS = ("#2f6fb0", "#e08a1e", "#6a9f3a", "#8e5bb5", "#c0392b", "#17a2a2", "#7f8c8d")
INK = "#1d2733"
MUTED = "#5b6675"
GRID = "#e6e9ee"
HELD = "#c9d3df"  # a count held back ("<5"): drawn pale, at the most it can be
OVER = "#c0392b"  # occupied places above the committed ones
RUNNING, RUNNING_EDGE = "#fdf3d8", "#d9a521"  # the band behind a still-running cohort
FONT = 12

FIGURES = {
    "in_education": N_("in education (basic course or later)"),
    "started_basic_course": N_("started a basic course"),
    "completed_basic_course": N_("completed a basic course"),
    "completed_main_course": N_("completed a main course (qualified)"),
    "employed": N_("employed"),
}
SMALL_COHORT = 30  # below this many pathways a cohort's share is shown with its interval
FUNNEL_NOTE = N_(
    "The last stages are not a narrowing funnel. An apprenticeship agreement (uddannelsesaftale) may start "
    "the main course (hovedforløb) directly: those young people are counted under apprenticeship and never "
    "under main course. “Main course” alone counts those who began it without an agreement, in school-based "
    "training; some of them secure an agreement later. So apprenticeship can be larger than main course."
)
SIMULATED_NOTE = N_(
    "Simulated data. This store was made by brobyg’s simulator, not by a municipality’s work: "
    "the simulator carries out much of what the guide asks by construction, so a share near 100 % here "
    "shows how the measure is computed, not how well anyone practises the model."
)
# The titles cli/reports.py gives its pages: the page shows them in the run's language.
PAGE_TITLES = (
    N_("Outcomes"),
    N_("Fidelity"),
    N_("Capacity"),
    N_("Bridging pathways: outcomes, risk, fidelity and capacity"),
)


def _label(key: str) -> str:
    """A figure's or a stage's key (``basic_course_started``) as people read it: the words of the
    key in English ("basic course started"), the guide's in Danish."""
    label = FUNNEL_LABELS.get(key) or FIGURE_LABELS.get(key)
    return _(label) if label else key.replace("_", " ")


def _measure_label(key: str) -> str:
    """A fidelity measure's short name for its bar (its key's words in English)."""
    from brobyg.projections.fidelity import MEASURE_NAMES  # with the read models: not at start-up

    return _(MEASURE_NAMES[key]) if key in MEASURE_NAMES else key.replace("_", " ")


def _on(day_: Any) -> str:
    """A date in a sentence (``2026-12-01``; ``1. december 2026``)."""
    if isinstance(day_, str) and len(day_) == 10:
        try:
            day_ = dt.date.fromisoformat(day_)
        except ValueError:
            return day_
    return long_date(day_) if isinstance(day_, dt.date) else str(day_)


def _decimal(text: str) -> str:
    """A number written by Python (``12.5``) with the decimal comma in Danish."""
    return text.replace(".", ",") if current() == "da" else text


def pct(share: float | None) -> str:
    return "–" if share is None else percent_text(share * 100, 1)


def shown(value: Count | float) -> str:
    """A published figure as text: a held-back one (None) as a dash, "<5" as it is."""
    return "–" if value is None else str(value)


def days(value: Count | float) -> str:
    """Days as whole days ("721", not "721.0"); a median between two stays rounds half to even."""
    return shown(round(value) if isinstance(value, float) else value)


def interval(low: float | None, high: float | None) -> str:
    return "–" if low is None or high is None else f"{number(low * 100, 1)}–{number(high * 100, 1)} %"


class Markup(str):
    """Text already escaped, with markup of its own: a table puts it in as it is."""


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)

    def cell(v: Any) -> str:
        return v if isinstance(v, Markup) else escape(str(v))

    body = "".join(
        "<tr>" + "".join(f"<td{' class=n' if i in numeric else ''}>{cell(v)}</td>" for i, v in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# --- charts -------------------------------------------------------------------------------------

Swatch = Callable[[float, float], str]  # draws a legend's sample of a look in 16 × 12 at (x, y)


def _w(text: str, size: int = FONT) -> float:
    """About how wide a text is drawn: no browser measures it for us, and a label cut off is worse
    than a little slack."""
    return len(text) * size * 0.56


def _look(fill: str | None = None, stroke: str | None = None, width: float | None = None, dash: str | None = None) -> str:
    """A mark's look as attributes; the legend's swatches use the same, so they match."""
    attrs = [f'fill="{fill or "none"}"']
    if stroke:
        attrs.append(f'stroke="{stroke}" stroke-width="{width or 1}"')
    if dash:
        attrs.append(f'stroke-dasharray="{dash}"')
    return " ".join(attrs)


def _box(fill: str, stroke: str | None = None, width: float | None = None, dash: str | None = None) -> Swatch:
    return lambda x, y: f'<rect x="{x:.1f}" y="{y:.1f}" width="16" height="12" {_look(fill, stroke, width, dash)}/>'


def _stroke(colour: str, width: float = 2, dash: str | None = None) -> Swatch:
    return lambda x, y: (
        f'<line x1="{x:.1f}" x2="{x + 16:.1f}" y1="{y + 6:.1f}" y2="{y + 6:.1f}" {_look(None, colour, width, dash)}/>'
    )


def _legend(entries: Sequence[tuple[str, Swatch]], width: int) -> tuple[str, float]:
    """The legend's entries left to right, wrapped to the chart's width; and its height."""
    if not entries:
        return "", 0
    parts, x, y = ['<g class="legend">'], 0.0, 0.0
    for label, swatch in entries:
        room = 16 + 6 + _w(label) + 20
        if x and x + room > width:
            x, y = 0.0, y + 20
        parts.append(
            f'<g class="legend-entry">{swatch(x, y)}<text x="{x + 22:.1f}" y="{y + 11:.1f}" font-size="{FONT}">{escape(label)}</text></g>'
        )
        x += room
    parts.append("</g>")
    return "".join(parts), y + 20


def _chart(title: str, width: int, body: str, body_height: float, legend: Sequence[tuple[str, Swatch]] = ()) -> str:
    """One chart: its title (also as <title>, for screen readers), its legend under the title, then
    the body drawn from (0, 0) down."""
    legend_svg, legend_h = _legend(legend, width)
    top = 30 + legend_h + (8 if legend_h else 0)
    height = math.ceil(top + body_height)
    return (
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f'<text class="chart-title" x="0" y="16" font-size="14" font-weight="600">{escape(title)}</text>'
        f'<g transform="translate(0 30)">{legend_svg}</g><g transform="translate(0 {top:.0f})">{body}</g></svg>'
    )


def _ticks(top: float, whole: bool, n: int = 5) -> list[float]:
    """Round steps from 0 to at least `top`: 1, 2, 2.5 or 5 times a power of ten (no 2.5 for
    counts and days, which are whole)."""
    top = top if top > 0 else 1
    raw = top / n
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in ((1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)) if m * magnitude >= raw * (1 - 1e-9))
    step = max(step, 1) if whole else step
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def _percent_ticks(top: float) -> list[float]:
    return [t / 100 for t in _ticks(top * 100, whole=False)]


def _tick_text(value: float, percent: bool) -> str:
    return _decimal(f"{value * 100:g} %" if percent else f"{value:g}")


def _value_axis(
    x: Callable[[float], float], ticks: Sequence[float], left: float, right: float, first: float, bottom: float, percent: bool
) -> tuple[list[str], list[str]]:
    """A horizontal value axis under bars or dots from `first` to `bottom`: grid lines at the
    ticks, the two axis lines, and each tick with its text."""
    grid = [f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{first - 4}" y2="{bottom}" stroke="{GRID}"/>' for t in ticks[1:]]
    axis = [
        f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{bottom}" y2="{bottom}" stroke="{INK}"/>',
        f'<line x1="{left:.1f}" x2="{left:.1f}" y1="{first - 4}" y2="{bottom}" stroke="{INK}"/>',
        *(
            f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{bottom}" y2="{bottom + 4}" stroke="{INK}"/>'
            f'<text x="{x(t):.1f}" y="{bottom + 16}" text-anchor="middle" font-size="11">{_tick_text(t, percent)}</text>'
            for t in ticks
        ),
    ]
    return grid, axis


def _x_label(text: str, x: float, y: float) -> str:
    return f'<text class="axis-label x" x="{x:.1f}" y="{y:.1f}" text-anchor="middle" font-size="{FONT}" fill="{MUTED}">{escape(text)}</text>'


def _y_label(text: str, x: float, y: float, rotated: bool) -> str:
    """The label of the vertical axis: turned along it, or (for a list of bars) over their names."""
    if rotated:
        return (
            f'<text class="axis-label y" x="{x:.1f}" y="{y:.1f}" transform="rotate(-90 {x:.1f} {y:.1f})" '
            f'text-anchor="middle" font-size="{FONT}" fill="{MUTED}">{escape(text)}</text>'
        )
    return f'<text class="axis-label y" x="{x:.1f}" y="{y:.1f}" font-size="{FONT}" font-weight="600" fill="{MUTED}">{escape(text)}</text>'


@dataclass(frozen=True)
class Bar:
    """A horizontal bar: its name, its length (None: held back, no bar), the text shown after it,
    and optionally a whisker out to a second value (a 90th percentile beside a median)."""

    label: str
    value: float | None
    text: str
    whisker: float | None = None


def hbar_chart(
    title: str,
    bars: Sequence[Bar],
    x_label: str,
    y_label: str,
    percent: bool = False,
    maximum: float | None = None,
    legend: Sequence[tuple[str, Swatch]] = (),
    width: int = 900,
) -> str:
    """Horizontal bars on a value axis with ticks, the names down the left under the y label."""
    left = max([_w(y_label), *(_w(b.label) for b in bars)]) + 14
    right = width - max([_w(b.text) for b in bars], default=0) - 14
    values = [v for b in bars for v in (b.value, b.whisker) if v is not None]
    top = max([maximum or 0, *values]) or 1
    ticks = _percent_ticks(top) if percent else _ticks(top, whole=True)

    def x(v: float) -> float:
        return left + (right - left) * v / ticks[-1]

    row, first = 22, 22  # the y label sits over the names
    bottom = first + row * len(bars)
    grid, axis = _value_axis(x, ticks, left, right, first, bottom, percent)
    plot, names = [], []
    for i, b in enumerate(bars):
        y = first + i * row
        names.append(f'<text x="0" y="{y + 15}" font-size="{FONT}">{escape(b.label)}</text>')
        end = x(b.value) if b.value is not None else left
        if b.value:  # nothing for a held-back count (None) or for 0
            plot.append(f'<rect x="{left:.1f}" y="{y + 3}" width="{end - left:.1f}" height="16" {_look(COLOURS[0])}/>')
        if b.whisker is not None:
            tip = x(b.whisker)
            plot.append(f'<line x1="{end:.1f}" x2="{tip:.1f}" y1="{y + 11}" y2="{y + 11}" {_look(None, INK, 1.5)}/>')
            plot.append(f'<line x1="{tip:.1f}" x2="{tip:.1f}" y1="{y + 5}" y2="{y + 17}" {_look(None, INK, 1.5)}/>')
            end = max(end, tip)
        names.append(f'<text x="{end + 6:.1f}" y="{y + 15}" font-size="{FONT}">{escape(b.text)}</text>')
    body = (
        f'<g class="grid">{"".join(grid)}</g><g class="axis">{"".join(axis)}</g><g class="plot">{"".join(plot)}</g>'
        + "".join(names)
        + _y_label(y_label, 0, 12, rotated=False)
        + _x_label(x_label, (left + right) / 2, bottom + 34)
    )
    return _chart(title, width, body, bottom + 42, legend)


def _vertical_axis(
    ticks: Sequence[float], y: Callable[[float], float], left: float, right: float, percent: bool, extra: str = ""
) -> str:
    """Grid lines and the axes of a column chart, the value ticks labelled left of it; `extra`:
    the category axis's own ticks."""
    grid = "".join(f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="{GRID}"/>' for t in ticks[1:])
    axis = (
        f'<line x1="{left:.1f}" x2="{left:.1f}" y1="{y(ticks[-1]):.1f}" y2="{y(0):.1f}" stroke="{INK}"/>'
        f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="{INK}"/>'
    )
    axis += "".join(
        f'<line x1="{left - 4:.1f}" x2="{left:.1f}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="{INK}"/>'
        f'<text x="{left - 7:.1f}" y="{y(t) + 4:.1f}" text-anchor="end" font-size="11">{_tick_text(t, percent)}</text>'
        for t in ticks
    )
    return f'<g class="grid">{grid}</g><g class="axis">{axis}{extra}</g>'


def cohort_chart(cohorts: Sequence[dict[str, Any]], series: Sequence[tuple[str, str]], width: int = 900) -> str:
    """Per intake cohort the share that reached each stage, its count under its name; a cohort
    still running stands on a band of its own (its shares will still grow)."""
    n = max(len(cohorts), 1)
    left, right, plot_h = 64, width - 8, 200
    group = (right - left) / n

    def y(v: float) -> float:
        return plot_h * (1 - v)

    names = [cohort_name(str(c["cohort"])) for c in cohorts]
    counts = [f"n = {shown(c['pathways'])}" for c in cohorts]
    side_by_side = group >= max((_w(t, 11) for t in [*names, *counts]), default=0) + 4
    plot, labels, ticks = [], [], []
    for g, c in enumerate(cohorts):
        x0, mid = left + g * group, left + (g + 0.5) * group
        ticks.append(f'<line x1="{mid:.1f}" x2="{mid:.1f}" y1="{plot_h}" y2="{plot_h + 4}" stroke="{INK}"/>')
        if c.get("still_running", False):
            plot.append(
                f'<rect x="{x0 + 1:.1f}" y="0" width="{group - 2:.1f}" height="{plot_h}" {_look(RUNNING, RUNNING_EDGE, 1, "3 2")}/>'
            )
        bar = group * 0.8 / max(len(series), 1)
        for s, (_name, key) in enumerate(series):
            value = ratio(c["funnel"][key], c["pathways"])
            if value is None:  # held back: no bar rather than a bar of 0
                continue
            plot.append(
                f'<rect x="{x0 + group * 0.1 + s * bar:.1f}" y="{y(value):.1f}" width="{max(bar - 1, 1):.1f}" '
                f'height="{plot_h - y(value):.1f}" {_look(COLOURS[s % len(COLOURS)])}/>'
            )
        if side_by_side:
            labels.append(f'<text x="{mid:.1f}" y="{plot_h + 15}" text-anchor="middle" font-size="11">{escape(names[g])}</text>')
            labels.append(
                f'<text x="{mid:.1f}" y="{plot_h + 29}" text-anchor="middle" font-size="11" fill="{MUTED}">{escape(counts[g])}</text>'
            )
        else:  # too many cohorts for level names: turned, name and count together
            labels.append(
                f'<text x="{mid + 4:.1f}" y="{plot_h + 8}" transform="rotate(-90 {mid + 4:.1f} {plot_h + 8})" text-anchor="end" '
                f'font-size="11">{escape(names[g])} ({escape(counts[g])})</text>'
            )
    label_h = 36 if side_by_side else max((_w(f"{a} ({b})", 11) for a, b in zip(names, counts, strict=True)), default=0) + 14
    legend = [(name, _box(COLOURS[s % len(COLOURS)])) for s, (name, _key) in enumerate(series)]
    if any(c.get("still_running", False) for c in cohorts):
        legend.append(
            (
                _("still running: some pathways still active or referred less than four years ago (shares will still grow)"),
                _box(RUNNING, RUNNING_EDGE, 1, "3 2"),
            )
        )
    body = (
        _vertical_axis((0, 0.25, 0.5, 0.75, 1.0), y, left, right, percent=True, extra="".join(ticks))
        + f'<g class="plot">{"".join(plot)}</g>'
        + "".join(labels)
        + _y_label(_("share of the cohort’s pathways (%)"), 14, plot_h / 2, rotated=True)
        + _x_label(_("intake cohort (first referral); n = pathways in the cohort"), (left + right) / 2, plot_h + label_h + 14)
    )
    return _chart(
        _("Share of each intake cohort that has reached each stage, so far"), width, body, plot_h + label_h + 22, legend
    )


def horizons_chart(horizons: dict[str, Any], width: int = 900) -> str:
    """Each of the evaluation's figures here (a dot and its 95 % interval) beside the evaluation's
    participants and comparable group, the four-year comparison first."""
    keyed = [
        (key, f"{_(HORIZON_LABELS[key])}: {_(FIGURES[name]) if name in FIGURES else _label(name)}", f, h["pathways"])
        for key, h in ((k, horizons[k]) for k in HORIZON_LABELS if k in horizons)
        for name, f in h["figures"].items()
    ]
    rows = [(label, f) for _key, label, f, _n in keyed]
    texts = [
        _("{share} of {pathways}").format(
            share=f"{pct(f['here'])} ({interval(f['low'], f['high'])})" if f["here"] is not None else "–", pathways=shown(n)
        )
        for *_rest, f, n in keyed
    ]
    y_label = _("after referral: outcome")
    left = max([_w(y_label), *(_w(label) for label, _f in rows)]) + 14
    right = width - max((_w(t) for t in texts), default=0) - 16
    values = [f[k] for _label, f in rows for k in ("here", "high", "participants", "comparison") if f.get(k) is not None]
    ticks = _percent_ticks(max(values, default=0.1))

    def x(v: float) -> float:
        return left + (right - left) * v / ticks[-1]

    row, first = 24, 22
    ys, y = [], float(first)
    for i, (key, *_rest) in enumerate(keyed):
        y += 10 if i and key != keyed[i - 1][0] == "4y" else 0  # the four-year comparison set apart
        ys.append(y)
        y += row
    bottom = (ys[-1] + row) if rows else first
    grid, axis = _value_axis(x, ticks, left, right, first, bottom, True)
    plot, words = [], []
    for (label, f), y, text in zip(rows, ys, texts, strict=True):
        mid = y + 12
        words.append(f'<text x="0" y="{mid + 4}" font-size="{FONT}">{escape(label)}</text>')
        words.append(f'<text x="{right + 10:.1f}" y="{mid + 4}" font-size="{FONT}">{escape(text)}</text>')
        if f.get("comparison") is not None:
            plot.append(
                f'<rect x="{x(f["comparison"]) - 5:.1f}" y="{mid - 5}" width="10" height="10" {_look("#ffffff", INK, 1.5)}/>'
            )
        if f.get("participants") is not None:
            plot.append(f'<rect x="{x(f["participants"]) - 5:.1f}" y="{mid - 5}" width="10" height="10" {_look(COLOURS[1])}/>')
        if f["here"] is not None:
            if f["low"] is not None and f["high"] is not None:
                plot.append(
                    f'<line x1="{x(f["low"]):.1f}" x2="{x(f["high"]):.1f}" y1="{mid}" y2="{mid}" {_look(None, COLOURS[0], 2.5)}/>'
                )
            plot.append(f'<circle cx="{x(f["here"]):.1f}" cy="{mid}" r="5" {_look(COLOURS[0])}/>')
    legend = [
        (
            _("here, with its 95 % interval"),
            lambda x0, y0: (
                _stroke(COLOURS[0], 2.5)(x0, y0) + f'<circle cx="{x0 + 8:.1f}" cy="{y0 + 6:.1f}" r="5" {_look(COLOURS[0])}/>'
            ),
        ),
        (_("bridging participants (the evaluation)"), _box(COLOURS[1])),
        (_("comparable group (the evaluation; four years only)"), _box("#ffffff", INK, 1.5)),
    ]
    body = (
        f'<g class="grid">{"".join(grid)}</g><g class="axis">{"".join(axis)}</g><g class="plot">{"".join(plot)}</g>'
        + "".join(words)
        + _y_label(y_label, 0, 12, rotated=False)
        + _x_label(_("share of the pathways seen that long after their referral (%)"), (left + right) / 2, bottom + 34)
    )
    return _chart(
        _("Here beside the evaluation, each pathway seen a fixed time after its referral"), width, body, bottom + 42, legend
    )


def monthly_capacity_chart(p: dict[str, Any], width: int = 900) -> str:
    """A partnership's occupied places by month (the average of its weeks) against its committed
    places, the part above them red. A month with a held-back week ("<5") is drawn pale at the
    most it can be, so that no count from 1 to 4 can be read back from it."""
    months: dict[tuple[int, int], list[Count]] = {}
    for w in p["by_week"]:
        monday = w["monday"] if isinstance(w["monday"], dt.date) else dt.date.fromisoformat(str(w["monday"]))
        months.setdefault((monday.year, monday.month), []).append(w["occupied"])
    places = p["places"]
    drawn = []
    for key, weeks in months.items():
        most = [MIN_PEOPLE - 1 if o == SUPPRESSED else o for o in weeks if o is not None]
        drawn.append((key, SUPPRESSED in weeks, sum(most) / len(most) if most else 0.0))
    ticks = _ticks(max([places, *(a for _month, _held, a in drawn)]), whole=True)
    left, right, plot_h = 64, width - 8, 180
    col = (right - left) / max(len(drawn), 1)

    def y(v: float) -> float:
        return plot_h * (1 - v / ticks[-1])

    plot, labels, marks = [], [], []
    for i, ((year, month), held, average) in enumerate(drawn):
        x0, w = left + i * col, max(col - 1, 1)
        if held:
            plot.append(
                f'<rect x="{x0:.1f}" y="{y(average):.1f}" width="{w:.1f}" height="{plot_h - y(average):.1f}" {_look(HELD)}/>'
            )
        else:
            within = min(average, places)
            plot.append(
                f'<rect x="{x0:.1f}" y="{y(within):.1f}" width="{w:.1f}" height="{plot_h - y(within):.1f}" {_look(COLOURS[0])}/>'
            )
            if average > places:
                plot.append(
                    f'<rect x="{x0:.1f}" y="{y(average):.1f}" width="{w:.1f}" height="{y(places) - y(average):.1f}" {_look(OVER)}/>'
                )
        # The year under each January; the first month named too when a year's label does not follow close by.
        if month == 1 or (i == 0 and month <= 9):
            marks.append(f'<line x1="{x0:.1f}" x2="{x0:.1f}" y1="{plot_h}" y2="{plot_h + 6}" stroke="{INK}"/>')
            name = str(year) if month == 1 else (f"{month:02d}-{year}" if current() == "da" else f"{year}-{month:02d}")
            labels.append(f'<text x="{x0 + 2:.1f}" y="{plot_h + 18}" font-size="11">{name}</text>')
    plot.append(
        f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{y(places):.1f}" y2="{y(places):.1f}" {_look(None, INK, 1.5, "5 3")}/>'
    )
    legend = [
        (_("occupied places, within the committed ones"), _box(COLOURS[0])),
        *([(_("above the committed places"), _box(OVER))] if any(a > places for *_rest, a in drawn) else []),
        (_("committed places ({places})").format(places=places), _stroke(INK, 1.5, "5 3")),
    ]
    if any(held for _month, held, _average in drawn):
        legend.append((_("a week of 1–4 occupied (held back): drawn at the most the month can be"), _box(HELD)))
    body = (
        _vertical_axis(ticks, y, left, right, percent=False, extra="".join(marks))
        + f'<g class="plot">{"".join(plot)}</g>'
        + "".join(labels)
        + _y_label(_("occupied places (average week)"), 14, plot_h / 2, rotated=True)
        + _x_label(_("month (each column: the weeks starting in it)"), (left + right) / 2, plot_h + 36)
    )
    title = _("{partnership}: occupied places by month against the {places} committed").format(
        partnership=p["partnership"], places=places
    )
    return _chart(title, width, body, plot_h + 44, legend)


# --- sections ------------------------------------------------------------------------


def _cohort_share(c: dict[str, Any], key: str) -> str:
    """A cohort's share; below 30 pathways with its 95 % interval under it, as a small group's share is rough."""
    bounds = (c.get("intervals") or {}).get(key)
    if isinstance(c["pathways"], int) and c["pathways"] < SMALL_COHORT and c[key] is not None and bounds:
        return Markup(f'{escape(pct(c[key]))}<br><span class="muted">{escape(interval(bounds["low"], bounds["high"]))}</span>')
    return pct(c[key])


def _figure(name: str) -> str:
    return _(FIGURES[name]) if name in FIGURES else name


def _evaluation(o: dict[str, Any]) -> str:
    """The evaluation's comparison: the four-year horizon first and apart, the others beside it."""
    hs = o["horizons"]
    parts = []
    if four := hs.get("4y"):
        by = ""
        if isinstance(o["as_of"], dt.date) and four.get("days") is not None:
            by = " (" + _("by {on}").format(on=_on(o["as_of"] - dt.timedelta(days=four["days"]))) + ")"
        parts.append(
            "<h3>" + _("Beside the evaluation: each pathway four years after its referral") + "</h3>"
            '<p class="note">'
            + _(
                "The comparison with the evaluation: the {pathways} pathways referred at least four years before {on}{by}, "
                "each seen exactly four years after its referral, as the evaluation saw its participants and a comparable "
                "group about four years after they started. The interval is the 95 % interval of the share here: with few "
                "pathways it is wide, and a difference inside it may be chance."
            ).format(pathways=shown(four["pathways"]), on=_on(o["as_of"]), by=by)
            + "</p>"
            + table(
                [
                    _("outcome after 4 years"),
                    _("pathways"),
                    _("here"),
                    _("95 % interval"),
                    _("bridging participants"),
                    _("comparable group"),
                ],
                [
                    [
                        _figure(name),
                        shown(four["pathways"]),
                        pct(f["here"]),
                        interval(f["low"], f["high"]),
                        pct(f["participants"]),
                        pct(f["comparison"]),
                    ]
                    for name, f in four["figures"].items()
                ],
                numeric=(1, 2, 3, 4, 5),
            )
        )
    others = [(key, hs[key]) for key in HORIZON_LABELS if key != "4y" and key in hs]
    if others:
        parts.append(
            "<h3>" + _("On the way: the evaluation’s intermediate figures") + "</h3>"
            '<p class="muted">'
            + _(
                "Each pathway seen exactly that long after its referral, over the pathways referred at least that "
                "long ago. The evaluation gives these for its participants only (about)."
            )
            + "</p>"
            + table(
                [
                    _("after"),
                    _("outcome"),
                    _("pathways"),
                    _("here"),
                    _("95 % interval"),
                    _("bridging participants"),
                    _("comparable group"),
                ],
                [
                    [
                        _(HORIZON_LABELS[key]),
                        _figure(name),
                        shown(h["pathways"]),
                        pct(f["here"]),
                        interval(f["low"], f["high"]),
                        pct(f["participants"]),
                        pct(f["comparison"]),
                    ]
                    for key, h in others
                    for name, f in h["figures"].items()
                ],
                numeric=(2, 3, 4, 5, 6),
            )
        )
    return "".join(parts) + horizons_chart(hs)


def cohort_name(label: str) -> str:
    """A cohort's label as people read it: ``2021-Q1``, in Danish ``2021K1`` (as Statistics Denmark writes a quarter)."""
    year, quarter = label.partition("-Q")[::2]
    return _("{year}-Q{quarter}").format(year=year, quarter=quarter) if quarter else label


def _intake(cohort: str) -> str:
    """The length of an intake cohort (``quarter``) as a sentence names it."""
    names = {
        "month": pgettext("cohort", "month"),
        "quarter": pgettext("cohort", "quarter"),
        "year": pgettext("cohort", "year"),
    }
    return names.get(cohort, cohort)


def _state(code: str) -> str:
    """A state as people read it: its code's words in English (``taster placement``), the guide's in Danish."""
    return term("state", code).replace("_", " ")


def outcomes_section(o: dict[str, Any]) -> str:
    cohorts = o["cohorts"]
    overall = o["overall"]
    so_far = _(SO_FAR)
    funnel_keys = (
        "referred",
        "bridging",
        "basic_course_started",
        "basic_course_completed",
        "main_course",
        "apprenticeship",
        "qualified",
    )

    def stage(key: str) -> Bar:
        n = overall["funnel"][key]
        of = ratio(n, overall["pathways"])
        return Bar(_label(key), n if isinstance(n, int) else None, shown(n) + ("" if of is None else f"  ({pct(of)})"))

    funnel = hbar_chart(
        _("The funnel so far, all cohorts: pathways that ever reached each stage"),
        [stage(k) for k in funnel_keys],
        _("pathways (count; in brackets the share of all)"),
        _("stage"),
    )
    by_cohort = cohort_chart(
        cohorts,
        [(_label(k), k) for k in ("bridging", "basic_course_started", "basic_course_completed", "qualified")],
    )
    if o.get("horizons"):
        comparison = _evaluation(o)
    else:  # a report made before the horizons: only the shares so far, said to be so
        bench = o["benchmark"]
        comparison = (
            "<h3>" + _("The evaluation’s figures beside the shares so far, all cohorts") + "</h3>"
            '<p class="note">'
            + _(
                "The shares here are over every cohort as of today, young people referred last month too; "
                "the evaluation saw its participants about four years after they started."
            )
            + "</p>"
            + table(
                [_("outcome"), _("here, so far, all cohorts"), _("bridging participants"), _("comparable group")],
                [[_label(k), pct(overall[k]), pct(bench[k]["participants"]), pct(bench[k]["comparison"])] for k in bench],
                numeric=(1, 2, 3),
            )
        )
    shares = ("completed_basic_course", "completed_main_course", "employed", "dropped_out", "withdrawn", "active")
    running, complete = _("still running").replace(" ", "\u00a0"), _("complete")
    cohort_rows = [
        [label, shown(c["pathways"]), running if c.get("still_running", False) else complete,
         *(_cohort_share(c, k) for k in shares)]
        for label, c in [(so_far, overall), *((cohort_name(c["cohort"]), c) for c in cohorts)]
    ]  # fmt: skip
    stays = [r for r in o["time_in_state_overall"] if r["median_days"] is not None]
    time_chart = hbar_chart(
        _("Days spent in each state, stays that have ended (so far, all cohorts)"),
        [
            Bar(
                _state(r["state"]),
                r["median_days"],
                _("median {median}, 90th percentile {p90}").format(median=days(r["median_days"]), p90=days(r["p90_days"])),
                r["p90_days"],
            )
            for r in stays
        ],
        _("days"),
        _("state"),
        legend=[(_("median"), _box(COLOURS[0])), (_("90th percentile"), _stroke(INK, 1.5))],
    )
    if not stays:  # every state's days are about fewer than 5 young people: no chart of nothing
        time_chart = '<p class="muted">' + _("No state has ended stays of 5 or more young people yet.") + "</p>"
    return (
        "<h2>" + _("Outcomes") + "</h2>"
        '<p class="muted">'
        + _("{pathways} pathways, by intake {cohort} (first referral), as of {on}.").format(
            pathways=shown(overall["pathways"]), cohort=escape(_intake(o["cohort"])), on=_on(o["as_of"])
        )
        + "</p>"
        + comparison
        + "<h3>"
        + _("The funnel, so far, all cohorts")
        + "</h3>"
        + funnel
        + f'<p class="note">{escape(_(FUNNEL_NOTE))}</p>'
        + "<h3>"
        + _("The funnel by cohort, so far")
        + "</h3>"
        + by_cohort
        + '<p class="muted">'
        + _(
            "A cohort is still running while any of its pathways is active or was referred less than four years "
            "ago; its shares are not final. Below {small} pathways a share carries its 95 % interval."
        ).format(small=SMALL_COHORT)
        + "</p>"
        + table(
            [
                _("cohort"),
                _("pathways"),
                _("status"),
                _("completed basic"),
                _("completed main"),
                *(_label(k) for k in ("employed", "dropped_out", "withdrawn", "active")),
            ],
            cohort_rows,
            numeric=(1, *range(3, 9)),
        )
        + "<h3>"
        + _("Time spent in each state (so far, all cohorts, stays that have ended)")
        + "</h3>"
        + time_chart
        + table(
            [_("cohort"), _("state"), _("stays"), _("median days"), _("90th percentile")],
            [
                [
                    cohort_name(r["cohort"]),
                    term("state", r["state"]),
                    shown(r["stays"]),
                    days(r["median_days"]),
                    days(r["p90_days"]),
                ]
                for r in o["time_in_state"]
            ],
            numeric=(2, 3, 4),
        )
    )


def risk_listed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cases --with-cases lists: the 50 highest scores above low."""
    return [r for r in rows if r["level"] != "low"][:50]


def risk_section(levels: dict[str, Count], rows: list[dict[str, Any]] | None = None) -> str:
    """Active pathways per risk level (published counts); the list of the highest scores, by
    case and mentor, only when `rows` is given (--with-cases, a coordinator's working list)."""
    chart = hbar_chart(
        _("Active pathways by dropout risk level"),
        [
            Bar(term("level", level), levels[level] if isinstance(levels[level], int) else None, shown(levels[level]))
            for level in ("high", "medium", "low")
        ],
        _("active pathways (count)"),
        _("risk level"),
    )
    head = "<h2>" + _("Dropout risk") + "</h2>" + chart
    if rows is None:
        return head + (
            '<p class="muted">'
            + _(
                "{pathways} active pathways. The cases behind these counts are for "
                "coordinators: <code>brobyg risk</code>, or this report with <code>--with-cases</code>."
            ).format(pathways=shown(levels["pathways"]))
            + "</p>"
        )
    listed = risk_listed(rows)
    body = "".join(
        f"<tr><td>{escape(r['case'])}</td><td>{escape(term('state', r['state']))}</td><td>{escape(r['mentor'] or '')}</td>"
        f'<td class=n>{r["score"]}</td><td class="{r["level"]}">{escape(term("level", r["level"]))}</td>'
        f"<td>{escape('; '.join(say(d) for d in r['details']))}</td><td>{escape('; '.join(say(a) for a in r['actions']))}</td></tr>"
        for r in listed
    )
    columns = (_("case"), _("state"), _("mentor"), _("score"), _("level"), _("why"), _("action"))
    return (
        head
        + '<p class="muted">'
        + _("{pathways} active pathways; the {listed} highest scores below.").format(pathways=len(rows), listed=len(listed))
        + "</p>"
        + "<table><thead><tr>"
        + "".join(f"<th>{c}</th>" for c in columns)
        + "</tr></thead>"
        + f"<tbody>{body}</tbody></table>"
    )


def fidelity_section(f: dict[str, Any], simulated: bool = False) -> str:
    """The guide's fidelity measures; from a simulated store said to be simulated, in the heading,
    the chart's title and a note, since the simulator follows much of the guide by construction."""
    chart = hbar_chart(
        _("Share of each fidelity measure met (simulated data)") if simulated else _("Share of each fidelity measure met"),
        [Bar(_measure_label(m["key"]), m["share"], pct(m["share"])) for m in f["measures"]],
        _("share met (%)"),
        _("measure"),
        percent=True,
        maximum=1,
    )
    rows = [
        [m["question"], say(m["measure"]), shown(m["numerator"]), shown(m["denominator"]), pct(m["share"])] for m in f["measures"]
    ]
    missing = "".join(f"<li>{escape(q)}</li>" for q in f["not_answerable"])
    return (
        "<h2>" + (_("Fidelity to the model (simulated)") if simulated else _("Fidelity to the model")) + "</h2>"
        + (f'<p class="caveat">{escape(_(SIMULATED_NOTE))}</p>' if simulated else "")
        + chart
        + table([_("the guide asks"), _("measured as"), _("yes"), _("of"), _("share")], rows, numeric=(2, 3, 4))
        + "<h3>" + _("Questions the event log cannot answer") + "</h3><ul>"
        + missing
        + "</ul>"
    )  # fmt: skip


def capacity_section(rows: list[dict[str, Any]]) -> str:
    parts = ["<h2>" + _("Capacity (committed places per partnership)") + "</h2>"]
    for p in rows:
        parts.append(
            "<h3>"
            + _("{partnership}: {jobcentre} and {school}").format(
                partnership=escape(p["partnership"]), jobcentre=escape(p["jobcentre"]), school=escape(p["school"])
            )
            + "</h3>"
            '<p class="muted">'
            + _(
                "{places} committed places; now {occupied} occupied; average occupancy {average}; "
                "{gaps} of {weeks} weeks with free places (intake gaps), {over} over."
            ).format(
                places=p["places"],
                occupied=shown(p["occupied_now"]),
                average=pct(p["average_occupancy"]),
                gaps=p["intake_gap_weeks"],
                weeks=p["weeks"],
                over=p["weeks_over"],
            )
            + "</p>"
        )
        parts.append(monthly_capacity_chart(p))
    return "".join(parts)


def page(title: str, as_of: dt.date, sections: Sequence[str], simulated: bool = False) -> str:
    """The whole page, in the run's language (its `lang` too); a title cli/reports.py gives in
    English (`PAGE_TITLES`) is shown in that language."""
    shown_title = _(title) if title in PAGE_TITLES else title
    return (
        f'<!doctype html><html lang="{current()}"><head><meta charset="utf-8">'
        f"<title>{escape(shown_title)}</title><style>{STYLE}</style></head><body>"
        f'<h1>{escape(shown_title)}</h1><p class="muted">'
        + _("As of {on}. Made by brobyg from the event log.").format(on=_on(as_of)) + "</p>"
        + ('<p class="caveat">' + _(
            "Made from a simulated municipality (<code>brobyg simulate</code> or <code>brobyg demo</code>): "
            "no real young people, and figures that follow from how the simulator was built.") + "</p>" if simulated else "")
        + "".join(sections)
        + f'<p class="muted">{escape(say(NOTE))}</p>'
        + "</body></html>"
    )  # fmt: skip
