"""Today's lists and a case's views in Danish (issue 19): caseload, risk, agenda, show, history,
next, find and mentor list.

Under --lang da a coordinator reads Danish headers and titles, the guide's words for states,
roles, kinds and levels ("snusepraktik", "uddannelsesmentor", "høj"), the risk list's reasons and
the agenda's items in Danish, dates as 01-12-2026 in a table's cells and as "1. december 2026" in
a sentence. The JSON of every one of these commands is the same under both languages: the read
models' sentences are `Text`s, English strings that keep their template for the command line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result

from brobyg.cli import i18n
from tests import scenarios
from tests.helpers import make_app, run_cli
from tests.scenarios import D

# Today is 2026-11-26 (tests.helpers.TODAY).


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Jens in a taster placement since 11-23 (bridging since 09-03, sara), a contact on 11-20 and a
    request on 11-25; Bo in bridging with sara, a contact on 11-13, then three days absent from
    11-16 (critical on 11-18), maths -3; Eva referred, her person's data erased."""
    url = str(tmp_path_factory.mktemp("danish_views") / "views.sqlite")
    app = make_app(url)
    scenarios.mentors(app)
    jens = scenarios.bridging(app, person="Jens").case
    bo = scenarios.bridging(app, person="Bo").case
    eva = scenarios.referred(app, person="Eva", born=D(2005, 1, 4)).case
    app.contact(jens, on=D(2026, 11, 20))
    app.start_placement(jens, "Tømrer Hansen", "company", "Named contact", "clarify", "wants to try it", on=D(2026, 11, 23))
    app.request(jens, "call me", on=D(2026, 11, 25))
    app.contact(bo, on=D(2026, 11, 13))
    app.absence(bo, 3, on=D(2026, 11, 16))
    app.assess(bo, "danish", 2, on=D(2026, 11, 13))
    app.assess(bo, "maths", -3, on=D(2026, 11, 13))
    app.erase(eva, "the person's request", on=D(2026, 11, 24))
    app.close()
    return {"url": url, "jens": jens, "bo": bo, "eva": eva}


def danish(store: dict[str, str], *args: str) -> str:
    return _ok(run_cli(store["url"], "--lang", "da", *args))


def english(store: dict[str, str], *args: str) -> str:
    return _ok(run_cli(store["url"], "--lang", "en", *args))


