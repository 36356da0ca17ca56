"""Moving up: `brobyg export` writes the whole event log as JSON Lines; `brobyg import` loads it
into an empty store (e.g. from the embedded SQLite file to a shared PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import click

from brobyg.cli.app import Env, cli, json_option
from brobyg.cli.output import emit, progress_bar


@cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path))
@json_option
@click.pass_obj
def export_(env: Env, file: Path, as_json: bool) -> None:
    """Write every event (all streams, in order, with metadata) and the claims to FILE (- for standard output)."""
    from brobyg.engine.transfer import export_log

    if str(file) == "-":
        count = export_log(env.app, click.get_text_stream("stdout"))
        return
    partial = file.with_name(file.name + ".partial")
    with progress_bar("exporting", quiet=as_json) as advance, partial.open("w", encoding="utf-8") as out:
        count = export_log(env.app, out, advance)
    partial.replace(file)  # a complete file or none
    emit({"file": str(file), "events": count}, as_json, lambda: click.echo(f"exported {count} events to {file}"))


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@json_option
@click.pass_obj
def import_(env: Env, file: Path, as_json: bool) -> None:
    """Load an exported event log into an empty store (all of it, or nothing)."""
    from brobyg.engine.transfer import import_log

    if str(file) == "-":
        count = import_log(env.app, click.get_text_stream("stdin"))
    else:
        with file.open(encoding="utf-8") as lines:
            count = import_log(env.app, lines)
    emit(
        {"file": str(file), "events": count, "store": env.app.store.display},
        as_json,
        lambda: click.echo(f"imported {count} events into {env.app.store.display}"),
    )
