"""Fuzzing the command line: whatever the arguments, only exit codes 0, 1 or 2, never a
traceback, and nothing written on 1 or 2. The counts of what was tried are printed."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import TODAY, count_events, make_app, run_cli
from tests.scenarios import bridging, mentors

TRIED: Counter[str] = Counter()

nasty_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "\x00", "\n", "æøå", "‮", "🙂", "-", "--json", "x" * 3000, "2026-02-30", "00", "-3", "12"]),
)
dates = st.one_of(st.dates().map(str), nasty_text)
grades = st.one_of(st.sampled_from(["-3", "00", "02", "4", "7", "10", "12", "3", "1", "02.0"]), nasty_text)
ids = st.one_of(st.sampled_from(["sara", "peter", "nobody", "SARA", "bad id"]), nasty_text)


@st.composite
def command_lines(draw: st.DrawFn, case: str) -> list[str]:
    target = draw(st.one_of(st.just(case), nasty_text))
    choices = [
        ["refer", draw(nasty_text), "--born", draw(dates), "--readiness", draw(st.sampled_from(["education-ready", "activity-ready", "x"]))],
        ["assign", target, draw(ids), "--reason", draw(nasty_text)],
        ["assess", target, "--subject", draw(st.sampled_from(["danish", "maths", "music"])), "--grade", draw(grades)],
        ["contact", target, "--on", draw(dates)],
        ["absence", target, "--days", draw(st.one_of(st.integers(-5, 300).map(str), nasty_text))],
        ["placement", "start", target, "--host", draw(nasty_text), "--host-kind", "company", "--contact", draw(nasty_text),
         "--purpose", "clarify", "--wish", draw(nasty_text)],
        ["mentor", "add", draw(ids), "--name", draw(nasty_text), "--kind", draw(st.sampled_from(["kui", "lab", "x"])),
         "--capacity", draw(st.one_of(st.integers(-3, 1000).map(str), nasty_text))],
        ["secure-apprenticeship", target, "--employer", draw(nasty_text), "--starts", draw(dates)],
        ["drop-out", target, "--reason", draw(nasty_text)],
        ["show", target], ["next", target], ["history", target],
        ["risk", "--as-of", draw(dates)], ["caseload", "--mentor", draw(ids)],
        [draw(nasty_text)],
    ]  # fmt: skip
    line = draw(st.sampled_from(choices))
    if draw(st.booleans()):
        line.append("--json")
    return line


@pytest.mark.parametrize("examples", [150])
def test_the_command_line_never_breaks(db_url: str, tmp_path: Path, examples: int) -> None:
    app = make_app(db_url)
    mentors(app)
    case = bridging(app).case
    app.close()

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(command_lines(case), st.sampled_from([TODAY.isoformat(), "1990-01-01", "2040-01-01"]))
    def run(argv: list[str], today: str) -> None:
        before = count_events(db_url)
        result = run_cli(db_url, *argv, today=today, actor="fuzzer")
        TRIED[f"{argv[0][:20]!r} exit {result.exit_code}"] += 1
        assert result.exit_code in (0, 1, 2), (argv, result.exit_code, result.output[-500:], result.exception)
        assert "Traceback" not in result.output
        if result.exit_code != 0:
            assert count_events(db_url) == before, argv

    run()
    report = "\n".join(f"{n:4}  {what}" for what, n in sorted(TRIED.items()))
    print(f"\nfuzzed {sum(TRIED.values())} command lines:\n{report}")
    if os.environ.get("BROBYG_ARTIFACTS"):
        Path(os.environ["BROBYG_ARTIFACTS"]).mkdir(parents=True, exist_ok=True)
        (
            Path(os.environ["BROBYG_ARTIFACTS"]) / f"fuzz-{'postgres' if db_url.startswith('postgres') else 'sqlite'}.txt"
        ).write_text(report)
    TRIED.clear()


def test_any_database_url_gives_a_clean_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a plain text is a file path: keep what it creates in here

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(["", ":memory:", "sqlite://", "sqlite:////", "/", "postgresql://", "postgresql://[::1/x", "mysql://a/b",
                             "postgresql://u:p@127.0.0.1:1/x", "postgresql://127.0.0.1/x?schema=A-B", "postgresql://127.0.0.1/x?foo=1",
                             "postgresql:///x?host=", "postgresql:///x?host=/nowhere", "postgresql://h/x?host=/tmp",
                             "postgresql:///x?host=%00", "postgresql:///x?host=/a&host=/b"]),
            st.text(max_size=30).map(lambda folder: f"postgresql://u@/x?host={folder}"),
        )
    )  # fmt: skip
    def run(url: str) -> None:
        result = run_cli(url, "show", "BAAAAAA")
        assert result.exit_code in (1, 2), (url, result.output, result.exception)
        assert "Traceback" not in result.output

    run()
