"""The layers import only downwards: engine <- domain <- projections <- cli (the simulator
drives the domain and reads projections), and only the command line speaks click and rich."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("engine", "domain", "projections", "simulator", "cli")
# What each layer may not import (besides its own package and the standard library).
FORBIDDEN = {
    "engine": ("brobyg.domain", "brobyg.projections", "brobyg.simulator", "brobyg.cli"),
    "domain": ("brobyg.projections", "brobyg.simulator", "brobyg.cli"),
    "projections": ("brobyg.simulator", "brobyg.cli"),
    "simulator": ("brobyg.cli",),
    "cli": (),
}
TERMINAL_ONLY = ("click", "rich")


def imports_of(path: Path) -> list[str]:
    """Every module a file imports, at any depth (lazy imports inside functions count)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
    return found


def modules(layer: str) -> list[Path]:
    return sorted((ROOT / layer).glob("**/*.py"))


def _under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def imports_where(layer: str, wrong: Callable[[str], bool]) -> list[str]:
    """Each import in the layer's modules for which `wrong` holds, as "file imports name"."""
    return [f"{path.relative_to(ROOT)} imports {name}" for path in modules(layer) for name in imports_of(path) if wrong(name)]


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_nothing_above_it(layer: str) -> None:
    assert imports_where(layer, lambda name: any(_under(name, above) for above in FORBIDDEN[layer])) == []


@pytest.mark.parametrize("layer", [layer for layer in LAYERS if layer != "cli"])
def test_only_the_command_line_imports_click_or_rich(layer: str) -> None:
    assert imports_where(layer, lambda name: any(_under(name, terminal) for terminal in TERMINAL_ONLY)) == []


@pytest.mark.parametrize("layer", LAYERS)
def test_modules_import_brobyg_by_its_package_name(layer: str) -> None:
    """`import engine` would find another distribution's top-level package, or none."""
    assert imports_where(layer, lambda name: name.split(".")[0] in LAYERS) == []


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\n\ndef f():\n    from brobyg.projections.timeline import Timeline\n    import rich.table\n")
    assert imports_of(sample) == ["os", "brobyg.projections.timeline", "rich.table"]


def test_the_command_line_starts_without_the_heavy_libraries() -> None:
    """`brobyg --help` (and loading any command) imports no database, event-store, table or
    locale-data library: each command imports what it uses when it runs."""
    import subprocess
    import sys

    heavy = ("sqlalchemy", "eventsourcing", "rich", "babel", "psycopg", "cryptography")
    loaded = subprocess.run(
        [sys.executable, "-c", f"import sys, brobyg.cli.main; print(*[m for m in {heavy!r} if m in sys.modules])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert loaded == []


@pytest.mark.parametrize(
    "command",
    [
        ["caseload"],
        ["caseload", "--mentor", "sara"],
        ["risk"],
        ["agenda"],
        ["agenda", "--mentor", "sara"],
        ["report", "outcomes"],
        ["report", "capacity"],
        ["report", "fidelity"],
    ],
)
def test_a_json_read_on_a_caught_up_store_builds_no_application(tmp_path: Path, command: list[str]) -> None:
    """On SQLite, a `--json` list or report whose read models are caught up reads them without
    building the event-sourced application (`engine.reader`), and prints no table (rich) in no
    locale (Babel), in Danish too; after a write it catches up, and so builds it."""

    from tests.helpers import read_alone, run_cli

    db = str(tmp_path / "small.sqlite")
    assert run_cli(db, "mentor", "add", "sara", "--name", "Sara Holm", "--kind", "kui", "--on", "2026-08-01").exit_code == 0
    refer = ["refer", "Jens H.", "--born", "2004-03-02", "--readiness", "education-ready", "--kui-contact", "sara"]
    assert run_cli(db, *refer, "--on", "2026-09-01").exit_code == 0

    def loaded(lang: str = "en") -> tuple[list[str], object]:
        return read_alone(db, *command, lang=lang)

    behind, first = loaded()  # the read models catch up on the log: the application decodes it
    assert behind == ["eventsourcing.application", "brobyg.domain.application"]
    caught_up, again = loaded()
    assert caught_up == []
    assert again == first
    assert loaded("da") == ([], first)