def _ok(result: Result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Traceback" not in result.output
    return result.stdout


def test_caseload_in_danish(store: dict[str, str]) -> None:
    shown = danish(store, "caseload")
    assert shown.startswith("Sagsstammer pr. 26. november 2026")
    for header in ("mentor", "type", "aktive", "kapacitet", "efter tilstand", "kontakter overskredet", "henvendelser ubesvaret"):
        assert header in shown
    assert "brobygning 1, snusepraktik 1" in shown  # the guide's words, in the order of the codes
    assert "KUI-kontaktperson" in shown and "LAB-mentor" in shown  # sara and peter's kinds
    assert "taster_placement" not in shown and "Caseloads" not in shown

    mine = danish(store, "caseload", "--mentor", "sara")
    assert "uddannelsesmentor" in mine and "snusepraktik" in mine and "ubesvarede henvendelser" in mine
    assert "Jens" in mine and "Bo" in mine


def test_risk_in_danish(store: dict[str, str]) -> None:
    shown = danish(store, "risk")
    assert shown.startswith("Frafaldsrisiko pr. 26. november 2026")
    for header in ("forløb", "person", "tilstand", "point", "niveau", "hvorfor", "handling"):
        assert header in shown
    # Bo's reasons and actions (the table wraps its cells: each part as it fits on a line)
    assert "kritisk fravær efter fraværspolitikken; kontakt overskredet med 6" in shown  # 7 days after 11-13
    assert "ingen snusepraktik efter 12 uger" in shown
    assert "følg op på fraværet med en kontakt inden for 2 skoledage" in shown
    assert "høj" in shown and "middel" in shown and "lav" in shown  # Bo, Jens, Eva
    assert "critical absence" not in shown and "overdue" not in shown and "high" not in shown

    by_level = danish(store, "risk", "--level", "high", "--as-of", "2026-09-02")
    assert by_level.strip() == "ingen aktive forløb på niveau høj pr. 2. september 2026"


def test_agenda_in_danish(store: dict[str, str]) -> None:
    shown = danish(store, "agenda")
    assert shown.startswith("Forfalder senest 3. december 2026 (pr. 26. november 2026)")
    for header in ("forfalder", "forløb", "person", "mentor", "hvad", "regel"):
        assert header in shown
    flat = " ".join(shown.split())
    assert "20-11-2026" in shown and "2026-11-20" not in shown  # dates in cells
    assert "følg op på kritisk fravær (kritisk siden 18. november 2026), overskredet med 6 dage" in flat
    assert "kontakt (interval 7 dage; seneste 13. november 2026), overskredet med 6 dage" in flat
    assert "besvar henvendelsen fra 25. november 2026" in flat
    assert "snusepraktik siden 23. november 2026: afslut den med et opfølgningsnotat" in flat
    assert "brobygning når 13 uger: beslut næste skridt" in flat

    nothing = danish(store, "agenda", "--mentor", "peter")
    assert nothing.strip() == "intet forfalder for peter fra 26. november 2026 til 3. december 2026"


def test_show_in_danish(store: dict[str, str]) -> None:
    shown = danish(store, "show", store["jens"])
    lines = shown.splitlines()
    assert lines[0] == f"Forløb              {store['jens']}: snusepraktik, episode 1"  # labels aligned to the longest
    assert "Person              Jens, født 02-03-2004 (22 år)" in lines
    assert "Parathed            uddannelsesparat, visiteret via KUI" in lines
    assert "Mentor              sara, Sara Holm (uddannelsesmentor)" in lines
    assert "KUI-kontaktperson   sara" in lines
    assert "Samarbejdskontrakt  ingen" in lines
    assert "Kontakt             seneste 20-11-2026; næste forfalder 27-11-2026 (hver 7. dag)" in lines
    assert "Henvendelser        25-11-2026 (besvares senest 26-11-2026)" in lines
    assert "Snusepraktik        Tømrer Hansen (virksomhed), afklare" in lines
    assert "Snusepraktikker     virksomhed, afklare 23-11-2026–igangværende" in lines
    assert "Vigtige datoer      visiteret 01-09-2026, brobygning 03-09-2026, snusepraktik 23-11-2026" in lines
    assert "Næste skridt" in lines
    assert any(line.strip().startswith("end-placement") and line.strip().endswith("tilladt") for line in lines)

    bo = danish(store, "show", store["bo"])
    assert "Fravær              ulovligt fravær 3 af de seneste 20 skoledage (kritisk)" in bo.splitlines()
    assert "Frafaldsrisiko      høj (" in bo or "Frafaldsrisiko      middel (" in bo
    assert "overskredet med 6 dage" in bo and "adgangskrav ikke opfyldt" in bo

    eva = danish(store, "show", store["eva"])
    assert "Person              [slettet] den 24-11-2026" in eva.splitlines()


def test_history_and_next_in_danish(store: dict[str, str]) -> None:
    shown = danish(store, "history", store["jens"])
    for header in ("dato", "registreret", "af", "hændelse", "detaljer"):
        assert header in shown
    assert "Visiteret" in shown and "Mentor tildelt" in shown and "Snusepraktik startet" in shown
    assert "01-09-2026" in shown and "ny tilstand=snusepraktik" in shown
    assert "praktikstedstype=virksomhed" in shown and "formål=afklare" in shown
    assert "Referred" not in shown and "new_state" not in shown

    erased = danish(store, "history", store["eva"])
    assert "person=[slettet]" in erased and "født=[slettet]" in erased and "Personoplysninger slettet" in erased

    steps = danish(store, "next", store["jens"])
    for header in ("kommando", "fører til", "hvorfor ikke"):
        assert header in steps
    assert "end-placement" in steps and "brobygning" in steps and "tilladt" in steps
    none = danish(store, "next", store["eva"])
    assert (
        none.strip() == f"ingen næste skridt for {store['eva']}: den unges personoplysninger blev slettet den 24. november 2026"
    )


def test_find_and_mentor_list_in_danish(store: dict[str, str]) -> None:
    shown = danish(store, "find", "--all")
    for header in ("forløb", "person", "født", "tilstand", "mentor", "siden"):
        assert header in shown
    assert "02-03-2004" in shown and "snusepraktik" in shown and "[slettet]" in shown
    assert danish(store, "find", "nobody").strip() == "intet forløb fundet blandt aktive forløb (--all: også afsluttede)"
    mentors = danish(store, "mentor", "list")
    for word in ("navn", "type", "kapacitet", "belastning", "KUI-kontaktperson", "LAB-mentor"):
        assert word in mentors


COMMANDS = [
    ["caseload"],
    ["caseload", "--mentor", "sara"],
    ["risk"],
    ["risk", "--level", "high"],
    ["agenda"],
    ["agenda", "--days", "30"],
    ["show", "{jens}"],
    ["show", "{bo}"],
    ["show", "{eva}"],
    ["history", "{jens}"],
    ["history", "{eva}"],
    ["next", "{jens}"],
    ["next", "{eva}"],
    ["find", "--all"],
    ["mentor", "list"],
    ["diagram"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_json_is_the_same_in_both_languages(store: dict[str, str], command: list[str]) -> None:
    args = [a.format(**store) for a in command]
    assert json.loads(danish(store, *args, "--json")) == json.loads(english(store, *args, "--json"))
    assert danish(store, *args, "--json") == english(store, *args, "--json")  # byte for byte


def test_english_stays_as_it_was(store: dict[str, str]) -> None:
    """The same sentences, now `Text`s, read in English exactly as the f-strings did."""
    flat = " ".join(english(store, "agenda").split())
    assert "follow up critical absence (critical since 2026-11-18), overdue by 6 days" in flat
    assert "contact (every 7 days; last 2026-11-13), overdue by 6 days" in flat
    assert "taster placement since 2026-11-23: end it with a follow-up note" in flat
    risk = english(store, "risk")
    assert "critical absence under the absence policy; contact overdue by 6" in risk
    assert "no taster placement after 12 weeks" in risk
    shown = english(store, "show", store["jens"]).splitlines()
    assert shown[0] == f"Case         {store['jens']}: taster placement, episode 1"
    assert "Mentor       sara, Sara Holm (education mentor)" in shown
    assert "Placements   company, clarify 2026-11-23–running" in shown


def test_every_sentence_of_these_views_is_in_the_catalogue(store: dict[str, str]) -> None:
    """Nothing these commands say in Danish that is marked in their own files is missing from the catalogue."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file

    root = Path(i18n.__file__).resolve().parent.parent
    files = {
        "cli/views.py": DEFAULT_KEYWORDS,
        "cli/reading.py": DEFAULT_KEYWORDS,
        "cli/find.py": DEFAULT_KEYWORDS,
        "projections/indicators.py": {**DEFAULT_KEYWORDS, "Text": None},
        "projections/agenda.py": {**DEFAULT_KEYWORDS, "Text": None},
    }
    ours = set()
    for name, keywords in files.items():
        for _line, message, _comments, context in extract_from_file("python", root / name, keywords=keywords):
            first = message[0] if isinstance(message, tuple) else message
            ours.add(f"{context}\x04{first}" if context else first)
    i18n._State.missing.clear()
    for command in COMMANDS:
        danish(store, *[a.format(**store) for a in command])
    danish(store, "risk", "--level", "high", "--as-of", "2026-09-02")
    danish(store, "agenda", "--mentor", "peter")
    danish(store, "find", "nobody")
    assert i18n._State.missing & ours == set()
