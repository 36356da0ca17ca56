"""Rendering: one JSON document for scripts, rich tables and short lines for people."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click


def _default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


# Times are shown as a coordinator in Denmark reads a clock, with the zone named (CET or CEST);
# JSON keeps ISO 8601 with the offset as recorded (UTC).
LOCAL_ZONE = "Europe/Copenhagen"


def local_time(at: dt.datetime, seconds: bool = False) -> str:
    """`at` as Copenhagen's clock showed it, e.g. "2026-12-02 08:19 CET", in Danish
    "02-12-2026 08:19 CET", the date as `cli.i18n.day` writes it (UTC, named, where the system
    has no zone data)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from brobyg.cli.i18n import current

    try:
        zone: dt.tzinfo = ZoneInfo(LOCAL_ZONE)
    except ZoneInfoNotFoundError:  # neither the system's zone files nor the tzdata package
        zone = dt.UTC
    if at.tzinfo is None:  # stored naive means UTC
        at = at.replace(tzinfo=dt.UTC)
    date = "%d-%m-%Y" if current() == "da" else "%Y-%m-%d"
    return at.astimezone(zone).strftime(f"{date} %H:%M{':%S' if seconds else ''} %Z")


def plural(count: int, word: str, many: str | None = None) -> str:
    """ "1 event", "2 events", "0 events" ("1 read model", "3 read models"), in the run's language.

    The catalogue is asked for the pair ``"{n} event"`` / ``"{n} events"``: English is unchanged,
    and another language has the noun if the pair is marked somewhere, as Babel extracts only
    literal messages. So for people, write the pair out where it is used:
    ``ngettext("{n} event", "{n} events", n).format(n=n)`` (or, in a longer sentence, that as a
    named value: ``_("rebuilt {models} from {events}").format(models=…, events=…)``).
    """
    from brobyg.cli.i18n import ngettext as asked  # not `ngettext(`: Babel would try to extract the f-strings

    return asked(f"{{n}} {word}", f"{{n}} {many or word + 's'}", count).format(n=count)


def emit(data: Any, as_json: bool, human: Callable[[], None]) -> None:
    """With ``--json`` standard output is exactly one JSON document; otherwise `human` prints."""
    if as_json:
        click.echo(as_json_text(data))
    else:
        human()


def as_json_text(data: Any) -> str:
    """`data` as `json.dumps(data, ensure_ascii=False, indent=2)` writes it (dates in ISO form),
    written by orjson: the standard library's encoder is pure Python once it indents, a fifth of
    the time of a risk list of 14,000 pathways."""
    import orjson

    return orjson.dumps(data, default=_default, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    t = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for column in columns:
        t.add_column(column)
    for row in rows:  # as Text: what people typed ("[erased]", "[sic]") is shown, never read as markup
        t.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
    # Pipes and files get a generous width rather than rich's 80-column default (a cohort table
    # with intervals is about 170 columns wide).
    width = None if sys.stdout.isatty() else 200
    Console(width=width).print(t)


@contextlib.contextmanager
def progress_bar(description: str, quiet: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on a terminal (stderr); silent in pipes and under --json."""
    if quiet or not sys.stderr.isatty():
        yield lambda done, total: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance
