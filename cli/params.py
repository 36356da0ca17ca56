"""Parameter types: malformed input is a usage error (exit 2) before anything runs."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import click

from brobyg.domain.terms import GRADES

MAX_TEXT = 2000


class DateType(click.ParamType):
    name = "DATE"
    _iso = re.compile(r"^\d{4}-\d{2}-\d{2}$")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        try:
            if self._iso.match(text):
                return dt.date.fromisoformat(text)
        except ValueError:  # e.g. 2026-02-30: the right shape, not a day
            self.fail(f"{value!r} is not a day of the calendar", param, ctx)
        self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)


class GradeType(click.ParamType):
    name = "GRADE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        text = str(value).strip()
        if text in GRADES:
            return GRADES[text]
        self.fail(f"{value!r} is not on the 7-point scale ({', '.join(GRADES)})", param, ctx)


class KeyType(click.ParamType):
    """Ids people choose for mentors and partnerships: short, lower-case, no spaces."""

    name = "ID"
    _key = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip().lower()
        if self._key.match(text):
            return text
        self.fail(f"{value!r} is not an id (letters, digits, '.', '_' or '-', at most 32)", param, ctx)


class TextType(click.ParamType):
    """Free text: any characters but control characters, within a sane length."""

    name = "TEXT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        if len(text) > MAX_TEXT:
            self.fail(f"is {len(text)} characters long; at most {MAX_TEXT}", param, ctx)
        if any(ord(ch) < 32 and ch not in "\t\n" for ch in text) or "\x7f" in text:
            self.fail("contains control characters", param, ctx)
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
            self.fail("is not valid text (undecodable characters)", param, ctx)
        return text


DATE = DateType()
GRADE = GradeType()
KEY = KeyType()
TEXT = TextType()


class LineType(TextType):
    """One line of text: a name, a user."""

    name = "TEXT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = super().convert(value, param, ctx)
        if "\n" in text or "\t" in text:
            self.fail("must be a single line", param, ctx)
        if not text.strip():
            self.fail("is empty", param, ctx)
        return text.strip()


LINE = LineType()
