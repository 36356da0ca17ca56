"""The steering-group HTML report in Danish (issue 19): under ``--lang da`` the page is
``lang="da"``, its headings, labels, captions, legends and axes are Danish, dates in sentences
read ``26. november 2026`` and shares have a decimal comma; it is still well-formed and
self-contained and every chart still has its title, axis labels and legend. In English the page
is the same as without ``--lang``."""

from __future__ import annotations

import re
import subprocess
from html import unescape
from pathlib import Path

import pytest

from brobyg.cli import html
from brobyg.cli.catalogue import read
from brobyg.cli.i18n import speaking
from tests.helpers import run_cli
from tests.test_report_html import SVG, charts, groups, horizon_report, problems, title_of
from tests.test_reports_cli import browser_flags, chromium


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A small simulated municipality's report (cohorts by year): in Danish, in English and as it
    is without --lang."""
    folder = tmp_path_factory.mktemp("danish-html")
    db = str(folder / "brobyg.sqlite")
    made = run_cli(db, "simulate", "--pathways", "120", "--seed", "4")
    assert made.exit_code == 0, made.output
    written = {}
    for name, lang in (("da", ["--lang", "da"]), ("en", ["--lang", "en"]), ("default", [])):
        out = folder / f"{name}.html"
        result = run_cli(db, *lang, "report", "html", "--cohort", "year", "-o", str(out))
        assert result.exit_code == 0, result.output
        written[name] = out.read_text(encoding="utf-8")
    return written


def words(page: str) -> str:
    """What a reader sees: the page's text without its style sheet, tags and attributes."""
    text = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", text)))


def test_the_danish_page_is_danish(pages: dict[str, str]) -> None:
    page = pages["da"]
    assert page.startswith('<!doctype html><html lang="da"><head><meta charset="utf-8">')
    assert "<title>Brobygningsforløb: resultater, risiko, modeltroskab og kapacitet</title>" in page
    assert re.findall(r"<h2>(.*?)</h2>", page) == [
        "Resultater",
        "Frafaldsrisiko",
        "Modeltroskab (simuleret)",
        "Kapacitet (aftalte pladser pr. samarbejdskontrakt)",
    ]
    headings = re.findall(r"<h3>(.*?)</h3>", page)
    for heading in (
        "Ved siden af evalueringen: hvert forløb fire år efter visitationen",
        "Tragten, indtil nu, alle årgange",
        "Tragten pr. årgang, indtil nu",
        "Spørgsmål, som hændelsesloggen ikke kan besvare",
    ):
        assert heading in headings
    text = words(page)
    # Dates in sentences are Danish; no ISO date is left in what a reader sees.
    assert "Pr. 26. november 2026. Lavet af brobyg ud fra hændelsesloggen." in text
    assert "mindst fire år før 26. november 2026 (senest 26. november 2022)" in text
    assert re.search(r"\d{4}-\d{2}-\d{2}", text) is None
    # Shares with a decimal comma, none with a point.
    assert re.search(r"\d+,\d %", text) and re.search(r"\d+\.\d+ ?%", text) is None
    # Table headers, the funnel's stages, the cohort status and the notes.
    for said in (
        "<th>årgang</th><th>forløb</th><th>status</th><th>gennemført grundforløb</th>",
        "<th>guiden spørger</th><th>målt som</th>",
        "kører\u00a0stadig",
        "En uddannelsesaftale kan starte hovedforløbet direkte",
        "Simulerede data.",
        "Lavet ud fra en simuleret kommune",
    ):
        assert said in page, said
    for english in ("Outcomes", "Dropout risk", "The funnel", "still running", "committed places", "As of"):
        assert english not in text, english


def test_every_danish_chart_has_a_danish_title_axis_labels_and_a_legend(pages: dict[str, str]) -> None:
    found = charts(pages["da"])  # each chart parses as XML
    titles = [title_of(svg) for svg in found]
    expected = [
        "Her ved siden af evalueringen",
        "Tragten indtil nu, alle årgange",
        "Andel af hver årgang",
        "Dage i hver tilstand",
        "Aktive forløb efter niveau for frafaldsrisiko",
        "Andel opfyldt for hvert mål for modeltroskab (simulerede data)",
        "aarhus-tech: besatte pladser pr. måned",
        "herning-eud: besatte pladser pr. måned",
    ]
    assert len(titles) == len(expected) and all(t.startswith(e) for t, e in zip(titles, expected, strict=True)), titles
    assert {t: problems(svg) for t, svg in zip(titles, found, strict=True)} == {t: [] for t in titles}
    everything = " ".join("".join(svg.itertext()) for svg in found)
    for label in ("andel af årgangens forløb (%)", "besatte pladser (gennemsnitlig uge)", "grundforløb startet", "af "):
        assert label in everything, label
    ticks = ["".join(t.itertext()) for svg in found for g in groups(svg, "axis") for t in g.iter(f"{SVG}text")]
    assert "25 %" in ticks and not [t for t in ticks if "." in t]


