"""A simulated municipality: mentors, two partnerships and young people whose pathways are
lived week by week through the application service, so every step meets the same rules a
coordinator meets (a refused step is simply not taken).

The model is small and explicit. Each young person has an engagement (a latent normal
value); it and the same signals the risk view uses (critical absence, missed contact, no
taster placement, long bridging, the transitions) move the weekly chances of dropping out.
`Parameters` holds every number; the defaults reproduce the evaluation's participant
figures about four years after the start (see bench/README.md).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from brobyg.domain.application import Brobyg
from brobyg.domain.pathway import Pathway
from brobyg.domain.terms import ADMISSION_GRADE, GRADES, OUTCOME_STATES
from brobyg.engine.errors import Refused
from brobyg.projections.policy import DEFAULT as DEFAULT_POLICY
from brobyg.projections.policy import load_policy

SCALE = sorted(GRADES.values())  # -3, 0, 2, 4, 7, 10, 12


@dataclass(frozen=True)
class Parameters:
    """Weekly chances; multiplied by exp(...) of the person's engagement and risk signals."""

    contact_kept: float = 0.88  # a mentor's weekly contact during bridging
    request_per_week: float = 0.10
    request_answered: float = 0.85  # answered the same or the next day
    absence_base: float = -2.3  # logit of an unexcused absence streak starting in a week
    placement_per_week: float = 0.22
    bridging_drop: float = 0.016
    bridging_employ: float = 0.026
    bridging_withdraw: float = 0.002
    start_education: float = 0.17  # weekly, from week 8 when the admission requirements are met
    basic_weeks: tuple[int, int] = (20, 32)
    basic_drop_first_weeks: float = 0.028
    basic_drop: float = 0.008
    basic_employ: float = 0.005
    awaiting_apprenticeship: float = 0.14
    awaiting_main_course: float = 0.03
    awaiting_drop: float = 0.004
    awaiting_employ: float = 0.015
    main_weeks: tuple[int, int] = (90, 130)
    trial_drop: float = 0.005
    main_drop: float = 0.0008
    handover_per_week: float = 0.004
    risk_weight: float = 0.55  # how much each risk signal raises the dropout hazard (log scale)
    engagement_weight: float = 0.6


@dataclass
class Person:
    case: str
    engagement: float
    danish: int  # index into SCALE
    maths: int
    week: int = 0  # weeks in the current state
    duration: int = 0  # planned weeks for a course
    placement_weeks: int = 0
    pending_request: dt.date | None = None
    missed: int = 0  # weeks in a row without contact
    absent_recently: int = 0  # weeks since the last absence streak (0 = this week)
    wake: int = 0  # the week an apprenticeship ends (qualified or dropped out); asleep until then
    outcome: str = ""


@dataclass
class Result:
    pathways: int
    events: int
    refused: int
    cases: list[str] = field(default_factory=list)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# The guide's numbers (R10, R12) as the shipped policy has them: a simulation does not follow BROBYG_POLICY.
