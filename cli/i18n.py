"""The language people read: Danish or English, from gettext catalogues.

The language is `--lang`, else ``BROBYG_LANG``, else the locale (``LC_ALL``, ``LC_MESSAGES`` or
``LANG`` starting with ``da``); English elsewhere. It changes only what people read: JSON, CSV
column names, command and option names, state names in JSON and exit codes are the same in
both. The catalogue is ``cli/locale/da/LC_MESSAGES/brobyg.po``, compiled to ``.mo`` with Babel
when brobyg is installed (`cli.catalogue`); click's own messages are in it too, as click asks
gettext's current domain for them.

Marking: ``_("…")`` for a sentence shown as it is, ``_("… {on}").format(on=long_date(on))`` for
one with values, `say` for a `Text` or `Term` made in the domain or the read models, `term` for
a code name (a state, an event) shown to people.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gettext as _gettext
import inspect
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from brobyg.engine.text import N_, Term, Text

LANGUAGES = ("en", "da")
DOMAIN = "brobyg"
LOCALE_DIR = Path(__file__).with_name("locale")
# click shows these through gettext without marking them where they are written.
CLICK_UNMARKED = (N_("required"), N_("Show this message and exit."))
LANG_HELP = N_("Language for people: da (Danish) or en (English) [env BROBYG_LANG; default: the locale's, else English].")

__all__ = ["N_", "Term", "Text", "day", "long_date", "ngettext", "number", "percent", "pgettext", "say", "term"]


class _State:
    language = "en"
    catalogue: _gettext.NullTranslations = _gettext.NullTranslations()
    # Messages asked for in Danish that the catalogue lacks (the completeness tests read it).
    missing: set[str] = set()  # noqa: RUF012


def language_from(args: Sequence[str], environ: Mapping[str, str]) -> str:
    """The language of one run: `--lang` among the arguments, else BROBYG_LANG, else the locale."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        value = (
            arg.partition("=")[2]
            if arg.startswith("--lang=")
            else (args[i + 1] if arg == "--lang" and i + 1 < len(args) else None)
        )
        if value in LANGUAGES:
            return value
    if environ.get("BROBYG_LANG") in LANGUAGES:
        return environ["BROBYG_LANG"]
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(variable):  # the first one set decides, as in POSIX
            return "da" if environ[variable].lower().startswith("da") else "en"
    return "en"


def current() -> str:
    return _State.language


def catalogue(language: str) -> _gettext.NullTranslations:
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


@contextlib.contextmanager
def speaking(language: str) -> Iterator[None]:
    """Say everything in `language` while the block runs, click's own messages included (click
    asks gettext's current text domain, in the language gettext finds in LANGUAGE)."""
    saved = (_State.language, _State.catalogue, _gettext.textdomain(), os.environ.get("LANGUAGE"))
    _State.language, _State.catalogue = language, catalogue(language)
    _gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    _gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = language
    try:
        yield
    finally:
        _State.language, _State.catalogue = saved[0], saved[1]
        _gettext.textdomain(saved[2])
        if saved[3] is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = saved[3]


def _known(key: str) -> None:
    if _State.language != "en" and key not in getattr(_State.catalogue, "_catalog", {}):
        _State.missing.add(key)


def _(message: str) -> str:
    """`message` in the current language."""
    _known(message)
    return _State.catalogue.gettext(message)


def ngettext(one: str, many: str, count: int) -> str:
    if (one, 0) not in getattr(_State.catalogue, "_catalog", {}):  # a compiled plural is kept as (msgid, form)
        _known(one)
    return _State.catalogue.ngettext(one, many, count)


def pgettext(context: str, message: str) -> str:
    _known(f"{context}\x04{message}")
    return _State.catalogue.pgettext(context, message)


def term(context: str, code: str | None) -> str:
    """A code name as people read it: the code in English, the guide's word in Danish."""
    return "" if code is None else pgettext(context, code)


def say(text: Any) -> str:
    """A `Text` or `Term` made in another layer, or a marked sentence, in the current language."""
    if isinstance(text, Term):
        return pgettext(text.context, str(text))
    if isinstance(text, Text):
        if _State.language == "en":
            return str(text)  # the English sentence exactly as the layer that made it wrote it
        return _(text.template).format(**{k: shown(v) for k, v in text.values.items()})
    return _(str(text))


def shown(value: Any) -> Any:
    """A value as it reads inside a sentence in the current language."""
    if isinstance(value, (Text, Term)):
        return say(value)
    if isinstance(value, dt.datetime):
        from brobyg.cli.output import local_time

        return local_time(value)
    if isinstance(value, dt.date):
        return long_date(value)
    if isinstance(value, float):
        return number(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(shown(v)) for v in value)
    return value


def long_date(day_: dt.date | None) -> str:
    """A date in a sentence: ``2026-12-01``, in Danish ``1. december 2026``."""
    if day_ is None:
        return ""
    if _State.language == "da":
        from babel.dates import format_date

        return format_date(day_, format="long", locale="da")
    return day_.isoformat()


def day(day_: dt.date | str | None) -> str:
    """A date in a table's cell: ``2026-12-01``, in Danish ``01-12-2026``."""
    if day_ is None or day_ == "":
        return ""
    if isinstance(day_, str):
        day_ = dt.date.fromisoformat(day_)
    return day_.strftime("%d-%m-%Y") if _State.language == "da" else day_.isoformat()


def number(value: float, digits: int = 1) -> str:
    """A decimal number: ``30.2``, in Danish ``30,2``."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if _State.language == "da" else text


def percent(value: float, digits: int = 1) -> str:
    """A share of 0–100 as people read it: ``30.2 %``, in Danish ``30,2 %``."""
    return f"{number(value, digits)} %"


class TranslatedHelp:
    """A click command or group whose help texts are looked up in the catalogue as they are shown
    (the help, the short help, the epilog and every parameter's help)."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _help_in_language(self):  # type: ignore[arg-type]
            super().format_help(ctx, formatter)  # type: ignore[misc]

    def get_short_help_str(self, limit: int = 45) -> str:
        with _help_in_language(self):  # type: ignore[arg-type]
            return super().get_short_help_str(limit)  # type: ignore[misc,no-any-return]

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        # click makes the --help option once per process, its help in that moment's language.
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = _("Show this message and exit.")
        return option  # type: ignore[no-any-return]


def help_texts(command: click.Command) -> Iterator[str]:
    """Every help text of `command` as click holds it (the catalogue's msgids)."""
    for text in (command.help, command.short_help, command.epilog):
        if text:
            yield inspect.cleandoc(text)
    for param in command.params:
        text = getattr(param, "help", None)
        if text and not getattr(param, "hidden", False):
            yield text


@contextlib.contextmanager
def _help_in_language(command: click.Command) -> Iterator[None]:
    if _State.language == "en":
        yield
        return
    saved = (command.help, command.short_help, command.epilog, [getattr(p, "help", None) for p in command.params])
    try:
        for name in ("help", "short_help", "epilog"):
            text = getattr(command, name)
            if text:
                setattr(command, name, _(inspect.cleandoc(text)))
        for param in command.params:
            text = getattr(param, "help", None)
            if text and not getattr(param, "hidden", False):
                param.help = _(text)  # type: ignore[attr-defined]
        yield
    finally:
        command.help, command.short_help, command.epilog = saved[0], saved[1], saved[2]
        for param, text in zip(command.params, saved[3], strict=True):
            if hasattr(param, "help"):
                param.help = text  # type: ignore[attr-defined]
