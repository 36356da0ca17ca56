"""Looking after the read models (`brobyg projections`): how far they are, rebuilding them from
the event log, and following it on PostgreSQL."""

from __future__ import annotations

import sys

import click

from brobyg.cli.app import Env, cli, json_option, reads
from brobyg.cli.i18n import _, ngettext, say
from brobyg.cli.output import emit, table


@cli.group()
def projections() -> None:
    """The read models: how far they are, and rebuilding them from the event log."""


@projections.command()
@reads
def status(env: Env, as_json: bool) -> None:
    """Each read model's position against the head of the event log."""
    rows = [{"view": s.name, "position": s.position, "head": s.head, "behind": s.behind} for s in env.read_models.status()]
    emit(
        rows,
        as_json,
        lambda: table(_("Read models"), [_("view"), _("position"), _("log head"), _("behind")], [list(r.values()) for r in rows]),
    )


@projections.command()
@json_option
@click.pass_obj
def rebuild(env: Env, as_json: bool) -> None:
    """Drop every read model and rebuild it from the event log."""
    from brobyg.cli.output import progress_bar

    with progress_bar(_("rebuilding read models"), quiet=as_json) as advance:
        processed = env.read_models.rebuild(advance)
    rows = [{"view": s.name, "position": s.position, "head": s.head} for s in env.read_models.status()]
    emit(
        {"processed": processed, "views": rows},
        as_json,
        lambda: click.echo(
            _("rebuilt {models} from {events}").format(
                models=ngettext("{n} read model", "{n} read models", len(rows)).format(n=len(rows)),
                events=ngettext("{n} event", "{n} events", processed).format(n=processed),
            )
        ),
    )


@projections.command()
@click.pass_obj
def follow(env: Env) -> None:
    """Keep the read models up to date continuously (PostgreSQL); stop with Ctrl-C."""
    from brobyg.projections.readmodels import FollowUnavailable

    def caught_up(processed: int) -> None:
        if processed:
            click.echo(ngettext("caught up {n} event", "caught up {n} events", processed).format(n=processed), err=True)

    try:
        if not env.app.store.is_sqlite:
            click.echo(_("following {store}; Ctrl-C stops").format(store=env.app.store.display), err=True)
        env.read_models.follow(caught_up)
    except FollowUnavailable as e:
        click.echo(f"{_('error')}: {say(e.args[0]) if e.args else e}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo(_("stopped; the read models are consistent up to the last event caught up"), err=True)
