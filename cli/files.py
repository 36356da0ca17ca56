"""Files the command line writes (`export FILE`, `report … -o FILE`): whole or not at all.

A file is written to a temporary file in the same folder (0600, its owner's only, whatever the
umask: reports and exports hold personal data) and renamed over the target when complete, so a
reader never sees half a file and a failure leaves nothing behind. Folders are never created, and
nothing but a regular file is ever replaced, and that only with --force.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import click

from brobyg.cli import params
from brobyg.cli.i18n import _
from brobyg.engine.private_files import OWNER_ONLY_FILE

# Eager, so that the file's check (a callback) already knows whether it may replace the file.
force_option = click.option("--force", is_flag=True, is_eager=True, help="Replace the file if it exists.")


def _checked(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None and str(value) != "-":
        check_target(value, bool(ctx.params.get("force")), param_hint=param.get_error_hint(ctx))
    return value


def output_option(help: str, required: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--output/-o FILE` and `--force`, the file checked before any work is done."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        f = click.option(
            "--output", "-o", type=params.Path(dir_okay=False, path_type=Path), required=required, callback=_checked, help=help
        )(f)
        return force_option(f)

    return decorate


def output_argument(f: Callable[..., Any]) -> Callable[..., Any]:
    """`FILE` (- for standard output) and `--force`, the file checked before any work is done."""
    f = click.argument("file", type=params.Path(dir_okay=False, allow_dash=True, path_type=Path), callback=_checked)(f)
    return force_option(f)


class OutputError(Exception):
    """The output file could not be written; nothing was left behind."""


def _cannot_write(path: Path, e: OSError) -> str:
    return _("cannot write {path}: {reason}; nothing was written").format(path=path, reason=e.strerror or e)


def check_target(path: Path, force: bool, param_hint: str = "FILE") -> None:
    """Refuse, as a usage error, a target that is not in an existing folder, is not a regular
    file, or exists without --force."""
    if not path.parent.is_dir():
        raise click.BadParameter(_("the folder {folder} does not exist").format(folder=path.parent), param_hint=param_hint)
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise click.BadParameter(
            _("{path} exists and is not a regular file; it is never replaced").format(path=path), param_hint=param_hint
        )
    if not force:
        raise click.BadParameter(_("{path} exists; add --force to replace it").format(path=path), param_hint=param_hint)


@contextlib.contextmanager
def written_whole(path: Path) -> Iterator[IO[str]]:
    """A text stream whose content becomes `path` once the block ends without an error."""
    import tempfile  # only where a file is written, not in every command that imports `OutputError`

    try:
        fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    except OSError as e:
        raise OutputError(_cannot_write(path, e)) from None
    try:
        os.fchmod(fd, OWNER_ONLY_FILE)  # mkstemp's 0600 less the umask: exactly 0600
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except OSError as e:
        Path(partial).unlink(missing_ok=True)
        raise OutputError(_cannot_write(path, e)) from None
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
