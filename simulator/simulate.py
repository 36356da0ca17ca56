"""A simulated municipality: mentors, two partnerships and young people whose pathways are
lived week by week through the application service, so every step meets the same rules a
coordinator meets (a refused step is simply not taken).

The model is small and explicit. Each young person has an engagement (a latent normal value
no view can see), and now and then a spell of weeks in which it sinks (slipping). It shapes
what can be seen: a disengaged or slipping young person is absent more, is harder to reach for
the mentor's contact, is slower to meet the admission requirements and to find a taster
placement. The weekly chances of dropping out rise with the engagement's absence and with the
guide's signals as they stand that day (critical absence, contact overdue, a request left
unanswered, a new mentor, no taster placement, long bridging, the transition windows), each
tracked by the simulator itself: it never reads a view, a weight or a score. A spell of
slipping mostly ends in dropping out; a basic course is completed unless too much of it was
missed. Bridging lasts about three months and a referral days to a few weeks, both drawn per
young person; some who left come back, referred again a year or more later.

`Parameters` holds every number; the defaults reproduce the evaluation's participant figures
at its horizons (bench/README.md, "Calibration of the simulator").
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from brobyg.domain.application import Brobyg
from brobyg.domain.pathway import Pathway
from brobyg.domain.terms import (
    ADMISSION_GRADE,
    AGE_MAX,
    AWAITING_MAIN_COURSE,
    BASIC_COURSE,
    BRIDGING,
    GRADES,
    KUI_AGE_LIMIT,
    MAIN_COURSE,
    OUTCOME_STATES,
    QUALIFIED,
    TASTER_PLACEMENT,
    age_on,
)
from brobyg.engine.errors import Refused
from brobyg.projections.policy import DEFAULT as DEFAULT_POLICY
from brobyg.projections.policy import load_policy
from brobyg.projections.timeline import add_school_days, school_days_from, school_days_until

SCALE = sorted(GRADES.values())  # -3, 0, 2, 4, 7, 10, 12
ADMITTED = SCALE.index(ADMISSION_GRADE)


@dataclass(frozen=True)
class Parameters:
    """Every number of the model. Chances are weekly unless said otherwise; a chance of leaving
    is multiplied by exp(the weights of the signals present - engagement_weight * engagement)."""

    # Referral (visitation) to the start of bridging: days to a few weeks (lognormal).
    referral_days_median: float = 6.0
    referral_days_spread: float = 0.6
    referral_withdraw: float = 0.01
    # Bridging: the weeks planned, around the guide's three months; by the longest a plan is made
    # or the pathway ends.
    bridging_weeks: tuple[float, float] = (12.5, 2.0)  # mean, standard deviation
    bridging_longest: int = 22
    # Contacts (R10): kept when the mentor is diligent and the young person answers.
    contact_reach: float = 2.4  # logit of reaching a young person of average engagement
    contact_engagement: float = 2.5
    request_per_week: float = 0.10
    request_answered: float = 0.85  # the same or the next day, times the mentor's diligence
    follow_up: float = 0.8  # critical absence followed up within 2 school days (R11), if reached
    # Absence (R11): the logit of an absence streak starting in a school week, and its length.
    absence_base: float = -3.4
    absence_engagement: float = 2.5
    absence_days: float = 0.35  # 1 + an exponential number of school days of this rate
    placement_per_week: float = 0.22
    placement_engagement: float = 0.8
    # Leaving bridging; starting the basic course once the planned weeks are over and the
    # admission requirements met (R6), the more engaged the likelier.
    bridging_drop: float = 0.003
    bridging_employ: float = 0.027
    bridging_withdraw: float = 0.002
    start_education: float = 1.0
    start_engagement: float = 0.9
    # The basic course: completed at its end with a chance whose logit is basic_pass less
    # basic_pass_absence times the share of its school days missed unexcused.
    basic_weeks: tuple[int, int] = (20, 32)
    basic_drop: float = 0.001
    basic_employ: float = 0.001
    basic_pass: float = 3.3
    basic_pass_absence: float = 100.0
    # After it.
    awaiting_apprenticeship: float = 0.14
    awaiting_main_course: float = 0.03
    awaiting_drop: float = 0.002
    awaiting_employ: float = 0.008
    main_weeks: tuple[int, int] = (90, 130)
    trial_drop: float = 0.004  # in an apprenticeship's trial period (its first three months)
    apprenticeship_drop: float = 0.0002  # after it
    main_drop: float = 0.0008  # the school-based main course
    handover_per_week: float = 0.004
    # Coming back: once, a year to three years after dropping out, withdrawing or a job.
    re_refer: float = 0.15
    re_refer_weeks: tuple[int, int] = (52, 156)
    engagement_weight: float = 0.5
    # Slipping: a spell of weeks in which the engagement sinks by slip_depth (a crisis, lost
    # motivation); it starts more often the lower the engagement. When it ends the young person
    # gives up with the chance whose logit is give_up plus the signals' weights present then
    # (course_give_up in education, where a spell shows in the course's absence instead).
    slip_per_week: float = 0.025  # times exp(-slip_engagement * engagement)
    slip_engagement: float = 1.5
    slip_weeks: tuple[int, int] = (3, 10)
    slip_depth: float = 2.5
    give_up: float = 0.5
    course_give_up: float = -2.0
    # The guide's signals: how much each raises a chance of leaving (log scale).
    critical_absence: float = 0.5
    contact_overdue: float = 0.5
    unanswered_request: float = 0.5
    new_mentor: float = 0.5
    transition_window: float = 1.2
    long_bridging: float = 1.0
    no_taster_placement: float = 0.6


@dataclass
class Person:
    case: str
    engagement: float
    danish: int  # index into SCALE
    maths: int
    referred_on: dt.date
    bridging_on: dt.date  # the day bridging is to start
    contact_day: int  # the weekday the mentor usually meets the young person
    plan_weeks: int = 13  # the bridging weeks planned
    week: int = 0  # weeks in the current state
    duration: int = 0  # planned weeks for a course
    placement_weeks: int = 0
    pending_request: dt.date | None = None  # the oldest request no contact has answered yet
    last_contact: dt.date | None = None  # or the start of bridging, as R10 counts
    absent: list[dt.date] = field(default_factory=list)  # the unexcused school days missed lately
    absent_days: int = 0  # unexcused school days missed in the current course
    away_until: dt.date = dt.date.min  # the last day of the latest absence streak
    new_mentor_on: dt.date | None = None
    slipping: int = 0  # weeks left of a spell of slipping
    slipped: bool = False  # a spell ended this week: the young person comes back or gives up
    wake: int = 0  # the week an apprenticeship ends, or a referral again; asleep until then
    referrals: int = 1  # a pathway that ends after a second referral stays ended
    outcome: str = ""  # how a scheduled apprenticeship ends

    def now(self, depth: float) -> float:
        """The engagement this week: lower while slipping."""
        return self.engagement - depth if self.slipping else self.engagement


@dataclass
class Result:
    pathways: int
    events: int
    refused: int
    cases: list[str] = field(default_factory=list)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# The guide's numbers (R10-R12, the windows) as the shipped policy has them: a simulation does
# not follow BROBYG_POLICY, and it reads no weight or level of the risk score.
GUIDE = load_policy(DEFAULT_POLICY)
WEEK = dt.timedelta(days=7)
ASLEEP = "asleep"  # a step's answer for a person with nothing to record this week
# Where a spell of slipping can start: bridging and education, where someone sees the young person.
SLIPPING_STATES = (BRIDGING, TASTER_PLACEMENT, BASIC_COURSE, AWAITING_MAIN_COURSE, MAIN_COURSE)
# The fewest unexcused days that can be critical: a run of them, or just over the share of the window.
FEWEST_CRITICAL = min(GUIDE.absence_consecutive_days, int(GUIDE.absence_share_above * GUIDE.absence_window_school_days) + 1)
WINDOW_DAYS = 7 * (GUIDE.absence_window_school_days // 5 + 2)  # the absence window and a margin, in days


@functools.lru_cache(maxsize=16)
def _absence_window(on: dt.date) -> tuple[dt.date, ...]:
    """R11's window: the last school days up to `on` (the same few days for everyone in a week)."""
    return tuple(school_days_until(on, GUIDE.absence_window_school_days))


