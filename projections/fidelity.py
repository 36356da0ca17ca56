"""Fidelity: the guide's "Test praksis hos jer selv" questions that the event log can answer,
as measured shares; and the ones it cannot."""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from brobyg.domain.terms import BASIC_COURSE, BRIDGING, BRIDGING_STATES, EDUCATION_STATES
from brobyg.engine.text import N_
from brobyg.projections.counts import nonzero
from brobyg.projections.indicators import absence_follow_up_due, critical_absence_starts, request_due
from brobyg.projections.policy import Policy
from brobyg.projections.timeline import Timeline

# Each measure's short name as people read it (English: the key with spaces), for a chart's bars.
# The measure's own sentence (`measure`) is marked where it is made; the guide's question
# (`question`) and NOT_ANSWERABLE are the guide's Danish, in both languages.
MEASURE_NAMES = {
    "one_mentor": N_("one mentor"),
    "weekly_contact": N_("weekly contact"),
    "requests_answered": N_("requests answered"),
    "same_mentor": N_("same mentor"),
    "placements_planned": N_("placements planned"),
    "absence_followed_up": N_("absence followed up"),
    "cadence_agreed": N_("cadence agreed"),
    "occupancy": N_("occupancy"),
}


def _measure(key: str, question: str, measure: str, hits: int, of: int, people: int) -> dict[str, Any]:
    """`people`: how many young people the counts are about (weeks, requests and place-weeks are theirs)."""
    return {
        "key": key,
        "question": question,
        "measure": measure,
        "numerator": hits,
        "denominator": of,
        "share": round(hits / of, 4) if of else None,
        "pathways": people,
    }


@dataclass(frozen=True)
class Part:
    """What the report needs of one pathway as of a day: its counts for each measure."""

    bridged: bool  # started bridging
    one_mentor: bool  # and no handover
    weeks: int  # full weeks of bridging
    weeks_with_contact: int
    requests_due: int  # requests whose 24 hours have passed
    requests_answered: int
    basic_course_starts: int
    mentor_continued: int
    placements: int  # ended taster placements
    placements_complete: int
    absence_episodes: int  # episodes of critical absence
    absence_followed_up: int
    educated: bool  # in education
    cadence_agreed: bool

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))  # flat: what `dataclasses.asdict` gives, without its recursion

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Part:
        return cls(**d)


@dataclass
class Tally:
    """The parts of a group of pathways added up: each count's total, and how many young
    people have any of it. Kept per month of referral for the settled pathways
    (`projections.settled`); a part taken out again is subtracted."""

    totals: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    agreed: int = 0  # in education with a cadence agreed

    def add(self, p: Part, by: int = 1) -> None:
        totals, people = self.totals, self.people
        for name, value in vars(p).items():
            totals[name] = totals.get(name, 0) + int(value) * by
            if value:
                people[name] = people.get(name, 0) + by
        self.agreed += by if p.educated and p.cadence_agreed else 0

    def merge(self, other: Tally) -> None:
        for mine, theirs in ((self.totals, other.totals), (self.people, other.people)):
            for name, n in theirs.items():
                mine[name] = mine.get(name, 0) + n
        self.agreed += other.agreed

    def to_json(self) -> dict[str, Any]:
        return {"totals": nonzero(self.totals), "people": nonzero(self.people), "agreed": self.agreed}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Tally:
        return cls(dict(d["totals"]), dict(d["people"]), d["agreed"])


