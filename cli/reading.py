"""Reading commands: show, history, next, diagram."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import click

from brobyg.cli.access_log import logged
from brobyg.cli.app import Env, cli, json_option, reads
from brobyg.cli.i18n import _, day, long_date, ngettext, pgettext, say, term
from brobyg.cli.output import emit, local_time, table
from brobyg.cli.writing import summary

if TYPE_CHECKING:
    from brobyg.domain.application import Brobyg
    from brobyg.domain.pathway import Pathway


def _grades(p: Pathway) -> dict[str, str]:
    from brobyg.domain.terms import grade_text

    return {subject: grade_text(grade) for subject, grade in sorted(p.grades.items())}


def _next(app: Brobyg, case: str) -> tuple[list[dict[str, Any]], list[list[str]]]:
    """The next steps as JSON has them, and each step's reasons as people read them (the rule
    id, then the rule's sentence in the reader's language)."""
    from brobyg.domain import queries  # the rules and the application: not for `--help`

    steps = queries.next_steps(app, case)
    data = [
        {
            "trigger": step.trigger,
            "command": step.trigger.replace("_", "-"),
            "target": step.target,
            "allowed": step.allowed,
            "blocked_by": sorted({v.rule for v in step.violations}),
            "reasons": [str(v) for v in step.violations],
        }
        for step in steps
    ]
    return data, [[f"{v.rule}: {say(v.message)}" for v in step.violations] for step in steps]


def _state(state: str | None) -> str:
    """A state in a sentence: in English the code with spaces (`taster placement`), in Danish the guide's word."""
    return term("state", state).replace("_", " ")


def _person(name: str | None) -> str | None:
    """A person reference; an erased one in the reader's language."""
    from brobyg.engine.personal import ERASED  # not for `--help`

    return _("[erased]") if name == ERASED else name


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
    steps, reasons = _next(app, p.case)
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
        "mentor_name": env.read_models.mentor_name(p.mentor) if p.mentor else None,
        "admission": {"met": not unmet, "missing": unmet},
        **situation,
    }
    logged(env, "show", [p.case])

    def human() -> None:
        none = _("none")
        mentor = (
            _("{mentor}, {name} ({role} mentor)").format(
                mentor=p.mentor, name=data["mentor_name"], role=term("role", p.mentor_role)
            )
            if p.mentor
            else none
        )
        admission = (
            _("admission met")
            if not unmet
            else _("admission not met: {missing}").format(missing="; ".join(say(u) for u in unmet))
        )
        readiness = _("{readiness}, referred via {via}").format(readiness=term("readiness", p.readiness), via=term("via", p.via))
        grades = ", ".join(f"{term('subject', s)} {g}" for s, g in data["grades"].items()) or _("none recorded")
        lines = [
            (_("Case"), _("{case}: {state}, episode {episode}").format(case=p.case, state=_state(p.state), episode=p.episode)),
            (
                _("Person"),
                _("{person}, born {born} (age {age})").format(person=p.person, born=day(p.born), age=data["age"])
                if p.born
                else _("{erased} on {on}").format(erased=_("[erased]"), on=day(p.erased)),
            ),
            (_("Readiness"), readiness + (f": {p.justification}" if p.justification else "")),
            (_("Mentor"), mentor),
            (_("KUI contact"), p.kui_contact or none),
            (_("Partnership"), p.partnership or none),
            (_("Grades"), f"{grades} ({admission})"),
            *_situation_lines(situation, today),
        ]
        if p.placement:
            lines.append(
                (
                    _("Placement"),
                    f"{p.placement['host']} ({term('host', p.placement['host_kind'])}), "
                    + term("purpose", p.placement["purpose"]),
                )
            )
        if p.programme:
            lines.append((_("Programme"), p.programme))
        if p.employer:
            employer = (
                _("{employer}, starts {on}").format(employer=p.employer, on=day(p.apprenticeship_starts))
                if p.apprenticeship_starts
                else p.employer
            )
            lines.append((_("Employer"), employer))
        if p.exit_reason:
            lines.append((_("Reason"), p.exit_reason))
        lines.append((_("Key dates"), ", ".join(f"{_state(s)} {day(d)}" for s, d in p.entered.items())))
        width = max(12, *(len(label) + 1 for label, _text in lines))  # English: 12, as it always was
        for label, text in lines:
            click.echo(f"{label:<{width}} {text}")
        click.echo(_("Next steps"))
        for step, why in zip(steps, reasons, strict=True):
            verdict = _("allowed") if step["allowed"] else _("blocked: {reasons}").format(reasons="; ".join(why))
            click.echo(f"  {step['command']:<24} {verdict}")

    emit(data, as_json, human)


