"""brobyg installs as one package, and stores written by earlier versions still read."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_installs_one_top_level_package_brobyg(tmp_path: Path) -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    source = tmp_path / "src"
    for name in tracked:  # a copy of the tracked files: building writes into the source tree
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("brobyg-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        (top_level,) = [n for n in names if n.endswith(".dist-info/top_level.txt")]
        assert z.read(top_level).decode().split() == ["brobyg"]
        entry_points = z.read(top_level.replace("top_level.txt", "entry_points.txt")).decode()
    assert "brobyg = brobyg.cli.main:main" in entry_points
    installed = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert installed == {"brobyg"}
    assert {n.split("/")[1] for n in names if n.startswith("brobyg/")} >= {"engine", "domain", "projections", "cli", "simulator"}
    assert "brobyg/projections/policy.toml" in names
    assert "brobyg/cli/locale/da/LC_MESSAGES/brobyg.mo" in names  # compiled by the build (setup.py)
