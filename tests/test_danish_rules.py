"""Refusals and errors in Danish (issue 19): under --lang da every rule's refusal reads
"afvist: R<n>: <Danish>" and the domain's and engine's errors read "fejl: …" in Danish, with
dates as Danish dates and states as the guide's words; the same command in English says exactly
what it always said. Either way nothing is written."""

from __future__ import annotations

import datetime as dt
import shlex
from pathlib import Path

import pytest

from brobyg.cli.i18n import speaking
from brobyg.domain.queries import next_steps
from brobyg.domain.terms import ALL_STATES
from brobyg.engine.text import Term, Text
from tests.helpers import TODAY, count_events, make_app, run_cli

# Set up by `store`: mentors m1 (LAB), m2 (LAB, capacity 1, full), k1 (KUI); partnership p1.
# Cases: "fresh" (referred, no mentor), "mentored" (referred, m1), "bridging" (bridging, m1, no grades),
# "basic" (basic course, m1), "ended" (withdrawn), "apprentice" (apprenticeship at Smed ApS from 2026-12-01).
# Each: (case or None, arguments with {case}, the English line today, the Danish line).
REFUSALS = [
    (
        None,
        "refer P17 --born 2009-01-01 --readiness education-ready --on 2026-11-20",
        "refused: R1: the young person is 17 on 2026-11-20; bridging is for ages 18–29",
        "afvist: R1: den unge er 17 år den 20. november 2026; brobygning er for unge på 18–29 år",
    ),
    (
        None,
        "refer P26 --born 2000-01-01 --readiness education-ready --via kui",
        "refused: R1: the young person is 26: from 25 the referral comes through the jobcentre (--via jobcentre)",
        "afvist: R1: den unge er 26 år: fra 25 år kommer visitationen gennem jobcentret (--via jobcentre)",
    ),
    (
        None,
        "refer P22 --born 2004-01-01 --readiness activity-ready",
        "refused: R1: activity-ready needs a written justification that the person is among the strongest (--justification)",
        "afvist: R1: aktivitetsparat kræver en skriftlig begrundelse for, at personen er blandt de stærkeste (--justification)",
    ),
    (
        None,
        "refer FRESH --born 2004-03-01 --readiness education-ready",
        "refused: R1: this person already has an active pathway (case {fresh})",
        "afvist: R1: personen har allerede et aktivt forløb (forløb {fresh})",
    ),
    (
        None,
        "refer ENDED --born 2004-03-01 --readiness education-ready",
        "refused: R1: this person already has a pathway (case {ended}, withdrawn): re-refer it (brobyg re-refer {ended})",
        "afvist: R1: personen har allerede et forløb (forløb {ended}, udskrevet): visitér det igen (brobyg re-refer {ended})",
    ),
    (
        "fresh",
        "drop-out {case} --reason ' '",
        "refused: R0: dropping out needs a reason (--reason)",
        "afvist: R0: frafald kræver en begrundelse (--reason)",
    ),
    (
        "ended",
        "contact {case}",
        "refused: R0: {case} has ended (withdrawn); re-refer it first (brobyg re-refer {case})",
        "afvist: R0: {case} er afsluttet (udskrevet); visitér det igen først (brobyg re-refer {case})",
    ),
    (
        "fresh",
        "start-bridging {case}",
        "refused: R2: bridging cannot start without an education mentor (brobyg assign {case} MENTOR)",
        "afvist: R2: brobygning kan ikke starte uden en uddannelsesmentor (brobyg assign {case} MENTOR)",
    ),
    (
        "mentored",
        "assign {case} m1",
        "refused: R3: m1 is already the mentor of {case}",
        "afvist: R3: m1 er allerede mentor for {case}",
    ),
    (
        "fresh",
        "assign {case} m1 --from k1 --reason because",
        "refused: R3: {case}'s mentor is nobody (changed), not k1; look again (brobyg show {case})",
        "afvist: R3: mentoren for {case} er ingen (ændret), ikke k1; se efter igen (brobyg show {case})",
    ),
    (
        "fresh",
        "assign {case} m2",
        "refused: R4: mentor m2 is at capacity (1 of 1 active pathways)",
        "afvist: R4: mentor m2 har ikke flere pladser (1 af 1 aktive forløb)",
    ),
    (
        "mentored",
        "placement start {case} --host Smed --host-kind company --contact Ib --purpose clarify --wish smed",
        "refused: R5: start-placement is not possible from referred (only from bridging): "
        "taster placements happen during bridging, one at a time",
        "afvist: R5: start-placement er ikke muligt fra visiteret (kun fra brobygning): "
        "snusepraktikker sker under brobygning, én ad gangen",
    ),
    (
        "bridging",
        "placement start {case} --host Smed --host-kind company --contact ' ' --purpose clarify --wish ' '",
        "refused: R5: a taster placement needs a named contact person at the host (--contact), "
        "the young person's own wish (--wish)",
        "afvist: R5: en snusepraktik kræver en navngiven kontaktperson på praktikstedet (--contact), "
        "den unges eget ønske (--wish)",
    ),
    (
        "bridging",
        "start-basic-course {case} --programme Smed",
        "refused: R6: admission requirements not met (no grade in danish; no grade in maths; needs 02 or better)",
        "afvist: R6: adgangskravene er ikke opfyldt (ingen karakter i dansk; ingen karakter i matematik; kræver 02 eller bedre)",
    ),
    (
        "basic",
        "release {case} --reason moved",
        "refused: R7: the retention mentor m1 stays with {case} until an apprenticeship is secured or the pathway ends",
        "afvist: R7: fastholdelsesmentoren m1 bliver hos {case}, indtil en læreplads er sikret eller forløbet slutter",
    ),
    (
        "bridging",
        "start-main-course {case}",
        "refused: R8: start-main-course is not possible from bridging (only from awaiting_main_course): "
        "the basic course must be completed first",
        "afvist: R8: start-main-course er ikke muligt fra brobygning (kun fra venter på hovedforløb): "
        "grundforløbet skal gennemføres først",
    ),
    (
        "apprentice",
        "qualify {case}",
        "refused: R9: the apprenticeship at Smed ApS starts 2026-12-01: qualifying cannot be dated before it "
        "(brobyg qualify {case} --on 2026-12-01, once that day has come)",
        "afvist: R9: lærepladsen hos Smed ApS starter 1. december 2026: udlæring kan ikke dateres før "
        "(brobyg qualify {case} --on 2026-12-01, når den dag er kommet)",
    ),
    (
        "fresh",
        "cadence {case} --days 7",
        "refused: R10: {case} has no mentor to agree a contact cadence with",
        "afvist: R10: {case} har ingen mentor at aftale en kontaktrytme med",
    ),
    (
        "mentored",
        "absence {case}",
        "refused: R11: absence counts school days; {case} is referred, not at school or in training",
        "afvist: R11: fravær tæller skoledage; {case} har status visiteret og er ikke i skole eller under uddannelse",
    ),
    (
        "mentored",
        "start-bridging {case} --on 2026-12-24",
        "refused: R13: the date 2026-12-24 lies in the future (today is 2026-11-26)",
        "afvist: R13: datoen 24. december 2026 ligger i fremtiden (i dag er 26. november 2026)",
    ),
    (
        "mentored",
        "void {case} 9 --reason typo",
        "refused: R15: {case} has no event #9 (it has 2; brobyg history {case} shows each event's number)",
        "afvist: R15: {case} har ingen hændelse #9 (det har 2; brobyg history {case} viser hver hændelses nummer)",
    ),
    (
        "mentored",
        "void {case} 2 --reason typo",
        "refused: R15: #2 of {case} (MentorAssigned) cannot be voided: a mentor change is corrected by another (brobyg assign)",
        "afvist: R15: #2 i {case} (Mentor tildelt) kan ikke annulleres: et mentorskifte rettes med et nyt (brobyg assign)",
    ),
]

