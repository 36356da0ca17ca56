"""The named indicators behind caseloads, the risk list and the fidelity report, each
computed for one pathway as of a date. The numbers come from the policy file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from brobyg.domain.terms import (
    APPRENTICESHIP,
    AWAITING_MAIN_COURSE,
    BASIC_COURSE,
    BRIDGING,
    BRIDGING_STATES,
    EDUCATION_STATES,
)
from brobyg.engine.text import N_, Text
from brobyg.projections.policy import Policy
from brobyg.projections.timeline import (
    Timeline,
    add_school_days,
    last_school_days,
    school_days_from,
)


@dataclass(frozen=True)
class Finding:
    """An indicator present, and what it is about: an English sentence (a `Text`, or a marked
    constant) that the command line says in the reader's language."""

    indicator: str
    detail: str


# Where critical absence is watched (R11): at the school, in bridging and in education.
ABSENCE_WATCHED_STATES = (*BRIDGING_STATES, *EDUCATION_STATES)


@dataclass(frozen=True)
class ContactCadence:
    """R10 for one pathway on a date: the cadence in days, the last contact (or the start of
    bridging when none since) and the day the next contact is due."""

    days: int
    last: dt.date
    due: dt.date


def contact_cadence(t: Timeline, on: dt.date, policy: Policy) -> ContactCadence | None:
    """R10: the contact cadence (7 days in bridging, the agreed cadence after); None where none applies."""
    state = t.state_on(on)
    if state in BRIDGING_STATES:
        limit = policy.bridging_contact_days
    elif state in EDUCATION_STATES:
        limit = t.cadence_on(on, policy.education_contact_days)
    else:
        return None
    bridging_started = t.entered(on).get(BRIDGING)
    if bridging_started is None:  # pragma: no cover - education states follow bridging
        return None
    last = max([bridging_started, *(d for d in t.contact_dates(on) if d >= bridging_started)])
    return ContactCadence(limit, last, last + dt.timedelta(days=limit))


def contact_overdue(t: Timeline, on: dt.date, policy: Policy) -> int | None:
    """R10: days past the contact cadence, or None."""
    cadence = contact_cadence(t, on, policy)
    return (on - cadence.due).days if cadence is not None and on > cadence.due else None


def request_answered_in_time(t: Timeline, request_on: dt.date, policy: Policy) -> bool:
    return any(request_on <= c.on <= request_due(request_on, policy) for c in t.contacts)


def request_due(request_on: dt.date, policy: Policy) -> dt.date:
    """R10: the last day a request is answered in time (the same or the next day)."""
    return request_on + dt.timedelta(days=policy.request_answer_days)


def open_requests(t: Timeline, on: dt.date) -> list[dt.date]:
    """R10: requests with no contact since (the next contact answers them), oldest first."""
    contacts = t.contact_dates(on)
    return [r.on for r in t.requests if r.on <= on and not any(c >= r.on for c in contacts)]


def unanswered_requests(t: Timeline, on: dt.date, policy: Policy) -> list[dt.date]:
    """R10: open requests older than the 24 hours they should be answered in."""
    return [r for r in open_requests(t, on) if on > request_due(r, policy)]


def unexcused_absent_days(t: Timeline, on: dt.date) -> set[dt.date]:
    days: set[dt.date] = set()
    for a in t.absences:
        if a.on <= on and not a.excused:
            days.update(d for d in school_days_from(a.on, a.days) if d <= on)
    return days


def critical_absence(absent: set[dt.date], on: dt.date, policy: Policy) -> bool:
    """R11: consecutive unexcused school days, or too large a share of the last school days."""
    window = last_school_days(on, policy.absence_window_school_days)
    flags = [day in absent for day in window]
    count = sum(flags)
    if count > policy.absence_share_above * len(window):
        return True
    if count < policy.absence_consecutive_days:
        return False  # too few absent days for a run that long
    run = longest = 0
    for flag in flags:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    return longest >= policy.absence_consecutive_days


def critical_absence_starts(t: Timeline, on: dt.date, policy: Policy, after: dt.date | None = None) -> list[dt.date]:
    """The school days on which absence became critical (a new episode of critical absence);
    with `after`, only those after that day (each day is decided on its own, so the rest are
    not looked at).

    Absence can only become critical on an absent day: that is when the count and the run grow.
    """
    absent = unexcused_absent_days(t, on)
    critical: dict[dt.date, bool] = {}  # by day: absent days in a row ask about each other

    def is_critical(day: dt.date) -> bool:
        if day not in critical:
            critical[day] = critical_absence(absent, day, policy)
        return critical[day]

    starts = []
    for day in sorted(d for d in absent if after is None or d > after):
        previous = last_school_days(day - dt.timedelta(days=1), 1)[0]
        if is_critical(day) and not is_critical(previous):
            starts.append(day)
    return starts