GUIDE = load_policy(DEFAULT_POLICY)


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

    # --- the loop -----------------------------------------------------------------------

    def run(self, progress: Callable[[int, int], None] = lambda done, total: None, flush_every: int = 20_000) -> Result:
        app = self.app
        with app.batch(flush_every) as batch:
            for m in self.mentors:
                app.add_mentor(m, f"Mentor {m[-3:]}", self.kinds[m], 20, on=self.start)
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
                    if state in OUTCOME_STATES:
                        ended.append(person.case)
                for case in ended:
                    del self.people[case]
                batch.forget(Pathway.id_for(c) for c in ended)
                progress(referred, self.n)
            saved = batch
        return Result(self.n, saved.saved_events + saved.pending, self.refused)

    def day(self, monday: dt.date, weekday: int | None = None) -> dt.date:
        d = monday + dt.timedelta(days=self.rng.randrange(5) if weekday is None else weekday)
        return min(d, self.today)

    def attempt(self, command: Callable[..., Pathway], *args: object, **kwargs: object) -> bool:
        try:
            command(*args, **kwargs)
        except Refused:
            self.refused += 1
            return False
        return True

    # --- referral ----------------------------------------------------------------------------

    def refer(self, monday: dt.date, number: int) -> None:
        rng, on = self.rng, self.day(monday, 0)
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
            kui = rng.choice([m for m in self.mentors if self.kinds[m] == "kui"])
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
        self.people[p.case] = Person(p.case, engagement, level(), max(0, level() - 1))

    # --- a week in a pathway ----------------------------------------------------------------

    def step(self, person: Person, monday: dt.date, week: int) -> str:
        if person.wake > week:
            return "apprenticeship"  # nothing to record until the apprenticeship ends (see schedule_apprenticeship)
        p = self.app.pathway(person.case)
        if monday > self.today:
            return p.state
        person.week += 1
        handler = getattr(self, f"week_in_{p.state}", None)
        if handler is not None:
            handler(person, p, monday)
        return p.state  # the batch's own copy: the commands above changed it in place

    def hazard(self, base: float, person: Person, signals: int = 0) -> bool:
        rate = base * math.exp(self.p.risk_weight * signals - self.p.engagement_weight * person.engagement)
        return self.rng.random() < rate

    def week_in_referred(self, person: Person, p: Pathway, monday: dt.date) -> None:
        if p.mentor is None:
            self.assign(person, p, self.day(monday, 1))
            return
        if self.rng.random() < 0.02:
            self.attempt(self.app.withdraw, p.case, "moved before bridging started", on=self.day(monday))
            return
        self.attempt(self.app.start_bridging, p.case, "Vocational school", on=self.day(monday, 0))
        person.week = 0

    def assign(self, person: Person, p: Pathway, on: dt.date) -> None:
        expected = p.kui_contact if p.kui_contact and (on - p.born).days < 25 * 365.25 else None
        candidates = [m for m in self.mentors if self.app.mentor(m).load < self.app.mentor(m).capacity]
        if not candidates:
            return  # nobody free: the young person waits (and the risk list shows it)
        if expected in candidates:
            self.attempt(self.app.assign, p.case, expected, on=on)
            return
        labs = [m for m in candidates if self.kinds[m] == "lab"]
        chosen = min(labs or candidates, key=lambda m: self.app.mentor(m).load)
        reason = "the KUI contact is at capacity" if expected else (None if self.kinds[chosen] == "lab" else "no LAB mentor free")
        self.attempt(self.app.assign, p.case, chosen, reason, on=on)

    def contacts(self, person: Person, p: Pathway, monday: dt.date, chance: float) -> None:
        rng, app = self.rng, self.app
        if person.pending_request is not None and rng.random() < self.p.request_answered:
            on = max(person.pending_request, self.day(monday))
            if (on - person.pending_request).days > 1:
                on = min(person.pending_request + dt.timedelta(days=1), self.today)
            self.attempt(app.contact, p.case, "phone", on=max(on, p.last_on))
            person.pending_request, person.missed = None, 0
        elif rng.random() < chance * self.diligence.get(p.mentor or "", 0.9):
            self.attempt(
                app.contact,
                p.case,
                rng.choice(["meeting", "meeting", "phone", "sms", "visit"]),
                on=max(self.day(monday), p.last_on),
            )
            person.missed = 0
        else:
            person.missed += 1
        if rng.random() < self.p.request_per_week:
            on = max(self.day(monday), p.last_on)
            if self.attempt(app.request, p.case, "a question for the mentor", on=on):
                person.pending_request = on

    def absence(self, person: Person, p: Pathway, monday: dt.date, scale: float = 1.0) -> None:
        person.absent_recently += 1
        if self.rng.random() < scale * _sigmoid(self.p.absence_base - 0.9 * person.engagement):
            days = 1 + min(int(self.rng.expovariate(0.7)), 6)
            excused = self.rng.random() < 0.3
            on = max(self.day(monday, self.rng.randrange(3)), p.last_on)
            if self.attempt(self.app.absence, p.case, days, excused, on=on) and not excused:
                person.absent_recently = 0

    def maybe_hand_over(self, p: Pathway, monday: dt.date) -> None:
        if p.mentor and self.rng.random() < self.p.handover_per_week:
            free = [m for m in self.mentors if m != p.mentor and self.app.mentor(m).load < self.app.mentor(m).capacity]
            if free:
                on = max(self.day(monday), p.last_on)
                self.attempt(self.app.assign, p.case, self.rng.choice(free), "the mentor changed team", on=on)

    def week_in_bridging(self, person: Person, p: Pathway, monday: dt.date) -> None:
        rng, app = self.rng, self.app
        self.contacts(person, p, monday, self.p.contact_kept)
        self.absence(person, p, monday)
        self.maybe_hand_over(p, monday)
        if person.week in (1, 4, 7, 10, 13):  # assessments improve with upskilling
            if person.week > 1:
                for subject in ("danish", "maths"):
                    if rng.random() < 0.45 + 0.12 * person.engagement:
                        setattr(person, subject, min(6, getattr(person, subject) + 1))
            for subject in ("danish", "maths"):
                self.attempt(app.assess, p.case, subject, SCALE[getattr(person, subject)], on=max(self.day(monday), p.last_on))
        weeks = person.week
        placed = p.placements > 0
        if not placed and weeks >= 2 and rng.random() < self.p.placement_per_week * math.exp(0.3 * person.engagement):
            on = max(self.day(monday), p.last_on)
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
        signals = (
            (person.absent_recently < 2)
            + (person.missed >= 2)
            + (weeks > GUIDE.placement_expected_weeks and not placed)
            + (weeks >= 10)
            + (weeks > GUIDE.bridging_flag_after_weeks)
        )
        admitted = min(person.danish, person.maths) >= SCALE.index(ADMISSION_GRADE)
        on = max(self.day(monday), p.last_on)
        if self.hazard(self.p.bridging_drop, person, signals):
            self.attempt(app.drop_out, p.case, rng.choice(["stopped attending", "lost motivation", "personal problems"]), on=on)
        elif rng.random() < self.p.bridging_employ * math.exp(0.3 * person.engagement):
            self.attempt(app.employ, p.case, "a local employer", on=on)
        elif rng.random() < self.p.bridging_withdraw:
            self.attempt(app.withdraw, p.case, rng.choice(["moved", "illness"]), on=on)
        elif weeks >= 8 and admitted and rng.random() < self.p.start_education * math.exp(0.5 * person.engagement):
            if self.attempt(
                app.start_basic_course, p.case, rng.choice(["Carpenter", "Baker", "Electrician", "Social and health care"]), on=on
            ):
                person.week, person.duration = 0, rng.randint(*self.p.basic_weeks)
                self.attempt(app.agree_cadence, p.case, rng.choice([14, 14, 21, 28]), on=on)
        elif weeks > 20:
            self.attempt(app.drop_out, p.case, "no plan after a long bridging", on=on)

    def week_in_taster_placement(self, person: Person, p: Pathway, monday: dt.date) -> None:
        self.contacts(person, p, monday, self.p.contact_kept)
        person.placement_weeks += 1
        if person.placement_weeks >= self.rng.choice([1, 2, 2, 3]):
            on = max(self.day(monday), p.last_on)
            self.attempt(self.app.end_placement, p.case, "followed up with the young person and the host", on=on)

    def education_week(self, person: Person, p: Pathway, monday: dt.date) -> None:
        cadence = p.cadence_days or GUIDE.education_contact_days
        self.contacts(person, p, monday, min(1.0, 7 / cadence) * 0.95)

    def week_in_basic_course(self, person: Person, p: Pathway, monday: dt.date) -> None:
        self.education_week(person, p, monday)
        self.absence(person, p, monday, 0.6)
        on = max(self.day(monday), p.last_on)
        first = person.week <= 4
        signals = (person.absent_recently < 2) + first + (person.missed >= 3)
        if self.hazard(self.p.basic_drop_first_weeks if first else self.p.basic_drop, person, signals):
            self.attempt(self.app.drop_out, p.case, "left the basic course", on=on)
        elif self.rng.random() < self.p.basic_employ:
            self.attempt(self.app.employ, p.case, "a local employer", on=on)
        elif person.week >= person.duration and self.attempt(self.app.complete_basic_course, p.case, on=on):
            person.week = 0

    def week_in_awaiting_main_course(self, person: Person, p: Pathway, monday: dt.date) -> None:
        rng, app = self.rng, self.app
        self.education_week(person, p, monday)
        on = max(self.day(monday), p.last_on)
        if rng.random() < self.p.awaiting_apprenticeship * math.exp(0.4 * person.engagement):
            if self.attempt(
                app.secure_apprenticeship, p.case, "Training company", on + dt.timedelta(days=rng.randrange(7, 30)), on=on
            ):
                person.week, person.duration = 0, rng.randint(*self.p.main_weeks)
                self.schedule_apprenticeship(person)
        elif rng.random() < self.p.awaiting_main_course:
            if self.attempt(app.start_main_course, p.case, on=on):
                person.week, person.duration = 0, rng.randint(*self.p.main_weeks)
        elif self.hazard(self.p.awaiting_drop, person, 1 + (person.week > 8)):
            self.attempt(app.drop_out, p.case, "no apprenticeship found", on=on)
        elif rng.random() < self.p.awaiting_employ:
            self.attempt(app.employ, p.case, "unskilled job", on=on)

    def week_in_main_course(self, person: Person, p: Pathway, monday: dt.date) -> None:
        self.education_week(person, p, monday)
        on = max(self.day(monday), p.last_on)
        if person.week >= person.duration:
            self.attempt(self.app.qualify, p.case, on=on)
        elif self.rng.random() < 0.02:
            if self.attempt(self.app.secure_apprenticeship, p.case, "Training company", on, on=on):
                self.schedule_apprenticeship(person, weeks_done=person.week)
        elif self.hazard(self.p.main_drop, person):
            self.attempt(self.app.drop_out, p.case, "left the main course", on=on)

    def schedule_apprenticeship(self, person: Person, weeks_done: int = 0) -> None:
        """Nothing is recorded during an apprenticeship (the mentor is released), so its end is
        drawn at once, week by week with the same hazards, and the person sleeps until then."""
        person.outcome = "qualify"
        length = max(person.duration - weeks_done, 1)
        for k in range(1, length + 1):
            if self.hazard(self.p.trial_drop if k <= 13 else self.p.main_drop, person, k <= 13):
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