ERRORS = [
    (
        "show NOPE",
        "error: no case 'NOPE' (brobyg refer … prints the case id)",
        "fejl: intet forløb 'NOPE' (brobyg refer … udskriver forløbs-id'et)",
    ),
    (
        "assign {fresh} nobody",
        "error: no mentor 'nobody' (brobyg mentor add nobody --name … --kind …)",
        "fejl: ingen mentor 'nobody' (brobyg mentor add nobody --name … --kind …)",
    ),
    (
        "mentor add m1 --name Again --kind lab",
        "error: mentor 'm1' already exists",
        "fejl: mentor 'm1' findes allerede",
    ),
    (
        "partnership add p1 --jobcentre Jc --school Sk --places 3",
        "error: partnership 'p1' already exists",
        "fejl: samarbejdskontrakt 'p1' findes allerede",
    ),
]

SETUP_ON = TODAY - dt.timedelta(days=30)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    url = str(tmp_path_factory.mktemp("danish_rules") / "store.sqlite")
    app = make_app(url)
    on = SETUP_ON
    try:
        app.add_mentor("m1", "Mette", "lab", capacity=20, on=on)
        app.add_mentor("m2", "Mads", "lab", capacity=1, on=on)
        app.add_mentor("k1", "Karen", "kui", capacity=20, on=on)
        app.add_partnership("p1", "Jobcenter", "Skole", places=5, on=on)

        def refer(person: str) -> str:
            return app.refer(person, dt.date(2004, 3, 1), "education-ready", on=on).case

        cases = {name: refer(name.upper()) for name in ("fresh", "mentored", "bridging", "basic", "ended", "apprentice")}
        app.assign(refer("FULL"), "m2", on=on)
        for name in ("mentored", "bridging", "basic", "apprentice"):
            app.assign(cases[name], "m1", on=on)
        for name in ("bridging", "basic", "apprentice"):
            app.start_bridging(cases[name], on=on)
        for name in ("basic", "apprentice"):
            app.assess(cases[name], "danish", 7, on=on)
            app.assess(cases[name], "maths", 4, on=on)
            app.start_basic_course(cases[name], "Smed", on=on)
        app.complete_basic_course(cases["apprentice"], on=on)
        app.secure_apprenticeship(cases["apprentice"], "Smed ApS", dt.date(2026, 12, 1), on=on)
        app.withdraw(cases["ended"], "moved", on=on)
    finally:
        app.close()
    return url, cases


