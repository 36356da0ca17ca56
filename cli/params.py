"""Parameter types: malformed input is a usage error (exit 2) before anything runs."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any, ClassVar

import click

from brobyg.cli.i18n import N_, _, current
from brobyg.domain.terms import DANISH, GRADES, MATHS, SUBJECTS

MAX_TEXT = 2000


class DateType(click.ParamType):
    """An ISO date (2026-12-01); in Danish also as Danes write it (01-12-2026)."""

    name = "DATE"
    _iso = re.compile(r"^\d{4}-\d{2}-\d{2}$")
    _danish = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        try:
            if self._iso.match(text):
                return dt.date.fromisoformat(text)
            danish = self._danish.match(text) if current() == "da" else None
            if danish:
                return dt.date(int(danish[3]), int(danish[2]), int(danish[1]))
        except ValueError:  # e.g. 2026-02-30: the right shape, not a day
            self.fail(_("{value!r} is not a day of the calendar").format(value=value), param, ctx)
        self.fail(_("{value!r} is not a date (YYYY-MM-DD)").format(value=value), param, ctx)


class GradeType(click.ParamType):
    name = "GRADE"

    # As grades are also typed: without the leading zero.
    UNPADDED: ClassVar[dict[str, str]] = {"0": "00", "2": "02"}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        text = str(value).strip()
        text = self.UNPADDED.get(text, text)
        if text in GRADES:
            return GRADES[text]
        self.fail(_("{value!r} is not on the 7-point scale ({grades})").format(value=value, grades=", ".join(GRADES)), param, ctx)


class SubjectType(click.ParamType):
    """Danish or maths, in English or as the guide says them (dansk, matematik)."""

    name = "SUBJECT"
    ALIASES: ClassVar[dict[str, str]] = {"dansk": DANISH, "matematik": MATHS, "math": MATHS}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip().casefold()
        text = self.ALIASES.get(text, text)
        if text in SUBJECTS:
            return text
        self.fail(_("{value!r} is not a subject (danish or dansk, maths or matematik)").format(value=value), param, ctx)


class KeyType(click.ParamType):
    """Ids people choose for mentors and partnerships: short, lower-case, no spaces."""

    name = "ID"
    _key = re.compile(r"^[^\W_][\w.-]{0,31}$")  # letters of any alphabet (søren), digits, '.', '_', '-'

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = unicodedata.normalize("NFC", str(value).strip()).lower()  # one spelling per id
        if self._key.match(text) and text.isprintable():
            return text
        self.fail(_("{value!r} is not an id (letters, digits, '.', '_' or '-', at most 32)").format(value=value), param, ctx)


class TextType(click.ParamType):
    """Free text: any characters but control characters, within a sane length."""

    name = "TEXT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        if len(text) > MAX_TEXT:
            self.fail(_("is {length} characters long; at most {most}").format(length=len(text), most=MAX_TEXT), param, ctx)
        if any(ord(ch) < 32 and ch not in "\t\n" for ch in text) or "\x7f" in text:
            self.fail(_("contains control characters"), param, ctx)
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
            self.fail(_("is not valid text (undecodable characters)"), param, ctx)
        return text


DATE = DateType()
GRADE = GradeType()
SUBJECT = SubjectType()
KEY = KeyType()
TEXT = TextType()


class LineType(TextType):
    """One line of text: a name, a user."""

    name = "TEXT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = super().convert(value, param, ctx)
        if "\n" in text or "\t" in text:
            self.fail(_("must be a single line"), param, ctx)
        if not text.strip():
            self.fail(_("is empty"), param, ctx)
        return text.strip()


LINE = LineType()


# click names its types in its messages ("'x' is not a valid integer range."): named in the
# run's language here, as the rest of the message is.
N_("integer"), N_("integer range")


class Integer(click.types.IntParamType):
    @property  # type: ignore[override]
    def name(self) -> str:
        return _("integer")


class IntRange(click.IntRange):
    @property  # type: ignore[override]
    def name(self) -> str:
        return _("integer range")


class Path(click.Path):
    """click's Path, whose "file", "directory" or "path" is said in the run's language."""

    @property  # type: ignore[override]
    def name(self) -> str:
        return _(self._name)

    @name.setter
    def name(self, value: str) -> None:
        self._name = value


INTEGER = Integer()
