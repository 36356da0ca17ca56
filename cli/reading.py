"""Reading commands: show, history, next, diagram."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import click

from brobyg.cli.access_log import logged
from brobyg.cli.app import Env, cli, json_option, reads
from brobyg.cli.output import emit, local_time, table
from brobyg.cli.writing import summary

if TYPE_CHECKING:
    from brobyg.domain.application import Brobyg
    from brobyg.domain.pathway import Pathway


def _grades(p: Pathway) -> dict[str, str]:
    from brobyg.domain.terms import grade_text

    return {subject: grade_text(grade) for subject, grade in sorted(p.grades.items())}


def _next(app: Brobyg, case: str) -> list[dict[str, Any]]:
    from brobyg.domain import queries  # the rules and the application: not for `--help`

    return [
        {
            "trigger": step.trigger,
            "command": step.trigger.replace("_", "-"),
            "target": step.target,
            "allowed": step.allowed,
            "blocked_by": sorted({v.rule for v in step.violations}),
            "reasons": [str(v) for v in step.violations],
        }
        for step in queries.next_steps(app, case)
    ]


@cli.command()
@click.argument("case")
@reads
def show(env: Env, case: str, as_json: bool) -> None:
    """The whole situation: state, mentor and role, contacts and open requests (R10), recent
    absence (R11), dropout risk with its reasons, changes of mentor, placements, grades and
    admission (R6), key dates, and what the next steps need."""
    from brobyg.domain.rules import admission_unmet
    from brobyg.domain.terms import age_on
    from brobyg.engine.personal import ERASED

    app = env.app
    p = app.pathway(case)
    steps = _next(app, p.case)
    today = app.clock.today()
    # Contacts, requests, absence and risk from the read models, as `agenda` and `risk` see them.
    situation = env.read_models.situation(p.id.hex, today)
    unmet = admission_unmet(p.grades)  # R6's own check, as `next` and `risk` ask it
    data = {
        **summary(p),
        "person": p.person,
        "born": p.born or ERASED,  # a birth date is missing only once erased
        "age": age_on(p.born, app.clock.today()) if p.born else None,
        "erased": p.erased,
        "readiness": p.readiness,
        "justification": p.justification,
        "via": p.via,
        "kui_contact": p.kui_contact,
        "partnership": p.partnership,
        "school": p.school,
        "grades": _grades(p),
        "placement": p.placement,
        "placements": p.placements,
        "programme": p.programme,
        "employer": p.employer,
        "apprenticeship_starts": p.apprenticeship_starts,
        "exit_reason": p.exit_reason,
        "entered": p.entered,
        "last_on": p.last_on,
        "next": steps,
        "mentor_name": app.mentor(p.mentor).name if p.mentor else None,
        "admission": {"met": not unmet, "missing": unmet},
        **situation,
    }
    logged(env, "show", [p.case])

    def human() -> None:
        mentor = f"{p.mentor}, {data['mentor_name']} ({p.mentor_role} mentor)" if p.mentor else "none"
        admission = "admission met" if not unmet else "admission not met: " + "; ".join(unmet)
        lines = [
            ("Case", f"{p.case}: {p.state.replace('_', ' ')}, episode {p.episode}"),
            ("Person", f"{p.person}, born {p.born} (age {data['age']})" if p.born else f"{ERASED} on {p.erased}"),
            ("Readiness", f"{p.readiness}, referred via {p.via}" + (f": {p.justification}" if p.justification else "")),
            ("Mentor", mentor),
            ("KUI contact", p.kui_contact or "none"),
            ("Partnership", p.partnership or "none"),
            ("Grades", (", ".join(f"{s} {g}" for s, g in data["grades"].items()) or "none recorded") + f" ({admission})"),
            *_situation_lines(situation, today),
        ]
        if p.placement:
            lines.append(("Placement", f"{p.placement['host']} ({p.placement['host_kind']}), {p.placement['purpose']}"))
        if p.programme:
            lines.append(("Programme", p.programme))
        if p.employer:
            starts = f", starts {p.apprenticeship_starts}" if p.apprenticeship_starts else ""
            lines.append(("Employer", f"{p.employer}{starts}"))
        if p.exit_reason:
            lines.append(("Reason", p.exit_reason))
        lines.append(("Key dates", ", ".join(f"{s.replace('_', ' ')} {d}" for s, d in p.entered.items())))
        for label, text in lines:
            click.echo(f"{label:<12} {text}")
        click.echo("Next steps")
        for step in steps:
            verdict = "allowed" if step["allowed"] else "blocked: " + "; ".join(step["reasons"])
            click.echo(f"  {step['command']:<24} {verdict}")

    emit(data, as_json, human)


def _situation_lines(s: dict[str, Any], today: dt.date) -> list[tuple[str, str]]:
    """`show`'s read-model part, one compact line each, only what there is to say."""
    lines = []
    if s["last_contact"] or s["next_contact_due"]:
        due = s["next_contact_due"]
        late = f", overdue by {(today - due).days} day{'' if (today - due).days == 1 else 's'}" if due and due < today else ""
        next_due = f"; next due {due} (every {s['contact_every_days']} days{late})" if due else ""
        lines.append(("Contact", (f"last {s['last_contact']}" if s["last_contact"] else "none yet") + next_due))
    if s["open_requests"]:
        lines.append(("Requests", ", ".join(f"{r['on']} (answer by {r['due']})" for r in s["open_requests"])))
    a = s["absence"]
    if a["unexcused_days"]:
        critical = " (critical)" if a["critical"] else ""
        lines.append(("Absence", f"{a['unexcused_days']} of the last {a['school_days']} school days unexcused{critical}"))
    if s["risk"]:
        r = s["risk"]
        lines.append(("Risk", f"{r['level']} (score {r['score']})" + (": " + "; ".join(r["details"]) if r["details"] else "")))
    if s["handovers"]:
        said = {"assigned": "assigned {to}", "handover": "handed to {to}", "released": "released {from}"}
        lines.append(("Mentors", ", ".join(said[c["kind"]].format(**c) + f" {c['on']}" for c in s["handovers"])))
    if s["placement_history"]:
        shown = [f"{p['host_kind']}, {p['purpose']} {p['started']}–{p['ended'] or 'running'}" for p in s["placement_history"]]
        lines.append(("Placements", "; ".join(shown)))
    return lines