def _line(result: object) -> str:
    return getattr(result, "stderr", "").strip() or getattr(result, "output", "").strip()


def _refused(store: tuple[str, dict[str, str]], case: str | None, args: str) -> tuple[list[str], dict[str, str]]:
    _url, cases = store
    values = {**cases, "case": cases[case] if case else ""}
    return shlex.split(args.format(**values)), values


@pytest.mark.parametrize(
    ("case", "args", "english", "danish"), REFUSALS, ids=[f"{r[2].split(':')[1].strip()}-{r[1].split()[0]}" for r in REFUSALS]
)
def test_every_rule_refuses_in_danish_and_english_is_unchanged(
    store: tuple[str, dict[str, str]], case: str | None, args: str, english: str, danish: str
) -> None:
    url, _cases = store
    argv, values = _refused(store, case, args)
    before = count_events(url)
    in_danish = run_cli(url, *argv, "--lang", "da")
    in_english = run_cli(url, *argv, "--lang", "en")
    assert count_events(url) == before  # a refusal writes nothing, in either language
    assert (in_danish.exit_code, in_english.exit_code) == (1, 1)
    assert _line(in_english) == english.format(**values)
    assert _line(in_danish) == danish.format(**values)
    rule = english.split(":")[1].strip()
    assert _line(in_danish).startswith(f"afvist: {rule}: ")


@pytest.mark.parametrize(("args", "english", "danish"), ERRORS, ids=[e[0].split()[0] for e in ERRORS])
def test_errors_of_the_domain_in_danish(store: tuple[str, dict[str, str]], args: str, english: str, danish: str) -> None:
    url, cases = store
    argv = shlex.split(args.format(**cases))
    before = count_events(url)
    in_danish, in_english = run_cli(url, *argv, "--lang", "da"), run_cli(url, *argv)
    assert count_events(url) == before
    assert (in_danish.exit_code, in_english.exit_code) == (1, 1)
    assert _line(in_english) == english
    assert _line(in_danish) == danish


