"""Finding people and mentors: `brobyg find [TEXT]` and `brobyg mentor list`."""

from __future__ import annotations

from typing import Any

import click

from brobyg.cli import params
from brobyg.cli.access_log import logged
from brobyg.cli.app import Env, cli, reads
from brobyg.cli.i18n import _, day, term
from brobyg.cli.output import emit, table
from brobyg.cli.params import KEY, TEXT
from brobyg.cli.writing import mentor


class StateType(click.Choice):
    """A pathway state, written as the read models write it (`basic_course`) or as commands are
    (`basic-course`)."""

    def __init__(self) -> None:
        from brobyg.domain.terms import ACTIVE_STATES, OUTCOME_STATES

        super().__init__([*ACTIVE_STATES, *OUTCOME_STATES], case_sensitive=False)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return super().convert(str(value).strip().replace("-", "_"), param, ctx)


@cli.command()
@click.argument("text", required=False, type=TEXT)
@click.option("--mentor", "mentor_id", type=KEY, metavar="MENTOR", help="Only the cases this mentor holds.")
@click.option("--state", type=StateType(), help="Only cases in this state (an outcome state looks among ended ones).")
@click.option("--all", "include_ended", is_flag=True, help="Ended pathways too, not only active ones.")
@click.option(
    "--limit", type=params.IntRange(0), default=50, show_default=True, help="Rows in the table (0: all); --json lists all."
)
@reads
def find(
    env: Env, text: str | None, mentor_id: str | None, state: str | None, include_ended: bool, limit: int, as_json: bool
) -> None:
    """Cases whose person reference contains TEXT (case, accents and spacing aside) or whose case
    id is TEXT; without TEXT, every case the options leave. Active pathways unless --all.
    `since` is the date the current state was entered."""
    if mentor_id is not None:
        env.read_models.mentor_name(mentor_id)  # an unknown mentor is an error, not an empty list
    text = text.strip() or None if text is not None else None
    rows = env.read_models.find(env.reader.clock.today(), text, mentor_id, state, include_ended)
    shown = rows[:limit] if limit and not as_json else rows
    logged(env, "find", [r["case"] for r in shown])  # one entry per case shown

    def human() -> None:
        if not rows:
            if include_ended or state:
                click.echo(_("no case found"))
            else:
                click.echo(_("no case found among active pathways (--all: ended ones too)"))
            return
        from brobyg.engine.personal import ERASED  # not for `--help`

        table(
            None,
            [_("case"), _("person"), _("born"), _("state"), _("mentor"), _("since")],
            [
                [
                    r["case"],
                    _("[erased]") if r["person"] == ERASED else r["person"],
                    day(r["born"]),
                    term("state", r["state"]),
                    r["mentor"],
                    day(r["since"]),
                ]
                for r in shown
            ],
        )
        if len(shown) < len(rows):
            click.echo(
                _("the first {shown} of {total}; --limit 0 shows all, TEXT and the options narrow").format(
                    shown=len(shown), total=len(rows)
                )
            )

    emit(rows, as_json, human)


@mentor.command("list")
@reads
def mentor_list(env: Env, as_json: bool) -> None:
    """Every mentor: name, kind, capacity and load (the active pathways they hold today)."""
    rows = env.read_models.mentors(env.reader.clock.today())

    def human() -> None:
        table(
            None,
            [_("mentor"), _("name"), _("kind"), _("capacity"), _("load")],
            [[r["mentor"], r["name"], term("kind", r["kind"]), r["capacity"], r["load"]] for r in rows],
        )

    emit(rows, as_json, human)
