"""The Danish catalogue: what it must hold, and its compiled form, with Babel.

    python -m brobyg.cli.catalogue update     # the .po gains new messages and loses stale ones
    python -m brobyg.cli.catalogue compile    # .po -> .mo (run at install: `make install`)
    python -m brobyg.cli.catalogue check      # exit 1 if a message is untranslated or stale
    python -m brobyg.cli.catalogue merge F…   # take the translations other .po files have
    python -m brobyg.cli.catalogue todo P…    # the untranslated messages found where P… (a file, help/brobyg/X, term/)

What the catalogue must hold is gathered, not listed by hand: the sentences marked in brobyg's
code (``_``, ``N_``, ``ngettext``, ``pgettext``, ``Text``), click's own messages, every help text
of every command and option (read from the commands themselves), and the code names people see
(`TERM_CONTEXTS`).
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from brobyg.cli.i18n import DOMAIN, LOCALE_DIR, help_texts

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "domain", "projections", "cli", "simulator")
KEYWORDS = {**DEFAULT_KEYWORDS, "Text": None}  # `engine.text.Text`; cli/ uses rich's Text, so not there
PO = LOCALE_DIR / "da" / "LC_MESSAGES" / f"{DOMAIN}.po"
MO = PO.with_suffix(".mo")


def _words(name: str) -> Callable[[], Iterable[str]]:
    def codes() -> Iterable[str]:
        from brobyg.domain import terms

        return getattr(terms, name)  # type: ignore[no-any-return]

    return codes


def _events() -> Iterable[str]:
    from brobyg.domain.application import Brobyg

    return sorted({cls.__name__ for aggregate in Brobyg.aggregates for cls in vars(aggregate).values() if _is_event(cls)})


def _is_event(value: object) -> bool:
    from eventsourcing.domain import Aggregate

    return isinstance(value, type) and issubclass(value, Aggregate.Event) and "TOPIC" in vars(value)


# Code names shown to people, by context: the catalogue holds each one (msgctxt, msgid).
TERM_CONTEXTS: dict[str, Callable[[], Iterable[str]]] = {
    "state": _words("ALL_STATES"),
    "event": _events,
    "role": lambda: ("education", "retention"),  # the mentor's role (terms.mentor_role)
    "kind": _words("MENTOR_KINDS"),
    "via": _words("REFERRAL_CHANNELS"),
    "readiness": _words("READINESS"),
    "subject": _words("SUBJECTS"),
    "host": _words("HOST_KINDS"),
    "purpose": _words("PLACEMENT_PURPOSES"),
    "channel": _words("CONTACT_CHANNELS"),
    "level": lambda: ("low", "medium", "high"),  # dropout risk
}


def template() -> Catalog:
    """Every message people can be shown, as a catalogue without translations."""
    catalog = Catalog(domain=DOMAIN, project="brobyg", fuzzy=False)
    for package in PACKAGES:
        for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT / package), method_map=[("**.py", "python")], keywords=DEFAULT_KEYWORDS if package == "cli" else KEYWORDS
        ):
            if _literal(message):
                catalog.add(message, locations=[(f"{package}/{filename}", lineno)], context=context)
    click_dir = Path(click.__file__).parent
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(click_dir), method_map=[("**.py", "python")], keywords={"_": None, "ngettext": (1, 2)}
    ):
        if _literal(message):
            catalog.add(message, locations=[(f"click/{filename}", lineno)], context=context)
    for path, text in _help_of_every_command():
        catalog.add(text, locations=[(f"help/{path}", 0)])
    for context, codes in TERM_CONTEXTS.items():
        for code in codes():
            catalog.add(code, context=context, locations=[(f"term/{context}", 0)])
    return catalog


def _literal(message: object) -> bool:
    parts = message if isinstance(message, tuple) else (message,)
    return all(isinstance(p, str) and p for p in parts)


def _help_of_every_command() -> Iterator[tuple[str, str]]:
    from brobyg.cli.main import cli

    def walk(command: click.Command, path: str) -> Iterator[tuple[str, str]]:
        for text in help_texts(command):
            yield path, text
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, f"{path}/{name}")

    yield from walk(cli, "brobyg")


def keys(catalog: Catalog) -> set[tuple[str, str | None]]:
    return {(_key(m.id), m.context) for m in catalog if m.id}


def _key(msgid: str | tuple[str, ...]) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


def read() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f, locale="da", domain=DOMAIN)


def untranslated(catalog: Catalog) -> list[str]:
    out = []
    for m in catalog:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if not all(strings) or m.fuzzy:
            out.append(_key(m.id))
    return out


def check() -> tuple[list[str], list[str], list[str]]:
    """(missing from the .po, untranslated in it, stale in it)."""
    wanted, held = keys(template()), read()
    have = keys(held)
    missing = sorted(f"{c}|{i}" if c else i for i, c in wanted - have)
    stale = sorted(f"{c}|{i}" if c else i for i, c in have - wanted)
    return missing, untranslated(held), stale


def update() -> None:
    """The .po holds exactly the template's messages, keeping every translation it has."""
    fresh = template()
    catalog = read() if PO.exists() else Catalog(locale="da", domain=DOMAIN)
    created = catalog.creation_date
    catalog.update(fresh, no_fuzzy_matching=True)
    catalog.creation_date = created  # a date that changes on every update would only be noise in diffs
    catalog.obsolete.clear()
    _write(catalog)


