"""`brobyg access`: who may do what on a shared PostgreSQL store, as database roles and
grants (`engine.access`). Run by the store's owner."""

from __future__ import annotations

import click

from brobyg.cli.app import Env, cli, json_option
from brobyg.cli.i18n import N_, _
from brobyg.cli.output import emit, table
from brobyg.cli.params import KEY, LINE
from brobyg.engine.errors import NotAllowed

ROLE = click.Choice(["admin", "coordinator", "mentor", "analyst"])


@cli.group()
def access() -> None:
    """Roles on a shared PostgreSQL store, enforced by the database: admin, coordinator, mentor
    (records only on their own caseload) and analyst (the report views only). On SQLite the
    file's permissions are the only guard."""


def _postgres_only(env: Env) -> None:
    if env.app.store.is_sqlite:
        raise NotAllowed(N_("roles need a shared PostgreSQL store; on SQLite the file's permissions are the only guard"))


@access.command("grant")
@click.argument("login", type=LINE)
@click.option("--role", required=True, type=ROLE, help="What the login may do.")
@click.option("--mentor", "mentor_id", type=KEY, help="For --role mentor: the mentor whose caseload the login records on.")
@json_option
@click.pass_obj
def grant(env: Env, login: str, role: str, mentor_id: str | None, as_json: bool) -> None:
    """Give LOGIN (an existing PostgreSQL login) one role on this store, replacing any other."""
    from brobyg.engine import access
    from brobyg.engine.read_models import metadata
    from brobyg.projections.report_views import create_report_views

    if (role == "mentor") != (mentor_id is not None):
        raise click.BadParameter(_("--mentor goes with --role mentor, and only with it"), param_hint="'--mentor'")
    _postgres_only(env)
    app = env.app
    if mentor_id is not None:
        app.mentor(mentor_id)  # it must exist
    env.read_models.catch_up()  # the read models' tables, to grant them
    views = create_report_views(app.sql_engine, app.recorder.datastore.schema)
    access.set_up(app, sorted(metadata.tables), views)
    given = access.grant(app, login, role, mentor_id)
    emit(
        {"login": given.login, "role": given.role, "mentor": given.mentor},
        as_json,
        lambda: click.echo(
            _("{login} is {role} for {mentor}'s caseload").format(login=login, role=role, mentor=mentor_id)
            if mentor_id
            else _("{login} is {role}").format(login=login, role=role)
        ),
    )


@access.command("revoke")
@click.argument("login", type=LINE)
@json_option
@click.pass_obj
def revoke(env: Env, login: str, as_json: bool) -> None:
    """Take every brobyg role on this store from LOGIN."""
    from brobyg.engine import access

    _postgres_only(env)
    had = access.revoke(env.app, login)
    emit(
        {"login": login, "revoked": had},
        as_json,
        lambda: click.echo((_("{login} has no role now") if had else _("{login} had no role")).format(login=login)),
    )


@access.command("list")
@json_option
@click.pass_obj
def list_(env: Env, as_json: bool) -> None:
    """Every login with a role on this store."""
    from brobyg.engine import access

    _postgres_only(env)
    rows = [{"login": g.login, "role": g.role, "mentor": g.mentor} for g in access.grants(env.app)]

    def human() -> None:
        if not rows:
            click.echo(_("no login has a role on this store (brobyg access grant LOGIN --role …)"))
            return
        table(_("Access"), [_("login"), _("role"), _("mentor")], [[r["login"], r["role"], r["mentor"] or ""] for r in rows])

    emit(rows, as_json, human)