def absence_follow_up_due(became_critical: dt.date, policy: Policy) -> dt.date:
    """R11: the last school day critical absence is followed up in time."""
    return add_school_days(became_critical, policy.absence_follow_up_school_days)


def absence_followed_up(t: Timeline, became_critical: dt.date, policy: Policy) -> bool:
    return any(became_critical <= c.on <= absence_follow_up_due(became_critical, policy) for c in t.contacts)


def absence_not_followed_up(t: Timeline, on: dt.date, policy: Policy) -> list[dt.date]:
    """R11: the days absence became critical with no mentor contact since, while it is watched."""
    if t.state_on(on) not in ABSENCE_WATCHED_STATES:
        return []
    last_contact = max(t.contact_dates(on), default=None)  # a contact on or after the day follows it up
    return critical_absence_starts(t, on, policy, after=last_contact)


def transition_window(t: Timeline, on: dt.date, policy: Policy) -> str | None:
    """Where dropout risk is highest: the edges between bridging, basic course and main course."""
    state, entered = t.state_on(on), t.entered(on)
    if state in BRIDGING_STATES and BRIDGING in entered:
        weeks = (on - entered[BRIDGING]).days / 7
        if policy.bridging_flag_after_weeks - policy.last_weeks_of_bridging <= weeks <= policy.bridging_flag_after_weeks:
            return N_("the last weeks of bridging")
    elif state == BASIC_COURSE and (on - entered[BASIC_COURSE]).days < 7 * policy.first_weeks_of_basic_course:
        return N_("the first weeks of the basic course")
    elif state == AWAITING_MAIN_COURSE:
        return N_("waiting for the main course or an apprenticeship")
    elif state == APPRENTICESHIP:
        starts = apprenticeship_starts(t, on)
        if on < starts:
            return N_("waiting for the apprenticeship to start")
        if on < trial_ends(starts, policy):
            return N_("the trial period of the apprenticeship")
    return None


def apprenticeship_starts(t: Timeline, on: dt.date) -> dt.date:
    """R9: the agreement's start date of the apprenticeship current on `on` (else the day it was secured)."""
    last = t.last_transition(on)
    return last.apprenticeship_starts if last is not None and last.apprenticeship_starts else t.entered(on)[APPRENTICESHIP]


def trial_ends(starts: dt.date, policy: Policy) -> dt.date:
    """The first day after an apprenticeship's trial period (the first three months)."""
    return starts + dt.timedelta(days=policy.apprenticeship_trial_days)


def bridging_flagged_after(t: Timeline, on: dt.date, policy: Policy) -> dt.date | None:
    """R12: the last day of the typical 13 weeks of bridging (flagged after it); None outside bridging."""
    started = t.entered(on).get(BRIDGING)
    if t.state_on(on) not in BRIDGING_STATES or started is None:
        return None
    return started + dt.timedelta(weeks=policy.bridging_flag_after_weeks)


def findings(t: Timeline, on: dt.date, policy: Policy) -> list[Finding]:
    """Every risk indicator present for an active pathway on a date, with what it is about."""
    found: list[Finding] = []
    state, entered = t.state_on(on), t.entered(on)
    if state in ABSENCE_WATCHED_STATES and critical_absence(unexcused_absent_days(t, on), on, policy):
        found.append(Finding("critical_absence", N_("critical absence under the absence policy")))
    overdue = contact_overdue(t, on, policy)
    if overdue is not None:
        late = (
            Text("contact overdue by {days} day", days=overdue)
            if overdue == 1
            else Text("contact overdue by {days} days", days=overdue)
        )
        found.append(Finding("contact_overdue", late))
    unanswered = unanswered_requests(t, on, policy)
    if unanswered:
        found.append(Finding("unanswered_request", Text("request of {on} not answered", on=unanswered[0])))
    handover = t.last_handover(on)
    if handover is not None and (on - handover).days <= policy.mentor_change_days:
        found.append(Finding("recent_mentor_change", Text("new mentor since {on}", on=handover)))
    window = transition_window(t, on, policy)
    if window:
        found.append(Finding("transition_window", window))
    if state in BRIDGING_STATES:
        days = (on - entered[BRIDGING]).days
        flagged_after = bridging_flagged_after(t, on, policy)
        if flagged_after is not None and on > flagged_after:
            found.append(Finding("bridging_past_13_weeks", Text("bridging for {weeks} weeks", weeks=days // 7)))
        if not t.admission_met(on):
            found.append(Finding("admission_requirement_not_met", N_("not yet 02 in both Danish and maths")))
        if days > 7 * policy.placement_expected_weeks and not t.placements_started(on):
            found.append(Finding("no_taster_placement", Text("no taster placement after {weeks} weeks", weeks=days // 7)))
    return found
