"""Who was shown a person's data: `brobyg access-log CASE` and `brobyg subject-access CASE -o FILE`
(GDPR art. 15), both an admin's on PostgreSQL; and `logged`, which every command that shows a
person's data calls after reading it and before showing it (`engine.access_log`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click

from brobyg.cli.app import Env, cli, json_option, reads
from brobyg.cli.files import output_option, written_whole
from brobyg.cli.i18n import N_, Text, _, ngettext
from brobyg.cli.output import emit, local_time, table
from brobyg.engine.errors import NotAllowed


def logged(env: Env, command: str, cases: Iterable[str]) -> None:
    """Record that `command` is about to show these cases' data; if that cannot be written,
    `AccessNotLogged` stops the command before it shows anything."""
    from brobyg.engine import access_log

    access_log.append(env.reader, command, cases)


class LoggedMeanwhile:
    """`logged`, written in a thread of its own while the command reads the rest of what it will
    show: the entries wait for the disk (written through to it, so they survive a power cut)
    while the command works. Leaving the `with` block waits for them, so nothing is shown before
    they are on disk; if they cannot be written, `AccessNotLogged` stops the command as `logged` does.
    Should the command fail meanwhile, the entries may be written all the same: the log may
    name a showing that did not happen, never miss one."""

    def __init__(self, env: Env, command: str) -> None:
        self.env, self.command = env, command
        self.writer: threading.Thread | None = None
        self.failed: list[BaseException] = []

    def start(self, cases: list[str]) -> None:
        def write() -> None:
            try:
                logged(self.env, self.command, cases)
            except BaseException as e:  # raised in the command's own thread, on leaving the block
                self.failed.append(e)

        self.writer = threading.Thread(target=write, name="access log")
        self.writer.start()

    def __enter__(self) -> LoggedMeanwhile:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        """The entries on disk (or `AccessNotLogged`); after a failure only waited for, so that
        the failure is the one raised."""
        if self.writer is not None:
            self.writer.join()
        if kind is None and self.failed:
            raise self.failed[0]


@contextlib.contextmanager
def logged_meanwhile(env: Env, command: str, cases: list[str]) -> Iterator[None]:
    """`LoggedMeanwhile` around a block: the entries are written while it runs (`agenda`: while
    the names beside the cases are opened), and are on disk when it ends."""
    with LoggedMeanwhile(env, command) as meanwhile:
        meanwhile.start(cases)
        yield


def exported_cases(claims: list[tuple[str, str]]) -> list[str]:
    """The cases in an export: each pathway's person claim, held by its case, is exported with it."""
    from brobyg.domain.case_ids import is_case_id

    return [holder for _key, holder in claims if is_case_id(holder)]


def admins_only(env: Env, what: str) -> None:
    """On PostgreSQL the access log and subject access are an admin's (the database lets only the
    admin role read the log); on SQLite the file's permissions are the only guard. `what` is
    marked with `N_` ("read the access log"): it is said in the run's language."""
    from brobyg.engine.access import role_name
    from brobyg.engine.identity import ADMIN_ROLE, is_admin

    app = env.app
    if not app.store.is_sqlite and not is_admin(app):
        raise NotAllowed(
            Text(
                N_("the login {login} may not {what} (it is for members of {role})"),
                login=app.login,
                what=Text(what),
                role=role_name(app, ADMIN_ROLE),
            )
        )


@cli.command("access-log")
@click.argument("case")
@reads
def access_log_(env: Env, case: str, as_json: bool) -> None:
    """Who was shown this person's data, when (Copenhagen time) and by which command, oldest
    first; this look included. On PostgreSQL for admins only."""
    from brobyg.engine import access_log

    admins_only(env, N_("read the access log"))
    p = env.app.pathway(case)
    logged(env, "access-log", [p.case])  # who was shown whom is itself about the person
    entries = access_log.entries(env.app, p.case)
    data = [{"at": e.at, "by": e.by, "login": e.login, "command": e.command} for e in entries]

    def human() -> None:
        rows = [
            [
                local_time(e.at, seconds=True),
                e.by if e.login == e.by else _("{by} (login {login})").format(by=e.by, login=e.login),
                e.command,
            ]
            for e in entries
        ]
        table(_("Access log of {case}").format(case=p.case), [_("at"), _("by"), _("command")], rows)

    emit(data, as_json, human)


@cli.command("subject-access")
@click.argument("case")
@output_option("The JSON file to write (its owner's only, 0600).", required=True)
@json_option
@click.pass_obj
def subject_access_(env: Env, case: str, output: Path, force: bool, as_json: bool) -> None:
    """Write everything held about this person to a JSON file (GDPR art. 15): the pathway's
    events with their personal fields opened, the caseload events naming the case, the read
    models' rows and the access log (this request included). On PostgreSQL for admins only."""
    from brobyg.projections.subject_access import subject_access

    admins_only(env, N_("take a subject access"))
    app = env.app
    p = app.pathway(case)
    with written_whole(output) as out:
        logged(env, "subject-access", [p.case])
        document = subject_access(app, env.read_models, p.case)
        out.write(json.dumps(document, default=_plain, ensure_ascii=False, indent=2) + "\n")
    emit(
        {"case": p.case, "file": str(output), "events": len(document["events"])},
        as_json,
        lambda: click.echo(_wrote(p.case, len(document["events"]), output)),
    )


def _wrote(case: str, events: int, output: Path) -> str:
    # English says "events" whatever the count (as it always has); Danish has its own forms.
    return ngettext(
        "wrote everything held about {case} ({n} events) to {file}",
        "wrote everything held about {case} ({n} events) to {file}",
        events,
    ).format(case=case, n=events, file=output)


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
