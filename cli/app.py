"""The `brobyg` group: global options, the application on demand, and how failures read.

Heavy modules (eventsourcing, SQLAlchemy, the domain) are imported only when a command
needs the application, so `brobyg --help` starts fast.
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import os
import sys
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from brobyg.cli.files import OutputError
from brobyg.cli.i18n import LANG_HELP, LANGUAGES, N_, Text, TranslatedHelp, _, language_from, long_date, say, speaking
from brobyg.cli.params import DATE, LINE
from brobyg.engine.errors import (
    AccessNotLogged,
    AlreadyExists,
    Conflict,
    InvalidInput,
    KeyFileError,
    NotAllowed,
    NotFound,
    Refused,
    UntrustedEvent,
)

if TYPE_CHECKING:
    from brobyg.domain.application import Brobyg
    from brobyg.engine.reader import Reader
    from brobyg.engine.store import Store
    from brobyg.projections.readmodels import ReadModels

F = TypeVar("F", bound=Callable[..., Any])

# The events table on PostgreSQL: `domain.application.Brobyg.events_table()`, named here so that a
# reader need not import the application to find it (`tests/test_reader.py` checks they agree).
EVENTS_TABLE = "brobyg_events"


def default_db() -> str:
    from platformdirs import user_data_dir

    from brobyg.engine.private_files import private_directory

    # Only the default place is created for you, and as brobyg's own: its owner's alone (0700).
    return str(private_directory(Path(user_data_dir("brobyg"))) / "brobyg.sqlite")


def default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (e.g. a container): still record someone
        return "unknown"


class Env:
    """What every command shares: where the store is, who acts, what today is."""

    def __init__(self, db: str | None, actor: str | None, today: dt.date | None) -> None:
        self._db = db
        self.acting_as = actor.strip() if actor and actor.strip() else None  # --as, if given
        self.actor = self.acting_as or default_actor()
        self.today = today
        self.may_run_ahead = False  # set by `simulate`, which marks the (empty) store it fills
        self.may_create = False  # set by the commands that write: reading never creates a store
        self.new_store: Store | None = None  # a store this command created, removed again if it fails
        self.new_schema = False
        self.warned_private = False  # the store's file permissions checked (and any warning shown)

    @property
    def db(self) -> str:
        """--db, or else the default file (its folder made only when it is asked for)."""
        if self._db is None:
            self._db = default_db()
        return self._db

    def given_after_command(self, name: str, value: Any) -> None:
        """A global option typed after the command's name (`brobyg caseload --db x.sqlite`):
        it wins over the same option before the name or from the environment."""
        assert "app" not in vars(self), "a global option arrived after the store was opened"
        if name == "db":
            self._db = value
        elif name == "actor":
            self.acting_as = value.strip() or None
            self.actor = self.acting_as or default_actor()
        elif name == "today":
            self.today = value

    @cached_property
    def app(self) -> Brobyg:
        from brobyg.domain.application import Brobyg
        from brobyg.engine.clock import Clock
        from brobyg.engine.errors import StoreUrlError
        from brobyg.engine.store import parse_store_url

        reader = vars(self).get("reader")  # a reader found the store whole (`reader`)
        try:
            store = parse_store_url(self.db)
            if reader is None and not store.exists(Brobyg.events_table()):
                if not self.may_create:
                    raise StoreUrlError(_no_store(store))
                if self.today is not None and self.today > dt.date.today() and not self.may_run_ahead:
                    raise click.BadParameter(_ahead_message(self.today), param_hint="'--today'")
                self.new_store, self.new_schema = store, not store.schema_exists()
            elif store.is_sqlite and not self.warned_private:  # a new file is made private as it is made; an old one may not be
                _warn(store.keep_private())
                self.warned_private = True
            personal = reader.personal if reader is not None else None
            app = Brobyg(store, Clock(self.today), self.actor, personal=personal)
            if personal is not None:
                reader.adopt(app)
        except StoreUrlError as e:
            raise click.BadParameter(say(e.args[0]) if e.args else str(e), param_hint="'--db'") from None
        if not store.is_sqlite:
            _who_acts(self, app)
        try:
            app.personal.check_master()  # the wrong key file or none: said before anything is read or written
        except BaseException:
            app.close()
            raise
        real = dt.date.today()
        if self.today is not None and self.today > real and not self.may_run_ahead and not app.is_simulated():
            app.close()
            raise click.BadParameter(_ahead_message(self.today), param_hint="'--today'")
        return app

    @cached_property
    def reader(self) -> Brobyg | Reader:
        """What a reading command reads through: a `Reader`, which builds the application only when
        something more than the read models is asked of it (a catch-up, an aggregate); otherwise
        (no store there, or one an older brobyg made) the application. It checks what `app`
        checks, in the same order: on PostgreSQL who reads (`_who_acts`), then the master key."""
        if "app" in vars(self) or self.may_create:
            return self.app
        from brobyg.engine.clock import Clock
        from brobyg.engine.errors import StoreUrlError
        from brobyg.engine.reader import Reader
        from brobyg.engine.store import parse_store_url

        try:
            store = parse_store_url(self.db)
        except StoreUrlError:
            return self.app  # which says so
        if store.is_sqlite:
            if not store.exists(""):  # on SQLite, whether the file is there
                return self.app
            _warn(store.keep_private())
            self.warned_private = True
        reader = Reader(store, Clock(self.today), self.actor, lambda: self.app, events_table=EVENTS_TABLE)
        try:
            ready = reader.ready()
        except Exception as e:
            reader.sql_engine.dispose()
            if not store.is_sqlite and _unreachable(e):
                raise  # said as the application's first look at the store says it (`Store.exists`)
            ready = False  # a file that is no store: the application says what is wrong, as always
        if not ready:  # no store, or tables an older brobyg did not make: the application makes them
            reader.sql_engine.dispose()
            return self.app
        try:
            if not store.is_sqlite:
                _who_acts(self, reader)
            reader.personal.check_master()  # the wrong key file or none: said before anything is read
            if self.today is not None and self.today > dt.date.today() and not self.may_run_ahead and not reader.is_simulated():
                raise click.BadParameter(_ahead_message(self.today), param_hint="'--today'")
        except BaseException:
            reader.sql_engine.dispose()
            raise
        return reader

    def close(self) -> None:
        """Close the store's connections as the command ends (on SQLite the last one to close
        folds the write-ahead log back into the file), not whenever the interpreter gets to them."""
        reader, app = vars(self).get("reader"), vars(self).get("app")
        for opened in {id(o): o for o in (reader, app) if o is not None}.values():
            engine = vars(opened).get("sql_engine")
            if engine is not None:
                engine.dispose()
        if app is not None:
            app.close()

    @cached_property
    def read_models(self) -> ReadModels:
        from brobyg.projections.readmodels import ReadModels

        return ReadModels(self.reader)


def _no_store(store: Store) -> Text:
    """Why a reading command found nothing to read."""
    if store.is_sqlite:
        return Text(N_("there is no store at {store}; reading commands do not create one"), store=store.display)
    if store.schema:
        return Text(
            N_("there is no store at {store} (no brobyg tables in that schema); reading commands do not create one"),
            store=store.display,
        )
    return Text(
        N_("there is no store at {store} (no brobyg tables in that database); reading commands do not create one"),
        store=store.display,
    )


def _warn(message: str | None) -> None:
    if message:
        label = _("warning")
        click.echo(f"{label}: {' '.join(say(message).split())}", err=True)


def _ahead_message(today: dt.date) -> str:
    return _(
        "{today} is after the real date ({real}); only a store made by `brobyg simulate` or "
        "`brobyg demo` may run ahead of it (R13)"
    ).format(today=long_date(today), real=long_date(dt.date.today()))


def _who_acts(env: Env, app: Brobyg | Reader) -> None:
    """On PostgreSQL the actor is the database login; acting for someone else (--as) is for an
    admin, and then both are recorded. A mentor's login records only on their own caseload; an
    analyst's reads the report views, not the store. Asked of the application, or of a reader
    (`engine.reader`), which asks the same of the store without building it; a reader is closed
    by its caller."""
    from brobyg.engine.access import grant_of, role_name
    from brobyg.engine.errors import NotAllowed
    from brobyg.engine.identity import ADMIN_ROLE, is_admin
    from brobyg.engine.reader import Reader

    reader = app if isinstance(app, Reader) else None

    def refuse(message: Text) -> NotAllowed:
        if reader is None:
            app.close()
        return NotAllowed(message)

    held = reader.grant_of(app.login) if reader is not None else grant_of(app, app.login)
    if held is not None and held.role == "analyst":
        raise refuse(
            Text(
                N_(
                    "the login {login} (role analyst) reads only the report views (SELECT * FROM {schema}.report_states_by_cohort)"
                ),
                login=app.login,
                schema=reader.schema if reader is not None else app.recorder.datastore.schema,
            )
        )
    if held is not None and held.role == "mentor" and reader is None:  # what it may record: a reader records nothing
        app.only_for_mentor = held.mentor
    leaf = click.get_current_context()
    command = (leaf.parent.info_name if leaf.parent else None, leaf.info_name)
    if held is not None and held.role in ("coordinator", "mentor") and command in (("mentor", "add"), ("partnership", "add")):
        raise refuse(
            Text(
                N_("the login {login} (role {role}) may not add mentors or partnerships; an admin does"),
                login=app.login,
                role=held.role,
            )
        )
    if env.acting_as is None or env.acting_as == app.login:
        app.actor = env.actor = app.login
        return
    if not (reader.is_admin() if reader is not None else is_admin(app)):
        admins = reader.role_name(ADMIN_ROLE) if reader is not None else role_name(app, ADMIN_ROLE)
        raise refuse(
            Text(
                N_("the login {login} may not act as {actor} (--as is for members of {admins})"),
                login=app.login,
                actor=env.acting_as,
                admins=admins,
            )
        )


def _unreachable(e: Exception) -> bool:
    """Whether `e` is SQLAlchemy failing to connect to the server (not a store it found wanting)."""
    import sqlalchemy as sa

    return isinstance(e, sa.exc.OperationalError) and e.statement is None  # no statement yet: the connection failed


# The global options, as each command also takes them after its name: (flag, Env attribute, type).
GLOBAL_OPTIONS = (("--db", "db", None), ("--as", "actor", LINE), ("--today", "today", DATE))


def _global_after_command(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """Store a global option given after the command's name into the `Env`, before any store is
    opened; during shell completion (no `Env` yet) keep it for the completers (`ctx.meta`)."""
    if value is None:
        return
    name = (param.name or "").removeprefix("global_")
    ctx.meta[f"brobyg.{name}"] = value
    env = ctx.find_object(Env)
    if env is not None:
        env.given_after_command(name, value)


def _equip(command: click.Command) -> None:
    """Give `command`, and every command under it, what each command of brobyg takes: the global
    options after its name (hidden: `brobyg --help` lists them once) and completion of case and
    mentor ids (`cli.completion`). Idempotent; a command's own option of the same name wins."""
    from brobyg.cli.completion import completing

    taken = {flag for param in command.params for flag in getattr(param, "opts", [])}
    for flag, name, kind in GLOBAL_OPTIONS:
        if flag not in taken:
            command.params.append(
                click.Option(
                    [flag, f"global_{name}"],
                    type=kind,
                    hidden=True,
                    expose_value=False,
                    callback=_global_after_command,
                )
            )
    if "--lang" not in taken:  # read before parsing (`i18n.language_from`); listed once, in `brobyg --help`
        command.params.append(click.Option(["--lang"], type=click.Choice(LANGUAGES), hidden=True, expose_value=False))
    for param in command.params:
        completing(param)
    for sub in getattr(command, "commands", {}).values():
        _equip(sub)