class Simulation:
    def __init__(
        self, app: Brobyg, pathways: int, seed: int, start: dt.date, today: dt.date, params: Parameters | None = None
    ) -> None:
        self.app = app
        self.n = pathways
        self.rng = random.Random(seed)
        self.start = start - dt.timedelta(days=start.weekday())  # Mondays
        self.today = today
        self.p = params or Parameters()
        self.people: dict[str, Person] = {}
        self.refused = 0
        # Each mentor's caseload as the mentor's stream counts it (one case per pathway naming the
        # mentor), kept here from what the commands return: choosing a mentor then reads no mentor.
        self.loads: dict[str, int] = {}
        self.capacities: dict[str, int] = {}
        # Per kind of mentor, (load, place in `mentors`, mentor) as loads changed: the least loaded
        # found without a scan (a scan per assignment grew with the mentors, so with the square of
        # the pathways). An entry whose load is no longer the mentor's is dropped when met.
        self.by_load: dict[str, list[tuple[int, int, str]]] = {"kui": [], "lab": []}
        self.kui_mentors: list[str] = []
        self.place: dict[str, int] = {}
        self.mentor_of: dict[str, str] = {}  # case -> its mentor, for the pathways that have one
        weeks = max((today - self.start).days // 7, 1)
        # Mentors for the expected number of people mentored at once, about 16 each.
        mentored = pathways / weeks * 26
        self.mentors = [f"mentor-{i + 1:03d}" for i in range(max(3, math.ceil(mentored / 16) + 1))]
        self.kinds = {m: ("kui" if i % 2 == 0 else "lab") for i, m in enumerate(self.mentors)}
        self.diligence = {m: self.rng.uniform(0.8, 1.0) for m in self.mentors}
        in_bridging = pathways / weeks * 13
        self.partnerships = {"aarhus-tech": max(2, round(in_bridging * 0.55)), "herning-eud": max(2, round(in_bridging * 0.4))}
        # Intake: referral weeks spread over the period, up to today.
        self.intake: dict[int, int] = {}
        for _ in range(pathways):
            w = self.rng.randrange(weeks)
            self.intake[w] = self.intake.get(w, 0) + 1
        self.weeks = weeks
        self.week = 0
        # What a week in each state brings (`week_in_<state>`), looked up once.
        self.handlers: dict[str, Callable[[Person, Pathway, dt.date], None]] = {
            name.removeprefix("week_in_"): getattr(self, name) for name in dir(self) if name.startswith("week_in_")
        }

    # --- the loop -----------------------------------------------------------------------

    def run(self, progress: Callable[[int, int], None] = lambda done, total: None, flush_every: int | None = None) -> Result:
        app = self.app
        with app.batch(flush_every or self.flush_every()) as batch:
            self.place = {m: i for i, m in enumerate(self.mentors)}
            for m in self.mentors:
                mentor = app.add_mentor(m, f"Mentor {m[-3:]}", self.kinds[m], 20, on=self.start)
                self.loads[m], self.capacities[m] = 0, mentor.capacity
                self.loaded(m, mentor.load)
            self.kui_mentors = [m for m in self.mentors if self.kinds[m] == "kui"]
            for name, places in self.partnerships.items():
                app.add_partnership(
                    name,
                    f"Jobcenter {name.split('-')[0].title()}",
                    f"{name.split('-')[0].title()} vocational school",
                    places,
                    38_000,
                    on=self.start,
                )
            referred = 0
            for week in range(self.weeks + 1):
                self.week = week
                monday = self.start + dt.timedelta(weeks=week)
                for _ in range(self.intake.get(week, 0)):
                    self.refer(monday, referred)
                    referred += 1
                ended = []
                for person in list(self.people.values()):
                    state = self.step(person, monday, week)
                    if state in OUTCOME_STATES and not self.comes_back(person, state, week):
                        ended.append(person.case)
                for case in ended:
                    del self.people[case]
                batch.forget(Pathway.id_for(c) for c in ended)
                progress(referred, self.n)
            saved = batch
        return Result(self.n, saved.saved_events + saved.pending, self.refused)

    def flush_every(self) -> int:
        """Events per transaction: 20,000, or six for each young person mentored at once if more.
        A transaction writes one page of the events' index for every pathway it touches, wherever
        its events go, so a larger caseload needs larger transactions to write as few pages an
        event (at 100,000 pathways 50,000 events: 185 -> 173 s, a peak of 277 -> 312 MB)."""
        mentored = self.n / max((self.today - self.start).days // 7, 1) * 26
        return max(20_000, int(round(6 * mentored, -3)))

    def day(self, monday: dt.date, weekday: int | None = None) -> dt.date:
        d = monday + dt.timedelta(days=self.rng.randrange(5) if weekday is None else weekday)
        return min(d, self.today)

    def attempt(self, command: Callable[..., Pathway], *args: object, **kwargs: object) -> bool:
        try:
            p = command(*args, **kwargs)
        except Refused:
            self.refused += 1
            return False
        self.follow_mentor(p)
        return True

    def follow_mentor(self, p: Pathway) -> None:
        """Keep the loads as the mentors' streams have them: every command that gives a pathway a
        mentor, hands it over or releases it (R7) records the same change on the mentors' streams."""
        before = self.mentor_of.get(p.case)
        if p.mentor == before:
            return
        if before is not None:
            self.loaded(before, -1)
        if p.mentor is None:
            del self.mentor_of[p.case]
        else:
            self.loaded(p.mentor, +1)
            self.mentor_of[p.case] = p.mentor

    def loaded(self, mentor: str, change: int) -> None:
        """A mentor's load changed by `change`: noted for the choice of the least loaded."""
        load = self.loads[mentor] = self.loads[mentor] + change
        heap = self.by_load[self.kinds[mentor]]
        if len(heap) > 4 * len(self.loads) + 64:  # mostly stale entries: start again from the loads
            kind = self.kinds[mentor]
            heap[:] = [(n, self.place[m], m) for m, n in self.loads.items() if self.kinds[m] == kind]
            heapq.heapify(heap)
        else:
            heapq.heappush(heap, (load, self.place[mentor], mentor))

    def least_loaded(self, kind: str) -> str | None:
        """The free mentor of `kind` with the fewest cases, the first in order among equals (every
        simulated mentor has the same capacity, so the least loaded is free if any is)."""
        heap, loads = self.by_load[kind], self.loads
        while heap:
            load, _, mentor = heap[0]
            if load == loads[mentor]:
                return mentor if load < self.capacities[mentor] else None
            heapq.heappop(heap)
        return None

    # --- referral ----------------------------------------------------------------------------

    def refer(self, monday: dt.date, number: int) -> None:
        rng, on = self.rng, self.day(monday)
        age = rng.choice([18, 19, 19, 20, 20, 21, 21, 22, 22, 23, 24, 25, 26, 27, 28, 29])
        try:
            base = on.replace(year=on.year - age - 1)
        except ValueError:  # 29 February
            base = on.replace(year=on.year - age - 1, day=28)
        born = base + dt.timedelta(days=rng.randrange(1, 330))  # `age` years old on the referral date
        activity_ready = rng.random() < 0.2
        engagement = rng.gauss(-0.3 if activity_ready else 0.1, 1)
        kui = None
        if age < 25 and rng.random() < 0.7:
            kui = rng.choice(self.kui_mentors)
        try:
            p = self.app.refer(
                f"Simulated person {number:06d}",
                born,
                "activity-ready" if activity_ready else "education-ready",
                justification="among the strongest: steady attendance in earlier activities" if activity_ready else None,
                kui_contact=kui,
                partnership="aarhus-tech" if rng.random() < 0.58 else "herning-eud",
                on=on,
            )
        except Refused:
            self.refused += 1
            return
        level = lambda: max(0, min(6, round(rng.gauss(2.2 + 0.6 * engagement, 1.3))))  # noqa: E731
        self.people[p.case] = Person(
            p.case, engagement, level(), max(0, level() - 1), on, self.bridging_starts(on), rng.randrange(5)
        )

    def bridging_starts(self, referred: dt.date) -> dt.date:
        """The referral takes days to a few weeks; bridging starts on a school day."""
        wait = max(1, round(self.p.referral_days_median * math.exp(self.rng.gauss(0, self.p.referral_days_spread))))
        starts = referred + dt.timedelta(days=wait)
        return starts + dt.timedelta(days=7 - starts.weekday() if starts.weekday() >= 5 else 0)

    # --- a week in a pathway ----------------------------------------------------------------

    def step(self, person: Person, monday: dt.date, week: int) -> str:
        if person.wake > week:
            return ASLEEP  # nothing to record until an apprenticeship ends or a referral again
        p = self.app.pathway(person.case)
        if monday > self.today:
            return p.state
        person.week += 1
        if p.state in SLIPPING_STATES:
            self.slip(person)
        handler = self.handlers.get(p.state)
        if handler is not None:
            handler(person, p, monday)
        return p.state  # the batch's own copy: the commands above changed it in place

    def slip(self, person: Person) -> None:
        person.slipped = person.slipping == 1
        if person.slipping:
            person.slipping -= 1
        elif self.rng.random() < self.p.slip_per_week * math.exp(-self.p.slip_engagement * person.engagement):
            person.slipping = self.rng.randint(*self.p.slip_weeks)

    def gives_up(self, person: Person, signals: float, logit: float | None = None) -> bool:
        """At the end of a spell of slipping: back, or gone (less often when the mentor kept in touch)."""
        return person.slipped and self.rng.random() < _sigmoid((self.p.give_up if logit is None else logit) + signals)

    def hazard(self, base: float, person: Person, signals: float = 0.0) -> bool:
        """A weekly chance of leaving: `signals` is the sum of the weights of the signals present."""
        rate = base * math.exp(signals - self.p.engagement_weight * person.now(self.p.slip_depth))
        return self.rng.random() < rate

    def signals(self, person: Person, on: dt.date, cadence: int) -> float:
        """The guide's signals every active state shares, as they stand on `on`, weighted."""
        w = 0.0
        if person.absent and self.critically_absent(person, on):
            w += self.p.critical_absence
        if person.last_contact is not None and (on - person.last_contact).days > cadence:
            w += self.p.contact_overdue
        if person.pending_request is not None and (on - person.pending_request).days > GUIDE.request_answer_days:
            w += self.p.unanswered_request
        if person.new_mentor_on is not None and (on - person.new_mentor_on).days <= GUIDE.mentor_change_days:
            w += self.p.new_mentor
        return w

    def comes_back(self, person: Person, state: str, week: int) -> bool:
        """Whether a pathway that ended is referred again later (it sleeps until then)."""
        if state == QUALIFIED or person.referrals > 1 or self.rng.random() >= self.p.re_refer:
            return False
        person.wake = week + self.rng.randint(*self.p.re_refer_weeks)
        return True

    def week_after_an_outcome(self, person: Person, p: Pathway, monday: dt.date) -> None:
        on = max(self.day(monday), p.last_on)
        if age_on(p.born, on) <= AGE_MAX and self.attempt(self.app.re_refer, p.case, on=on):
            fresh = Person(
                person.case, person.engagement, person.danish, person.maths, on, self.bridging_starts(on), person.contact_day
            )
            fresh.referrals = person.referrals + 1
            self.people[p.case] = fresh
        else:
            person.referrals += 1  # too old by now (R1): the pathway stays ended

    week_in_dropped_out = week_in_withdrawn = week_in_employed = week_after_an_outcome

    def week_in_referred(self, person: Person, p: Pathway, monday: dt.date) -> None:
        if p.mentor is None:
            soon = min(person.referred_on + dt.timedelta(days=self.rng.randrange(3)), person.bridging_on, self.today)
            self.assign(person, p, max(soon, monday))
            if p.mentor is None:
                return
        if self.rng.random() < self.p.referral_withdraw:
            self.attempt(self.app.withdraw, p.case, "moved before bridging started", on=max(self.day(monday), p.last_on))
            return
        on = max(person.bridging_on, p.last_on)
        if on >= monday + WEEK or on > self.today:
            return  # not yet
        if self.attempt(self.app.start_bridging, p.case, "Vocational school", on=on):
            person.week, person.last_contact = 0, on  # R10 counts from the start of bridging
            person.plan_weeks = max(6, round(self.rng.gauss(*self.p.bridging_weeks)))

    def assign(self, person: Person, p: Pathway, on: dt.date) -> None:
        expected = p.kui_contact if p.kui_contact and age_on(p.born, on) < KUI_AGE_LIMIT else None  # R3
        chosen = self.choose_mentor(expected)
        if chosen is None:
            return  # nobody free: the young person waits (and the risk list shows it)
        if chosen == expected:
            self.attempt(self.app.assign, p.case, expected, on=on)
            return
        reason = "the KUI contact is at capacity" if expected else (None if self.kinds[chosen] == "lab" else "no LAB mentor free")
        self.attempt(self.app.assign, p.case, chosen, reason, on=on)

    def choose_mentor(self, expected: str | None) -> str | None:
        """The KUI contact the young person is expected to have (R3) if free, else the least
        loaded free LAB mentor, else the least loaded free mentor; None if all are full."""
        if expected is not None and self.loads[expected] < self.capacities[expected]:
            return expected
        return self.least_loaded("lab") or self.least_loaded("kui")

    def free_mentors(self) -> dict[str, int]:
        """The mentors below their capacity, in order, with their loads (as `follow_mentor` keeps
        them: loading every mentor for every assignment took a quarter of a large simulation)."""
        capacities = self.capacities
        return {m: load for m, load in self.loads.items() if load < capacities[m]}

    # --- what happens inside a state --------------------------------------------------------

    def contact(self, person: Person, p: Pathway, on: dt.date, channel: str) -> None:
        on = min(max(on, p.last_on), self.today)
        if self.attempt(self.app.contact, p.case, channel, on=on):
            person.last_contact = max(on, person.last_contact or on)
            if person.pending_request is not None and person.pending_request <= on:
                person.pending_request = None  # the next contact answers it (R10)

    def contacts(self, person: Person, p: Pathway, monday: dt.date, cadence: int) -> None:
        """A request now and then, answered in time by a diligent mentor; and the mentor's own
        contact in the week it falls due (or after), kept when the young person can be reached."""
        rng, app = self.rng, self.app
        diligence = self.diligence.get(p.mentor or "", 0.9)
        if rng.random() < self.p.request_per_week:
            on = max(self.day(monday), p.last_on)
            if self.attempt(app.request, p.case, "a question for the mentor", on=on):
                person.pending_request = person.pending_request or on
                if rng.random() < self.p.request_answered * diligence:
                    self.contact(person, p, on + dt.timedelta(days=rng.randrange(2)), "phone")
        last = person.last_contact or monday
        due = last + dt.timedelta(days=cadence)
        if due >= monday + WEEK:
            return  # not due this week
        if rng.random() < diligence * self.reachable(person):
            usual = monday + dt.timedelta(days=person.contact_day if rng.random() < 0.8 else rng.randrange(5))
            on = min(usual, due) if due >= monday else usual
            on -= dt.timedelta(days=max(0, on.weekday() - 4))  # a school day
            self.contact(person, p, on, rng.choice(["meeting", "meeting", "phone", "sms", "visit"]))

    def reachable(self, person: Person) -> float:
        """The chance the young person answers the mentor this week."""
        return _sigmoid(self.p.contact_reach + self.p.contact_engagement * person.now(self.p.slip_depth))

    def critically_absent(self, person: Person, on: dt.date) -> bool:
        """R11 as of `on` on the unexcused days missed lately (older ones are let go)."""
        recent = on - dt.timedelta(days=WINDOW_DAYS)
        person.absent = [d for d in person.absent if d >= recent]
        if len(person.absent) < FEWEST_CRITICAL:
            return False  # too few days to be critical: spare the calendar
        window = _absence_window(on)
        absent = set(person.absent)
        flags = [d in absent for d in window]
        if sum(flags) > GUIDE.absence_share_above * len(window):
            return True
        run = 0
        for flag in flags:
            run = run + 1 if flag else 0
            if run >= GUIDE.absence_consecutive_days:
                return True
        return False

    def absence(self, person: Person, p: Pathway, monday: dt.date) -> None:
        rng = self.rng
        if person.away_until >= monday:
            return  # still away: the streak recorded last week goes on
        if rng.random() < _sigmoid(self.p.absence_base - self.p.absence_engagement * person.now(self.p.slip_depth)):
            days = 1 + min(int(rng.expovariate(self.p.absence_days)), 9)
            excused = rng.random() < 0.3
            on = max(self.day(monday, rng.randrange(3)), p.last_on)
            missed = school_days_from(on, days)
            person.away_until = missed[-1]
            if self.attempt(self.app.absence, p.case, days, excused, on=on) and not excused:
                person.absent += missed
                person.absent_days += days
                last_day = missed[-1]
                tried = self.p.follow_up * self.diligence.get(p.mentor or "", 0.9)
                if self.critically_absent(person, last_day) and rng.random() < tried * self.reachable(person):
                    self.contact(
                        person, p, add_school_days(last_day, rng.randrange(GUIDE.absence_follow_up_school_days + 1)), "phone"
                    )

    def maybe_hand_over(self, person: Person, p: Pathway, monday: dt.date) -> None:
        if p.mentor and self.rng.random() < self.p.handover_per_week:
            free = [m for m in self.free_mentors() if m != p.mentor]
            if free:
                on = max(self.day(monday), p.last_on)
                if self.attempt(self.app.assign, p.case, self.rng.choice(free), "the mentor changed team", on=on):
                    person.new_mentor_on = on

    def week_in_bridging(self, person: Person, p: Pathway, monday: dt.date) -> None:
        rng, app, P = self.rng, self.app, self.p
        self.contacts(person, p, monday, GUIDE.bridging_contact_days)
        self.absence(person, p, monday)
        self.maybe_hand_over(person, p, monday)
        on = max(self.day(monday), p.last_on)
        weeks = (on - p.entered[BRIDGING]).days // 7
        if person.week in (1, 7, 13):  # assessed at the start, midway and at the end: upskilling shows
            if person.week > 1:
                for subject in ("danish", "maths"):
                    if rng.random() < 0.7 + 0.12 * person.engagement:
                        setattr(person, subject, min(6, getattr(person, subject) + 1))
            for subject in ("danish", "maths"):
                self.attempt(app.assess, p.case, subject, SCALE[getattr(person, subject)], on=on)
        placed = p.placements > 0
        if (
            not placed
            and weeks >= 2
            and rng.random() < P.placement_per_week * math.exp(P.placement_engagement * person.now(P.slip_depth))
        ):
            purpose = rng.choice(["clarify", "pressure-test", "experience"])
            if self.attempt(
                app.start_placement,
                p.case,
                rng.choice(["Carpentry workshop", "Bakery", "Electrician firm", "Care home"]),
                rng.choice(["school", "company"]),
                "Named contact",
                purpose,
                "wants to try it",
                on=on,
            ):
                person.placement_weeks = 0
            return
        flag = GUIDE.bridging_flag_after_weeks
        signals = (
            self.signals(person, on, GUIDE.bridging_contact_days)
            + P.transition_window * (flag - GUIDE.last_weeks_of_bridging <= weeks <= flag)
            + P.long_bridging * (weeks > flag)
            + P.no_taster_placement * (weeks > GUIDE.placement_expected_weeks and not placed)
        )
        admitted = min(person.danish, person.maths) >= ADMITTED
        if self.gives_up(person, signals) or self.hazard(P.bridging_drop, person, signals):
            self.attempt(app.drop_out, p.case, rng.choice(["stopped attending", "lost motivation", "personal problems"]), on=on)
        elif rng.random() < P.bridging_employ * math.exp(0.3 * person.engagement):
            self.attempt(app.employ, p.case, "a local employer", on=on)
        elif rng.random() < P.bridging_withdraw:
            self.attempt(app.withdraw, p.case, rng.choice(["moved", "illness"]), on=on)
        elif (
            weeks >= person.plan_weeks
            and admitted
            and rng.random() < P.start_education * _sigmoid(P.start_engagement * person.now(P.slip_depth))
        ):
            if self.attempt(
                app.start_basic_course, p.case, rng.choice(["Carpenter", "Baker", "Electrician", "Social and health care"]), on=on
            ):
                person.week, person.duration, person.absent_days = 0, rng.randint(*P.basic_weeks), 0
                self.attempt(app.agree_cadence, p.case, rng.choice([14, 14, 21, 28]), on=on)
        elif weeks >= P.bridging_longest:
            self.attempt(app.drop_out, p.case, "no plan after a long bridging", on=on)

    def week_in_taster_placement(self, person: Person, p: Pathway, monday: dt.date) -> None:
        self.contacts(person, p, monday, GUIDE.bridging_contact_days)
        person.placement_weeks += 1
        on = max(self.day(monday), p.last_on)
        if self.gives_up(person, self.signals(person, on, GUIDE.bridging_contact_days)):
            self.attempt(self.app.drop_out, p.case, "stopped turning up at the placement", on=on)
        elif person.placement_weeks >= self.rng.choice([1, 2, 2, 3]):
            self.attempt(self.app.end_placement, p.case, "followed up with the young person and the host", on=on)

    def education_week(self, person: Person, p: Pathway, monday: dt.date) -> int:
        cadence = p.cadence_days or GUIDE.education_contact_days
        self.contacts(person, p, monday, cadence)
        return cadence

    def week_in_basic_course(self, person: Person, p: Pathway, monday: dt.date) -> None:
        P = self.p
        cadence = self.education_week(person, p, monday)
        self.absence(person, p, monday)
        on = max(self.day(monday), p.last_on)
        first = person.week <= GUIDE.first_weeks_of_basic_course
        signals = self.signals(person, on, cadence) + P.transition_window * first
        if self.gives_up(person, signals, P.course_give_up) or self.hazard(P.basic_drop, person, signals):
            self.attempt(self.app.drop_out, p.case, "left the basic course", on=on)
        elif self.rng.random() < P.basic_employ:
            self.attempt(self.app.employ, p.case, "a local employer", on=on)
        elif person.week >= person.duration:
            missed = person.absent_days / (5 * person.week)
            if self.rng.random() < _sigmoid(P.basic_pass - P.basic_pass_absence * missed):
                if self.attempt(self.app.complete_basic_course, p.case, on=on):
                    person.week = 0
            else:
                self.attempt(self.app.drop_out, p.case, "did not complete the basic course", on=on)

    def week_in_awaiting_main_course(self, person: Person, p: Pathway, monday: dt.date) -> None:
        rng, app, P = self.rng, self.app, self.p
        cadence = self.education_week(person, p, monday)
        on = max(self.day(monday), p.last_on)
        signals = self.signals(person, on, cadence) + P.transition_window
        if rng.random() < P.awaiting_apprenticeship * math.exp(0.4 * person.engagement):
            if self.attempt(
                app.secure_apprenticeship, p.case, "Training company", on + dt.timedelta(days=rng.randrange(7, 30)), on=on
            ):
                person.week, person.duration = 0, rng.randint(*P.main_weeks)
                self.schedule_apprenticeship(person)
        elif rng.random() < P.awaiting_main_course:
            if self.attempt(app.start_main_course, p.case, on=on):
                person.week, person.duration = 0, rng.randint(*P.main_weeks)
        elif self.hazard(P.awaiting_drop, person, signals) or self.gives_up(person, signals, P.course_give_up):
            self.attempt(app.drop_out, p.case, "no apprenticeship found", on=on)
        elif rng.random() < P.awaiting_employ:
            self.attempt(app.employ, p.case, "unskilled job", on=on)

    def week_in_main_course(self, person: Person, p: Pathway, monday: dt.date) -> None:
        cadence = self.education_week(person, p, monday)
        on = max(self.day(monday), p.last_on)
        if person.week >= person.duration:
            self.attempt(self.app.qualify, p.case, on=on)
        elif self.rng.random() < 0.02:
            if self.attempt(self.app.secure_apprenticeship, p.case, "Training company", on, on=on):
                self.schedule_apprenticeship(person, weeks_done=person.week)
        elif self.gives_up(person, signals := self.signals(person, on, cadence), self.p.course_give_up) or self.hazard(
            self.p.main_drop, person, signals
        ):
            self.attempt(self.app.drop_out, p.case, "left the main course", on=on)

    def schedule_apprenticeship(self, person: Person, weeks_done: int = 0) -> None:
        """Nothing is recorded during an apprenticeship (the mentor is released), so its end is
        drawn at once, week by week with the same hazards, and the person sleeps until then."""
        person.outcome = "qualify"
        length = max(person.duration - weeks_done, 1)
        trial = GUIDE.apprenticeship_trial_days // 7
        for k in range(1, length + 1):
            if self.hazard(self.p.trial_drop if k <= trial else self.p.apprenticeship_drop, person):
                person.outcome, length = "drop_out", k
                break
        person.wake = self.week + length

    def week_in_apprenticeship(self, person: Person, p: Pathway, monday: dt.date) -> None:
        if not person.wake:  # reached by a path that did not schedule it
            self.schedule_apprenticeship(person)
            return
        on = max(self.day(monday), p.last_on)
        if person.outcome == "qualify":
            self.attempt(self.app.qualify, p.case, on=on)
        else:
            self.attempt(self.app.drop_out, p.case, "the training agreement ended", on=on)