def merge(paths: Iterable[Path]) -> int:
    """Take the translations other .po files have for the .po's messages; the number taken."""
    catalog, filled = read(), 0
    for path in paths:
        with path.open("rb") as f:
            other = read_po(f, locale="da")
        for m in other:
            if not m.id or not m.string:
                continue
            mine = catalog.get(m.id, context=m.context)
            if mine is not None:  # the other file's translation wins
                mine.string = m.string
                mine.flags.discard("fuzzy")
                filled += 1
    _write(catalog)
    return filled


def todo(prefixes: list[str]) -> None:
    """Print, as a .po file, the untranslated messages found in places starting with `prefixes`."""
    catalog, wanted = read(), Catalog(locale="da", domain=DOMAIN, fuzzy=False)
    for m in catalog:
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.id and not all(strings) and any(str(f).startswith(tuple(prefixes)) for f, _line in m.locations):
            wanted.add(m.id, context=m.context, locations=m.locations, flags=m.flags)
    write_po(sys.stdout.buffer, wanted, width=0, omit_header=True, include_lineno=False)


def _write(catalog: Catalog) -> None:
    catalog.locale = "da"  # type: ignore[assignment]
    catalog.fuzzy = False  # the header is reviewed: it names the charset the .mo is read with
    catalog.project, catalog.version = "brobyg", "0.1.0"
    catalog.language_team = catalog.last_translator = "brobyg"
    catalog.msgid_bugs_address = ""
    catalog.header_comment = "# brobyg: the Danish catalogue (python -m brobyg.cli.catalogue update | check | compile)."
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as f:
        write_po(f, catalog, width=0, omit_header=False, ignore_obsolete=True, include_previous=False, include_lineno=False)


def compile_mo() -> None:
    """The .mo from the .po, written beside it and renamed into place (a running brobyg never
    reads half a file)."""
    part = MO.with_suffix(".mo.part")
    with part.open("wb") as f:
        write_mo(f, read(), use_fuzzy=False)
    part.replace(MO)


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "check"
    if what == "update":
        update()
    elif what == "compile":
        compile_mo()
    elif what == "merge":
        print(f"{merge(Path(p) for p in argv[1:])} translations filled")
    elif what == "todo":
        todo(argv[1:])
    elif what == "check":
        missing, empty, stale = check()
        for label, found in (("not in the catalogue", missing), ("untranslated", empty), ("stale", stale)):
            for msgid in found:
                print(f"{label}: {msgid!r}")
        return 1 if missing or empty or stale else 0
    else:
        print(inspect.cleandoc(__doc__ or ""), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