def _situation_lines(s: dict[str, Any], today: dt.date) -> list[tuple[str, str]]:
    """`show`'s read-model part, one compact line each, only what there is to say."""
    lines = []
    if s["last_contact"] or s["next_contact_due"]:
        due = s["next_contact_due"]
        late = ""
        if due and due < today:
            n = (today - due).days
            late = ngettext(", overdue by {n} day", ", overdue by {n} days", n).format(n=n)
        next_due = (
            _("; next due {on} (every {every} days{late})").format(on=day(due), every=s["contact_every_days"], late=late)
            if due
            else ""
        )
        last = _("last {on}").format(on=day(s["last_contact"])) if s["last_contact"] else _("none yet")
        lines.append((_("Contact"), last + next_due))
    if s["open_requests"]:
        answer = _("{on} (answer by {due})")
        lines.append((_("Requests"), ", ".join(answer.format(on=day(r["on"]), due=day(r["due"])) for r in s["open_requests"])))
    a = s["absence"]
    if a["unexcused_days"]:
        critical = _(" (critical)") if a["critical"] else ""
        absence = _("{unexcused} of the last {days} school days unexcused").format(
            unexcused=a["unexcused_days"], days=a["school_days"]
        )
        lines.append((_("Absence"), absence + critical))
    if s["risk"]:
        r = s["risk"]
        level = _("{level} (score {score})").format(level=term("level", r["level"]), score=r["score"])
        lines.append((_("Risk"), level + (": " + "; ".join(say(d) for d in r["details"]) if r["details"] else "")))
    if s["handovers"]:
        said = {"assigned": _("assigned {to}"), "handover": _("handed to {to}"), "released": _("released {from}")}
        lines.append((_("Mentors"), ", ".join(said[c["kind"]].format(**c) + f" {day(c['on'])}" for c in s["handovers"])))
    if s["placement_history"]:
        running = _("running")
        shown = [
            f"{term('host', p['host_kind'])}, {term('purpose', p['purpose'])} "
            f"{day(p['started'])}–{day(p['ended']) if p['ended'] else running}"
            for p in s["placement_history"]
        ]
        lines.append((_("Placements"), "; ".join(shown)))
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
        labels = _field_labels()
        rows = [
            [
                e.no,
                day(e.on),
                local_time(e.recorded_at),
                _by(e.actor, e.login),
                term("event", e.event) + (_(" (voided)") if e.voided else ""),
                ", ".join(
                    f"{labels.get(k, k)}={_plain(k, v)}" for k, v in e.fields.items() if v not in (None, "") and k != "case"
                )
                + (
                    _(" — voided by {by}: {reason}").format(by=e.voided["by"], reason=_person(e.voided["reason"]))
                    if e.voided
                    else ""
                ),
            ]
            for e in entries
        ]
        table(None, ["#", _("on"), _("recorded"), _("by"), _("event"), _("details")], rows)

    emit(data, as_json, human)


def _by(actor: str, login: str | None) -> str:
    """The actor, and the account that wrote the event where that is someone else."""
    return actor if login in (None, actor) else _("{actor} (login {login})").format(actor=actor, login=login)


# An event's fields whose values are code names, and the context they are looked up under.
_FIELD_TERMS = {
    "new_state": "state",
    "readiness": "readiness",
    "via": "via",
    "host_kind": "host",
    "purpose": "purpose",
    "subject": "subject",
    "channel": "channel",
    "kind": "kind",
}