class BrobygCommand(TranslatedHelp, click.Command):
    """A command whose help is shown in the language of the run."""


class BrobygSubgroup(TranslatedHelp, click.Group):
    """A group of commands (`brobyg mentor …`), its help in the language of the run."""

    command_class = BrobygCommand


class BrobygGroup(TranslatedHelp, click.Group):
    """Speaks the run's language, and turns refusals and store trouble into one line on stderr
    and the contract's exit codes."""

    command_class = BrobygCommand
    group_class = BrobygSubgroup
    _equipped: frozenset[int] = frozenset()

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        # The command modules asked for have added their commands by now (`cli.main` imports
        # them); one imported later (`from brobyg.cli.main import cli`) is equipped then.
        if self._equipped != (loaded := frozenset(map(id, self.commands.values()))):
            for sub in self.commands.values():
                _equip(sub)
            self._equipped = loaded
        given = list(sys.argv[1:] if args is None else args)
        with speaking(language_from(given, os.environ)):
            return super().main(args, *rest, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return self._invoke(ctx)
        except BaseException as e:
            if not (isinstance(e, SystemExit) and e.code in (0, None)) and isinstance(ctx.obj, Env):
                _remove_if_new(ctx.obj)
            raise
        finally:
            if isinstance(ctx.obj, Env):
                ctx.obj.close()

    def _invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NotAllowed as e:  # a role's limit: name the command it stopped
            _fail("refused", f"{ctx.invoked_subcommand}: {say(e.args[0]) if e.args else e}")
        except Refused as e:
            _fail("refused", "; ".join(f"{v.rule}: {say(v.message)}" for v in e.violations))
        except (NotFound, AlreadyExists, Conflict, UntrustedEvent, AccessNotLogged) as e:
            _fail("error", say(e.args[0]) if e.args else str(e))
        except KeyFileError as e:  # the master key: not the command's input, but nothing can go on without it
            click.echo(f"{_('error')}: {' '.join(say(e.args[0] if e.args else str(e)).split())}", err=True)
            sys.exit(2)
        except BrokenPipeError:  # `brobyg show CASE | head -3`: the reader has all it wanted
            _reader_gone()
        except OutputError as e:
            _fail("error", str(e))
        except InvalidInput as e:  # the domain's own input checks, should the CLI's let something through
            raise click.UsageError(say(e.args[0]) if e.args else str(e)) from None
        except Exception as e:
            message = _store_trouble(e, ctx.obj.db if isinstance(ctx.obj, Env) else _("the database"))
            if message is None:
                raise
            _fail("error", message)


def _reader_gone() -> None:
    """Stop quietly when standard output's reader has gone: nothing more to say, and nothing
    left for Python to fail to flush at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(0)


def _remove_if_new(env: Env) -> None:
    """A command that failed leaves no store it created behind (a mistyped path or schema)."""
    store = env.new_store
    if store is None:
        return
    try:
        if "app" in vars(env):
            env.app.close()
        from brobyg.domain.application import Brobyg

        store.discard(Brobyg.events_table(), drop_schema=env.new_schema)
    except Exception:  # the failure being reported matters more than this clean-up
        pass


def _fail(label: str, message: str) -> None:
    shown = {"refused": _("refused"), "error": _("error")}[label]
    click.echo(f"{shown}: {' '.join(message.split())}", err=True)
    sys.exit(1)


# What psycopg's pool says when it got no connection in time (opening, and later), without why.
POOL_GAVE_UP = ("couldn't get a connection", "pool initialization incomplete")


def _store_trouble(e: Exception, where: str) -> str | None:
    """A one-line description of a database problem, or None if `e` is something else."""
    import sqlite3

    from eventsourcing.persistence import PersistenceError

    try:
        import sqlalchemy.exc as sa_exc

        sa_errors: tuple[type[Exception], ...] = (sa_exc.OperationalError, sa_exc.DatabaseError, sa_exc.InterfaceError)
    except ImportError:  # pragma: no cover - sqlalchemy is a dependency
        sa_errors = ()
    if isinstance(e, (PersistenceError, sqlite3.Error, *sa_errors)) or type(e).__module__.startswith("psycopg"):
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        if any(words in first for words in POOL_GAVE_UP) and where.startswith("postgres"):
            first = _why_no_connection(where) or first
        hint = _hint(first)
        return _("database problem with {where}: {problem}{hint}; nothing was written").format(
            where=_without_password(where), problem=first, hint=f" ({hint})" if hint else ""
        )
    if isinstance(e, OSError):
        return _("cannot use the database file {where}: {problem}; nothing was written").format(
            where=where, problem=e.strerror or e
        )
    return None


def _without_password(where: str) -> str:
    if not where.startswith("postgres"):
        return where
    from brobyg.engine.errors import StoreUrlError
    from brobyg.engine.store import parse_store_url

    try:
        return parse_store_url(where).display  # the user, host, database and options; never a password
    except StoreUrlError:
        return where.split("@")[-1]


def _why_no_connection(url: str) -> str | None:
    """eventsourcing's pool only says it got no connection; one direct attempt says why."""
    try:
        import psycopg

        from brobyg.engine.store import parse_store_url

        psycopg.connect(parse_store_url(url).libpq_url, connect_timeout=3).close()
    except Exception as e:  # whatever it is, it is the reason to show
        return " ".join(str(e).split()) or None
    return None


def _hint(message: str) -> str:
    """What to do about the database's message (in brackets after it), or ""."""
    lowered = message.lower()
    if "is the server running" in lowered:
        return ""
    if any(words in lowered for words in (*POOL_GAVE_UP, "connection refused", "could not connect")):
        return _("is PostgreSQL running there?")
    if "password authentication failed" in lowered or ("role" in lowered and "does not exist" in lowered):
        return _("check the user and password in --db")
    if "disk" in lowered and "full" in lowered:
        return _("free some disk space and try again")
    if "readonly" in lowered or "read-only" in lowered:
        return _("the database file is read-only")
    if "locked" in lowered:
        return _("another program holds the database; try again")
    return ""


@click.group(cls=BrobygGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--db",
    envvar="BROBYG_DB",
    metavar="URL",
    help="SQLAlchemy URL or SQLite file path [env BROBYG_DB; default: a file in your data directory]",
)
@click.option(
    "--as",
    "actor",
    envvar="BROBYG_USER",
    type=LINE,
    metavar="USER",
    help="Who is acting, recorded on every event beside the login [env BROBYG_USER; default: the login]. "
    "On PostgreSQL only an admin may act for someone else.",
)
@click.option("--today", envvar="BROBYG_TODAY", type=DATE, help="What today is [env BROBYG_TODAY; default: the real date]")
@click.option("--lang", type=click.Choice(LANGUAGES), envvar="BROBYG_LANG", help=LANG_HELP)
@click.version_option(package_name="brobyg")
@click.pass_context
def cli(ctx: click.Context, db: str | None, actor: str | None, today: dt.date | None, lang: str | None) -> None:
    """brobyg: bridging pathways (brobygningsforløb) from referral to apprenticeship.

    Every young person's pathway is an event-sourced state machine; the guide's rules
    (R1–R15) are checked on every command. A refused command exits 1 with the rule id
    and writes nothing; malformed input exits 2.

    The options below may also follow the command's name (brobyg caseload --db x.sqlite).
    Shell completion of commands, case ids and mentor ids: see the README.
    """
    ctx.obj = Env(db, actor, today)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON document.")(f)


def writes(f: F) -> F:
    """A writing command: takes the effective date and --json, gets the `Env`, and may create
    the store it writes to."""

    command = f

    @functools.wraps(command)
    def creating(env: Env, *args: Any, **kwargs: Any) -> Any:
        env.may_create = True
        return command(env, *args, **kwargs)

    f = json_option(creating)  # type: ignore[assignment]
    f = click.option("--on", type=DATE, help="Effective date, when it happened [default: today].")(f)
    return click.pass_obj(f)  # type: ignore[return-value]


def reads(f: F) -> F:
    return click.pass_obj(json_option(f))  # type: ignore[return-value]