@pytest.mark.parametrize(
    ("db", "english", "danish"),
    [
        ("foo://x", "unsupported database 'foo'", "databasen 'foo' understøttes ikke"),
        ("sqlite:///x.sqlite?cache=1", "the only SQLite URL option is lock_timeout=SECONDS", "den eneste URL-indstilling"),
        ("postgresql://u@h:5432/", "the PostgreSQL URL names no database", "PostgreSQL-URL'en nævner ingen database"),
    ],
)
def test_a_bad_db_is_said_in_danish(tmp_path: Path, db: str, english: str, danish: str) -> None:
    in_danish, in_english = run_cli(db, "caseload", "--lang", "da"), run_cli(db, "caseload")
    assert (in_danish.exit_code, in_english.exit_code) == (2, 2)
    assert english in _line(in_english)
    assert danish in _line(in_danish) and english not in _line(in_danish)


def test_a_folder_as_db_is_said_in_danish(tmp_path: Path) -> None:
    result = run_cli(str(tmp_path), "caseload", "--lang", "da")
    assert result.exit_code == 2
    assert f"{tmp_path} er en mappe, ikke en databasefil" in _line(result)


def test_a_usage_error_of_the_domain_in_danish(store: tuple[str, dict[str, str]]) -> None:
    url, cases = store
    result = run_cli(url, "void", cases["mentored"], "2", "--reason", " ", "--lang", "da")
    assert result.exit_code == 2
    assert "en annullering kræver en begrundelse (--reason)" in _line(result)


def test_next_gives_the_same_reasons_as_before_in_english(store: tuple[str, dict[str, str]]) -> None:
    """`next` (and its JSON) read the violations as plain text: the English sentence, unchanged."""
    url, cases = store
    app = make_app(url)
    try:
        reasons = {s.trigger: [str(v) for v in s.violations] for s in next_steps(app, cases["fresh"])}
    finally:
        app.close()
    assert reasons["start_bridging"] == [
        f"R2: bridging cannot start without an education mentor (brobyg assign {cases['fresh']} MENTOR)"
    ]


def test_texts_keep_their_english_and_say_danish() -> None:
    from brobyg.cli.i18n import say

    text = Text("the date {on} lies in the future (today is {today})", on=dt.date(2026, 12, 24), today=TODAY)
    assert text == "the date 2026-12-24 lies in the future (today is 2026-11-26)"
    with speaking("da"):
        assert say(text) == "datoen 24. december 2026 ligger i fremtiden (i dag er 26. november 2026)"
        assert say(Term("event", "MentorAssigned")) == "Mentor tildelt"
        assert say(Term("state", "taster_placement")) == "snusepraktik"


def test_every_code_name_has_danish() -> None:
    """Every state, and every event `brobyg history` names, reads in Danish, not as its code."""
    from brobyg.cli.catalogue import TERM_CONTEXTS
    from brobyg.cli.i18n import term

    with speaking("da"):
        for context, codes in TERM_CONTEXTS.items():
            for code in codes():
                shown = term(context, code)
                assert shown and (shown != code or code in ("sms",)), (context, code)
        assert {term("state", s) for s in ALL_STATES} >= {"snusepraktik", "grundforløb", "hovedforløb", "læreplads"}


def test_the_reasons_in_json_are_the_same_in_both_languages(store: tuple[str, dict[str, str]]) -> None:
    """`next --json` names the rules' sentences as they always read, whatever the language."""
    url, cases = store
    for case in ("fresh", "bridging", "ended"):
        in_danish = run_cli(url, "next", cases[case], "--json", "--lang", "da")
        in_english = run_cli(url, "next", cases[case], "--json", "--lang", "en")
        assert in_danish.exit_code == in_english.exit_code == 0
        assert in_danish.stdout == in_english.stdout
        assert "bridging cannot start" in in_english.stdout or case != "fresh"