def _field_labels() -> dict[str, str]:
    """An event's field names as people read them: in English the names themselves."""
    return {
        "new_state": pgettext("field", "new_state"),
        "person": pgettext("field", "person"),
        "born": pgettext("field", "born"),
        "readiness": pgettext("field", "readiness"),
        "justification": pgettext("field", "justification"),
        "via": pgettext("field", "via"),
        "kui_contact": pgettext("field", "kui_contact"),
        "partnership": pgettext("field", "partnership"),
        "school": pgettext("field", "school"),
        "host": pgettext("field", "host"),
        "host_kind": pgettext("field", "host_kind"),
        "contact": pgettext("field", "contact"),
        "purpose": pgettext("field", "purpose"),
        "wish": pgettext("field", "wish"),
        "follow_up": pgettext("field", "follow_up"),
        "programme": pgettext("field", "programme"),
        "employer": pgettext("field", "employer"),
        "starts": pgettext("field", "starts"),
        "reason": pgettext("field", "reason"),
        "mentor": pgettext("field", "mentor"),
        "from_mentor": pgettext("field", "from_mentor"),
        "to_mentor": pgettext("field", "to_mentor"),
        "subject": pgettext("field", "subject"),
        "grade": pgettext("field", "grade"),
        "channel": pgettext("field", "channel"),
        "text": pgettext("field", "text"),
        "days": pgettext("field", "days"),
        "excused": pgettext("field", "excused"),
        "voided_no": pgettext("field", "voided_no"),
    }


def _plain(key: str, value: Any) -> str:
    from brobyg.domain.terms import grade_text

    if key == "grade":
        return grade_text(value)
    if key in _FIELD_TERMS and isinstance(value, str):
        return term(_FIELD_TERMS[key], value)
    if isinstance(value, bool):
        return _("True") if value else _("False")
    if key == "reason" and isinstance(value, str):
        return _reason(value)
    return day(value) if isinstance(value, dt.date) else _person(str(value)) or ""


def _reason(value: str) -> str:
    """A reason brobyg itself recorded (the mentor released by an apprenticeship or an outcome,
    or restored by an undo: domain.application) as people read it; one someone typed, as typed."""
    import re

    if value == "apprenticeship secured":
        return _("apprenticeship secured")
    if ended := re.fullmatch(r"pathway ended \((\w+)\)", value):
        return _("pathway ended ({state})").format(state=term("state", ended[1]))
    if undo := re.fullmatch(r"undo of #(\d+)", value):
        return _("undo of #{no}").format(no=undo[1])
    return _person(value)


@cli.command("next")
@click.argument("case")
@reads
def next_(env: Env, case: str, as_json: bool) -> None:
    """Each trigger from the current state: allowed, or the rules that block it."""
    steps, reasons = _next(env.app, case)
    logged(env, "next", [env.app.pathway(case).case])  # what blocks a case tells about the person

    def human() -> None:
        if not steps:
            p = env.app.pathway(case)
            why = (
                _("the person's data was erased on {on}").format(on=long_date(p.erased))
                if p.erased
                else _("it has ended ({state})").format(state=_state(p.state))
            )
            click.echo(_("no next steps for {case}: {why}").format(case=p.case, why=why))
            return
        rows = [
            [s["command"], term("state", s["target"]), _("allowed") if s["allowed"] else _("blocked"), "; ".join(why)]
            for s, why in zip(steps, reasons, strict=True)
        ]
        table(None, [_("command"), _("leads to"), "", _("why not")], rows)

    emit(steps, as_json, human)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True)
@json_option
def diagram(fmt: str, as_json: bool) -> None:
    """Print the pathway workflow, drawn from the definition the engine runs."""
    from brobyg.domain.workflow import PATHWAY

    text = PATHWAY.diagram(fmt)
    emit({"format": fmt, "diagram": text}, as_json, lambda: click.echo(text.rstrip()))
