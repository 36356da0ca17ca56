"""Nothing left untranslated: the Danish catalogue holds every message brobyg can show, and only
those, and the commands a Danish coordinator runs find every one of them in it."""

from __future__ import annotations

import gettext
import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from babel.messages.pofile import read_po

from brobyg.cli import catalogue
from brobyg.cli.i18n import _State, language_from
from brobyg.cli.main import cli
from tests.helpers import TODAY, run_cli


def test_the_catalogue_holds_every_message_translated_and_none_stale() -> None:
    missing, untranslated, stale = catalogue.check()
    assert missing == [], f"{len(missing)} messages not in {catalogue.PO.name} (python -m brobyg.cli.catalogue update)"
    assert untranslated == [], f"{len(untranslated)} messages without a Danish translation"
    assert stale == [], f"{len(stale)} messages in the catalogue that brobyg no longer shows"


def test_the_compiled_catalogue_is_the_po_file() -> None:
    """The .mo brobyg reads is compiled from the .po as it is now (make install compiles it)."""
    with catalogue.PO.open("rb") as f:
        po = read_po(f, locale="da")
    with catalogue.MO.open("rb") as f:
        mo = gettext.GNUTranslations(f)
    for message in po:
        if not message.id or message.pluralizable or not message.string:
            continue  # untranslated: the test above fails on it
        found = mo.pgettext(message.context, message.id) if message.context else mo.gettext(message.id)
        assert found == message.string, message.id


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


@pytest.fixture
def no_misses() -> Iterator[set[str]]:
    _State.missing.clear()
    yield _State.missing
    assert _State.missing == set(), f"not in the catalogue: {sorted(_State.missing)[:10]}"


def test_every_commands_help_is_danish(no_misses: set[str]) -> None:
    helped = 0
    for path in _commands(cli):
        english = run_cli("unused.sqlite", "--lang", "en", *path, "--help")
        danish = run_cli("unused.sqlite", "--lang", "da", *path, "--help")
        assert english.exit_code == danish.exit_code == 0, (path, danish.output)
        assert danish.output != english.output, path
        assert "Usage:" not in danish.output and "Options:" not in danish.output, path
        helped += 1
    assert helped > 40


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = str(tmp_path_factory.mktemp("demo") / "brobyg.sqlite")
    made = run_cli(db, "simulate", "--pathways", "120", "--seed", "3", "--json")
    assert made.exit_code == 0, made.output
    return db


def test_every_view_and_report_a_coordinator_reads_is_danish(demo_store: str, tmp_path: Path, no_misses: set[str]) -> None:
    risk = json.loads(run_cli(demo_store, "risk", "--json").stdout)
    case = risk[0]["case"]
    mentor = risk[0]["mentor"]
    views = [
        ["caseload"],
        ["caseload", "--mentor", mentor],
        ["risk"],
        ["agenda", "--days", "30"],
        ["show", case],
        ["history", case],
        ["next", case],
        ["mentor", "list"],
        ["report", "outcomes"],
        ["report", "fidelity"],
        ["report", "capacity"],
        ["report", "backtest", "--as-of", str(TODAY.replace(year=TODAY.year - 2))],
        ["report", "html", "--output", str(tmp_path / "rapport.html")],
        ["projections", "status"],
        ["access-log", case],
    ]
    for args in views:
        shown = run_cli(demo_store, "--lang", "da", *args)
        assert shown.exit_code == 0, (args, shown.output)
        assert shown.stdout.strip() or args[:2] == ["report", "html"], args


def test_the_language_is_the_option_else_brobyg_lang_else_the_locale() -> None:
    assert language_from(["--lang", "da", "risk"], {"BROBYG_LANG": "en"}) == "da"
    assert language_from(["risk", "--lang=en"], {"LANG": "da_DK.UTF-8"}) == "en"
    assert language_from(["risk"], {"BROBYG_LANG": "da", "LANG": "en_GB.UTF-8"}) == "da"
    assert language_from(["risk"], {"LANG": "da_DK.UTF-8"}) == "da"
    assert language_from(["risk"], {"LC_MESSAGES": "da_DK", "LANG": "en_US.UTF-8"}) == "da"
    assert language_from(["risk"], {"LC_ALL": "C.UTF-8", "LANG": "da_DK.UTF-8"}) == "en"
    assert language_from(["risk"], {}) == "en"
    assert language_from(["find", "--", "--lang", "da"], {}) == "en"