@cli.command()
@click.argument("case")
@reads
def history(env: Env, case: str, as_json: bool) -> None:
    """Every event of the case, oldest first: effective date, recorded time, actor, what happened."""
    from brobyg.domain import queries

    entries = queries.history(env.app, case)
    logged(env, "history", [env.app.pathway(case).case])
    data = [
        {
            "no": e.no,
            "event": e.event,
            "on": e.on,
            "recorded_at": e.recorded_at,
            "actor": e.actor,
            "login": e.login,
            **e.fields,
            **({"voided": e.voided} if e.voided else {}),
        }
        for e in entries
    ]

    def human() -> None:
        rows = [
            [
                e.no,
                e.on,
                local_time(e.recorded_at),
                _by(e.actor, e.login),
                e.event + (" (voided)" if e.voided else ""),
                ", ".join(f"{k}={_plain(k, v)}" for k, v in e.fields.items() if v not in (None, "") and k != "case")
                + (f" — voided by {e.voided['by']}: {e.voided['reason']}" if e.voided else ""),
            ]
            for e in entries
        ]
        table(None, ["#", "on", "recorded", "by", "event", "details"], rows)

    emit(data, as_json, human)


def _by(actor: str, login: str | None) -> str:
    """The actor, and the account that wrote the event where that is someone else."""
    return actor if login in (None, actor) else f"{actor} (login {login})"


def _plain(key: str, value: Any) -> str:
    from brobyg.domain.terms import grade_text

    if key == "grade":
        return grade_text(value)
    return value.isoformat() if isinstance(value, dt.date) else str(value)


@cli.command("next")
@click.argument("case")
@reads
def next_(env: Env, case: str, as_json: bool) -> None:
    """Each trigger from the current state: allowed, or the rules that block it."""
    steps = _next(env.app, case)
    logged(env, "next", [env.app.pathway(case).case])  # what blocks a case tells about the person

    def human() -> None:
        if not steps:
            p = env.app.pathway(case)
            why = f"the person's data was erased on {p.erased}" if p.erased else f"it has ended ({p.state.replace('_', ' ')})"
            click.echo(f"no next steps for {p.case}: {why}")
            return
        rows = [[s["command"], s["target"], "allowed" if s["allowed"] else "blocked", "; ".join(s["reasons"])] for s in steps]
        table(None, ["command", "leads to", "", "why not"], rows)

    emit(steps, as_json, human)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True)
@json_option
def diagram(fmt: str, as_json: bool) -> None:
    """Print the pathway workflow, drawn from the definition the engine runs."""
    from brobyg.domain.workflow import PATHWAY

    text = PATHWAY.diagram(fmt)
    emit({"format": fmt, "diagram": text}, as_json, lambda: click.echo(text.rstrip()))