def test_the_page_is_self_contained_in_danish_too(pages: dict[str, str]) -> None:
    for needle in ("src=", "href=", "@import", "url(", "<script", "<link"):
        assert needle not in pages["da"]
    assert pages["da"].count("<svg") == pages["en"].count("<svg")


def test_english_is_as_without_a_language(pages: dict[str, str]) -> None:
    assert pages["en"] == pages["default"]
    assert pages["en"].startswith('<!doctype html><html lang="en">')
    assert "<h2>Outcomes</h2>" in pages["en"] and "As of 2026-11-26." in pages["en"]
    for danish in ("Resultater", "Frafaldsrisiko", "Tragten", "årgang", "aftalte pladser", "26. november"):
        assert danish not in pages["en"], danish  # (the guide's own questions are Danish in both)


def test_the_evaluations_figures_in_danish() -> None:
    with speaking("da"):
        section = html.outcomes_section(horizon_report())
    text = words(section)
    assert "de 133 forløb, der blev visiteret mindst fire år før 26. november 2026 (senest 26. november 2022)" in text
    assert re.search(r"gennemført et hovedforløb \(udlært\) 133 18,8 % 13,0–26,4 % 18,0 % 15,0 %", text)
    assert re.search(r"25 uger i uddannelse \(grundforløb eller senere\) 380 26,8 % 22,6–31,4 % 34,0 % –", text)
    assert "18,8 % (13,0–26,4 %) af 133" in text
    assert '25,0 %<br><span class="muted">8,9–53,2 %</span>' in section
    # The same section in English is as it was.
    english = html.outcomes_section(horizon_report())
    assert "18.8 % (13.0–26.4 %) of 133" in words(english) and "2026-11-26 (by 2022-11-26)" in english


def test_every_sentence_of_the_page_has_its_danish() -> None:
    """Every message marked in cli/html.py is translated in the catalogue."""
    untranslated = [
        (m.context, m.id)
        for m in read()
        if m.id
        and any(str(f) == "cli/html.py" for f, _ in m.locations)
        and not all(m.string if isinstance(m.string, tuple) else (m.string,))
    ]
    assert untranslated == []


def test_the_danish_page_in_a_headless_browser(pages: dict[str, str], tmp_path: Path) -> None:
    browser = chromium()
    page = tmp_path / "rapport.html"
    page.write_text(pages["da"], encoding="utf-8")
    dom = subprocess.run(
        [browser, *browser_flags(tmp_path), "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert '<html lang="da">' in dom.stdout and "Frafaldsrisiko" in dom.stdout and "26. november 2026" in dom.stdout
    built = charts(dom.stdout)
    assert [title_of(svg) for svg in built] == [title_of(svg) for svg in charts(pages["da"])]
    assert all(problems(svg) == [] for svg in built)


def test_quarters_read_as_statistics_denmark_writes_them(tmp_path: Path) -> None:
    """In Danish a quarter cohort is 2021K1 on the page as in the terminal's tables; in English
    2021-Q1, as JSON and CSV have it in both."""
    db = str(tmp_path / "brobyg.sqlite")
    assert run_cli(db, "simulate", "--pathways", "60", "--seed", "2").exit_code == 0
    for lang in ("da", "en"):
        assert run_cli(db, "--lang", lang, "report", "html", "-o", str(tmp_path / f"{lang}.html")).exit_code == 0
    danish, english = ((tmp_path / f"{lang}.html").read_text() for lang in ("da", "en"))
    assert re.search(r"\b20\d\dK[1-4]\b", danish) and not re.search(r"\b20\d\d-Q[1-4]\b", danish)
    assert re.search(r"\b20\d\d-Q[1-4]\b", english) and not re.search(r"\b20\d\dK[1-4]\b", english)
