"""Personal data on disk (issue 15): every file brobyg writes is its owner's alone (0600) and
every folder it makes for itself 0700, whatever the umask; an older store open to other
accounts is made private, and the person running the command is told."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from brobyg.engine import private_files
from brobyg.engine.private_files import create_private_file, made_private, private_directory
from tests import scenarios
from tests.helpers import installed_brobyg, make_app, run_cli

USUAL_UMASK = 0o022  # what most systems give a user: files 0644, folders 0755


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    before = os.umask(USUAL_UMASK)
    yield
    os.umask(before)


def brobyg(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command line, as a user with the usual umask types it, its data folder under `cwd`."""
    env = {**os.environ, "HOME": str(cwd / "home"), "XDG_DATA_HOME": str(cwd / "home" / "share")}
    env.pop("BROBYG_DB", None)
    done = subprocess.run(
        [installed_brobyg(), *args], cwd=cwd, env=env, umask=USUAL_UMASK, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done


# --- the command line, end to end ----------------------------------------------------------------


@pytest.mark.skipif(not os.sys.platform.startswith("linux"), reason="XDG_DATA_HOME names the data folder on Linux")
def test_the_default_store_is_private_in_a_private_folder(tmp_path: Path) -> None:
    brobyg(tmp_path, "mentor", "add", "sara", "--name", "Sara Holm", "--kind", "kui")
    folder = tmp_path / "home" / "share" / "brobyg"
    assert mode(folder) == 0o700
    assert mode(folder / "brobyg.sqlite") == 0o600
    assert mode(folder.parent) == 0o755  # the data folder's parent is not brobyg's: left as the umask made it


def test_every_file_the_command_line_writes_is_private(tmp_path: Path) -> None:
    brobyg(tmp_path, "--db", "store.sqlite", "simulate", "--pathways", "3")
    (tmp_path / "old.csv").write_text("an earlier report, made before files were private\n")
    assert mode(tmp_path / "old.csv") == 0o644
    brobyg(tmp_path, "--db", "store.sqlite", "export", "log.jsonl")
    brobyg(tmp_path, "--db", "store.sqlite", "report", "html", "-o", "report.html")
    brobyg(tmp_path, "--db", "store.sqlite", "report", "outcomes", "--format", "json", "-o", "outcomes.json")
    brobyg(tmp_path, "--db", "store.sqlite", "report", "outcomes", "--format", "csv", "-o", "old.csv", "--force")
    written = ["store.sqlite", "log.jsonl", "report.html", "outcomes.json", "old.csv"]
    assert {name: mode(tmp_path / name) for name in written} == dict.fromkeys(written, 0o600)


def test_make_demo_writes_a_private_store_and_report(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    brobyg(tmp_path, "--db", "demo/brobyg.sqlite", "demo", "--pathways", "3", "--replace")
    assert mode(tmp_path / "demo" / "brobyg.sqlite") == 0o600
    assert mode(tmp_path / "demo" / "report.html") == 0o600


def test_an_output_file_is_0600_even_under_a_umask_that_takes_the_owners_bits(tmp_path: Path) -> None:
    url = str(tmp_path / "store.sqlite")
    make_app(url).close()
    os.umask(0o277)
    assert run_cli(url, "export", str(tmp_path / "log.jsonl")).exit_code == 0
    assert mode(tmp_path / "log.jsonl") == 0o600


# --- the store ------------------------------------------------------------------------------------


def test_a_new_store_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    app = make_app(str(path))
    try:
        scenarios.mentors(app)
        scenarios.referred(app)  # the WAL and its index are there while the store is open
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert {file.name: mode(file) for file in files} == {file.name: 0o600 for file in files}
    finally:
        app.close()


def test_an_older_store_open_to_others_is_made_private_and_the_person_told_once(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    app = make_app(str(path))
    scenarios.mentors(app)
    app.close()
    path.chmod(0o644)  # as brobyg made it before
    Path(f"{path}-journal").write_bytes(b"")  # left behind, 0644 by the umask
    first = run_cli(str(path), "caseload")
    assert first.exit_code == 0, first.output
    assert (
        first.stderr == f"warning: {path} was open to other accounts (mode 0644); made private (0600): it holds personal data\n"
    )
    assert mode(path) == 0o600 and mode(Path(f"{path}-journal")) == 0o600
    again = run_cli(str(path), "caseload")
    assert again.exit_code == 0 and again.stderr == ""


def test_a_store_brobyg_cannot_make_private_is_used_and_said_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "store.sqlite"
    app = make_app(str(path))
    scenarios.mentors(app)
    app.close()
    path.chmod(0o640)

    def not_the_owner(self: Path, mode: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(private_files.Path, "chmod", not_the_owner)
    for _ in range(2):  # every command says so, as long as it is so
        result = run_cli(str(path), "caseload")
        assert result.exit_code == 0, result.output
        assert result.stderr == (
            f"warning: {path} is open to other accounts (mode 0640) and could not be made private "
            f"(Operation not permitted); its owner can run: chmod go-rwx {path}\n"
        )
    assert mode(path) == 0o640


def test_a_file_that_is_no_store_is_never_changed(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database, mistyped as --db\n")
    result = run_cli(str(notes), "caseload")
    assert result.exit_code == 1 and "warning" not in result.stderr
    assert mode(notes) == 0o644


def test_a_reading_command_on_a_missing_store_still_creates_nothing(tmp_path: Path) -> None:
    assert run_cli(str(tmp_path / "missing.sqlite"), "caseload").exit_code == 2
    assert list(tmp_path.iterdir()) == []


# --- the functions others call (a key file, its folder) ------------------------------------------


def test_create_private_file_writes_0600_whatever_the_umask(tmp_path: Path) -> None:
    os.umask(0o277)  # would leave the owner unable to write
    create_private_file(tmp_path / "key", b"secret\n")
    assert mode(tmp_path / "key") == 0o600 and (tmp_path / "key").read_bytes() == b"secret\n"


def test_create_private_file_never_replaces_or_follows_anything(tmp_path: Path) -> None:
    (tmp_path / "key").write_bytes(b"the key")
    (tmp_path / "planted").symlink_to(tmp_path / "elsewhere")  # dangling
    for path in (tmp_path / "key", tmp_path / "planted"):
        with pytest.raises(FileExistsError):
            create_private_file(path, b"another key")
    assert (tmp_path / "key").read_bytes() == b"the key" and not (tmp_path / "elsewhere").exists()


def test_private_directory_makes_and_tightens_brobygs_own_folder(tmp_path: Path) -> None:
    folder = private_directory(tmp_path / "config" / "brobyg")
    assert mode(folder) == 0o700 and mode(folder.parent) == 0o755
    folder.chmod(0o755)  # an older brobyg's
    assert mode(private_directory(folder)) == 0o700


def test_made_private_says_nothing_about_a_private_or_missing_file(tmp_path: Path) -> None:
    create_private_file(tmp_path / "private")
    assert made_private(tmp_path / "private") is None
    assert made_private(tmp_path / "missing") is None
    (tmp_path / "readable").write_text("")
    (tmp_path / "readable").chmod(0o444)
    assert "made private (0400)" in (made_private(tmp_path / "readable") or "")
