"""Moving up: `brobyg export` writes the whole event log as JSON Lines; `brobyg import` loads it
into an empty store (e.g. from the embedded SQLite file to a shared PostgreSQL)."""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from brobyg.cli import params
from brobyg.cli.access_log import exported_cases, logged
from brobyg.cli.app import Env, cli, json_option
from brobyg.cli.files import output_argument, written_whole
from brobyg.cli.i18n import N_, Text, _, ngettext
from brobyg.cli.output import emit, progress_bar
from brobyg.engine.errors import TransferError

if TYPE_CHECKING:
    from brobyg.engine.master_key import MasterKey


@cli.command("export")
@output_argument
@json_option
@click.pass_obj
def export_(env: Env, file: Path, force: bool, as_json: bool) -> None:
    """Write every event (all streams, in order, with metadata) and the claims to FILE (- for
    standard output). The file is complete or not there: it never replaces anything but a
    regular file, and that only with --force."""
    from brobyg.engine.transfer import export_log

    def log_every_case(claims: list[tuple[str, str]]) -> None:  # one entry per case, before the first line
        logged(env, "export", exported_cases(claims))

    if str(file) == "-":
        count = export_log(env.app, sys.stdout, before_writing=log_every_case)
        return
    with progress_bar(_("exporting"), quiet=as_json) as advance, written_whole(file) as out:
        count = export_log(env.app, out, advance, before_writing=log_every_case)
    emit(
        {"file": str(file), "events": count},
        as_json,
        lambda: click.echo(
            ngettext("exported {n} event to {file}", "exported {n} events to {file}", count).format(n=count, file=file)
        ),
    )


@cli.command("import")
@click.argument("file", type=params.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option(
    "--key-file",
    type=params.Path(exists=True, dir_okay=False, path_type=Path),
    help="The master key file of the store the log was exported from, if not this store's "
    "(its data keys are then wrapped again with this store's key).",
)
@json_option
@click.pass_obj
def import_(env: Env, file: Path, key_file: Path | None, as_json: bool) -> None:
    """Load an exported event log into an empty store (all of it, or nothing).

    Every line is checked first: its event type and fields, each stream's versions, the dates,
    a replay of every pathway, the read models built from it in a scratch store. The first
    bad line is named and nothing is written. An export's personal data is sealed: it opens
    with this store's master key, or with the source store's given by --key-file."""
    from brobyg.engine.master_key import load_master_key

    env.may_create = True
    source_key = load_master_key(key_file, create=False) if key_file else None
    try:
        if str(file) == "-":  # read as bytes, so that line endings arrive as they were written
            count = _import(env, io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline=""), source_key)
        else:
            with file.open(encoding="utf-8", newline="") as lines:
                count = _import(env, lines, source_key)
    except UnicodeDecodeError as e:
        if str(file) == "-":
            raise TransferError(Text(N_("standard input is not UTF-8 text (byte {byte})"), byte=e.start)) from None
        raise TransferError(Text(N_("{file} is not UTF-8 text (byte {byte})"), file=str(file), byte=e.start)) from None
    emit(
        {"file": str(file), "events": count, "store": env.app.store.display},
        as_json,
        lambda: click.echo(
            ngettext("imported {n} event into {store}", "imported {n} events into {store}", count).format(
                n=count, store=env.app.store.display
            )
        ),
    )


def _import(env: Env, lines: IO[str], source_key: MasterKey | None) -> int:
    from brobyg.engine.transfer import import_log

    return import_log(env.app, lines, rehearse=lambda log: _rehearse(env, log), source_key=source_key)


def _rehearse(env: Env, log: object) -> None:
    """Build the read models from the checked log in a scratch SQLite store, so a log the read
    models cannot take is refused before the real store is touched."""
    from brobyg.engine.store import parse_store_url
    from brobyg.engine.transfer import CheckedLog
    from brobyg.projections.readmodels import ReadModels

    assert isinstance(log, CheckedLog)
    with tempfile.TemporaryDirectory(prefix="brobyg-import-") as scratch:
        app = type(env.app)(parse_store_url(str(Path(scratch) / "rehearsal.sqlite")), env.app.clock, env.app.actor)
        try:
            app.recorder.insert_into_empty(log.events, log.claims)  # type: ignore[attr-defined]
            try:
                ReadModels(app).catch_up()
            except Exception as e:  # whatever the read models met: the file is what is wrong
                problem = " ".join(str(e).split())[:200]
                raise TransferError(
                    Text(N_("the read models cannot be built from the file ({problem})"), problem=problem)
                ) from None
        finally:
            app.close()