def part(t: Timeline, on: dt.date, policy: Policy) -> Part:
    bridged = any(x.state == BRIDGING and x.on <= on for x in t.transitions)

    # A contact from a day to its deadline (R10's answer, R11's follow-up), found by bisection in
    # the pathway's contacts, as `indicators.request_answered_in_time` and
    # `absence_followed_up` decide it one by one.
    every_contact = sorted(c.on for c in t.contacts)

    # Weekly contact during bridging: each full week of bridging has a contact. The weeks a
    # contact falls in are counted, not each week looked through for one.
    weeks = weeks_with_contact = 0
    if bridged:
        contacts = every_contact[: bisect.bisect_right(every_contact, on)]
        for state, entered, left in t.spells(on):
            if state not in BRIDGING_STATES:
                continue
            full = max(0, ((left or on) - entered).days // 7)
            weeks += full
            first = bisect.bisect_left(contacts, entered)
            last = bisect.bisect_left(contacts, entered + dt.timedelta(days=7 * full))
            weeks_with_contact += len({(day - entered).days // 7 for day in contacts[first:last]})

    def contacted(day: dt.date, due: dt.date) -> bool:
        first = bisect.bisect_left(every_contact, day)
        return first < len(every_contact) and every_contact[first] <= due

    # Requests answered within 24 hours, once the 24 hours have passed.
    due = [r.on for r in t.requests if (on - r.on).days > policy.request_answer_days]

    # The education mentor continues as retention mentor.
    started = [x for x in t.transitions if x.state == BASIC_COURSE and x.on <= on]
    continued = 0
    for start in started:
        same_day = [c for c in t.mentor_changes if c.on == start.on and c.seq > start.seq]
        before, after = t.mentor_after(start.seq), (same_day[-1].mentor if same_day else t.mentor_after(start.seq))
        continued += before is not None and before == after

    # Placements with a purpose, a named contact person, the young person's wish and a follow-up.
    ended = [
        (first, then)
        for first, then in itertools.pairwise([x for x in t.placements if x.on <= on])
        if first.kind == "start" and then.kind == "end"
    ]
    complete = sum(bool(a.purpose and a.contact_named and a.wish_given and b.follow_up_given) for a, b in ended)

    # Critical absence followed up by a contact within 2 school days.
    episodes = critical_absence_starts(t, on, policy)

    return Part(
        bridged=bridged,
        one_mentor=bridged and not any(c.kind == "handover" and c.on <= on for c in t.mentor_changes),
        weeks=weeks,
        weeks_with_contact=weeks_with_contact,
        requests_due=len(due),
        requests_answered=sum(1 for day in due if contacted(day, request_due(day, policy))),
        basic_course_starts=len(started),
        mentor_continued=continued,
        placements=len(ended),
        placements_complete=complete,
        absence_episodes=len(episodes),
        absence_followed_up=sum(1 for day in episodes if contacted(day, absence_follow_up_due(day, policy))),
        educated=t.state_on(on) in EDUCATION_STATES,
        cadence_agreed=any(c.on <= on for c in t.cadences),
    )


def carried(p: Part, bridging_since: dt.date | None, held_from: dt.date, on: dt.date) -> Part:
    """A part worked out as of `held_from` carried to `on` (a later day with no fact between):
    only the full weeks of a bridging place held since `bridging_since` grow; a week with a
    contact, an answered request or a followed-up absence would be a fact (`active.parts_from`)."""
    if bridging_since is None:
        return p
    grown = (on - bridging_since).days // 7 - (held_from - bridging_since).days // 7
    return dataclasses.replace(p, weeks=p.weeks + grown)


def fidelity(timelines: dict[str, Timeline], on: dt.date, policy: Policy, capacity_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The report from the pathways' facts as of `on`; `capacity_rows` is the capacity report for
    the same date (occupancy against committed places)."""
    return fidelity_of([part(t, on, policy) for t in timelines.values()], on, capacity_rows)


def fidelity_of(
    parts: list[Part], on: dt.date, capacity_rows: list[dict[str, Any]], tallies: Iterable[Tally] = ()
) -> dict[str, Any]:
    """The report from each pathway's part as of `on`, and from the tallies of pathways settled by then."""
    tally = Tally()
    for other in tallies:
        tally.merge(other)
    for p in parts:
        tally.add(p)

    def total(name: str) -> int:
        return tally.totals.get(name, 0)

    def people(name: str) -> int:  # the young people with any of it
        return tally.people.get(name, 0)

    bridged = people("bridged")
    educated = people("educated")
    agreed = tally.agreed

    # Occupancy against committed places, over every partnership week so far.
    occupied = sum(w["occupied"] for row in capacity_rows for w in row["by_week"])
    committed = sum(row["weeks"] * row["places"] for row in capacity_rows)

    measures = [
        _measure(
            "one_mentor",
            "Er den primære kontaktperson den røde tråd i forløbet, dvs. er med i den unges forløb fra start til slut?",
            N_("pathways that started bridging with one mentor throughout (no handover)"),
            people("one_mentor"),
            bridged,
            bridged,
        ),
        _measure(
            "weekly_contact",
            "Har den primære kontaktperson en sagsstamme, der muliggør en tæt dialog, ugentlige møder med den unge …?",
            N_("full weeks of bridging with at least one mentor contact"),
            total("weeks_with_contact"),
            total("weeks"),
            people("weeks"),
        ),
        _measure(
            "requests_answered",
            "… og respons inden for 24 timer ved behov?",
            N_("requests answered by a contact within 24 hours"),
            total("requests_answered"),
            total("requests_due"),
            people("requests_due"),
        ),
        _measure(
            "same_mentor",
            "Fortsætter uddannelsesmentoren i sin rolle som fastholdelsesmentor, så den unge undgår \u201dbrud\u201d i relationen?",
            N_("basic course starts where the education mentor continued as retention mentor"),
            total("mentor_continued"),
            total("basic_course_starts"),
            people("basic_course_starts"),
        ),
        _measure(
            "placements_planned",
            "Har I sammen med den unge aftalt et formål med praktikken …? Sikrer I en fast kontaktperson …? Har I en klar aftale om opfølgning?",
            N_("ended taster placements with purpose, contact person, the young person's wish and a follow-up"),
            total("placements_complete"),
            total("placements"),
            people("placements"),
        ),
        _measure(
            "absence_followed_up",
            "Har I en konkret ansvarsfordeling mellem fagprofessionelle i forhold til, hvordan I håndterer fravær?",
            N_("episodes of critical absence followed up by a contact within 2 school days"),
            total("absence_followed_up"),
            total("absence_episodes"),
            people("absence_episodes"),
        ),
        _measure(
            "cadence_agreed",
            "Har I aftalt med den unge, hvordan og hvor ofte I skal have kontakt, når den unge starter på uddannelse?",
            N_("pathways in education with a recorded contact cadence"),
            agreed,
            educated,
            educated,
        ),
        _measure(
            "occupancy",
            "Indgå en forpligtende aftale om et fast antal brobygningspladser.",
            N_("occupied place-weeks against committed place-weeks"),
            occupied,
            committed,
            sum(row["pathways"] for row in capacity_rows),  # the young people who held the places
        ),
    ]
    return {"as_of": on, "measures": measures, "not_answerable": NOT_ANSWERABLE}


NOT_ANSWERABLE = [
    "Kerneelement 1: placering af lokaler, omgang med skolens øvrige elever, fast skema, om de unge oplever at gå på skolen",
    "Kerneelement 2: undervisningsformer, praksisnær undervisning, inddragelse af de unge, fokus på adgangskrav i undervisningen",
    "Kerneelement 3: om praktikaftaler afspejler de unges ønsker (ønsket registreres, ikke om aftalen matcher), dækning af praktikmuligheder, arbejdsgang for hurtig opstart",
    "Kerneelement 4: om dialogen tager udgangspunkt i den unges drømme, ressourcer og progression",
    "Kerneelement 5: om mentorerne er tilgængelige, når den unge har behov",
    "Spor 3A: samarbejdskontraktens indhold (lokaler, ledelsesmodel, visitation, pris), styregruppe, deling af succeshistorier",
    "Spor 3B: kontorfællesskab, samtaler på skolen, ugentlig arbejdsgruppe, beskrevet ansvarsfordeling",
]
