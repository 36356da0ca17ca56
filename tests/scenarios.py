"""Small scenario builders: a young person brought to a given point of the model."""

from __future__ import annotations

import datetime as dt

from brobyg.domain.application import Brobyg
from brobyg.domain.pathway import Pathway

D = dt.date


def mentors(app: Brobyg) -> None:
    app.add_mentor("sara", "Sara Holm", "kui", on=D(2026, 1, 5))
    app.add_mentor("peter", "Peter Lund", "lab", on=D(2026, 1, 5))


BORN = D(2004, 3, 2)  # 22 in the autumn of 2026: under 25, so the KUI contact is the expected mentor


def referred(app: Brobyg, born: dt.date = BORN, kui_contact: str | None = "sara", person: str = "Jens") -> Pathway:
    return app.refer(person, born, "education-ready", kui_contact=kui_contact, on=D(2026, 9, 1))


def bridging(app: Brobyg, person: str = "Jens") -> Pathway:
    p = referred(app, person=person)
    app.assign(p.case, "sara", on=D(2026, 9, 2))
    return app.start_bridging(p.case, school="Tech College", on=D(2026, 9, 3))


def admitted(app: Brobyg, person: str = "Jens") -> Pathway:
    """In bridging with 02 or better in Danish and maths."""
    p = bridging(app, person)
    app.assess(p.case, "danish", 4, on=D(2026, 9, 20))
    return app.assess(p.case, "maths", 2, on=D(2026, 9, 20))


def basic_course(app: Brobyg, person: str = "Jens") -> Pathway:
    p = admitted(app, person)
    return app.start_basic_course(p.case, "Carpenter", on=D(2026, 10, 1))


def awaiting_main_course(app: Brobyg, person: str = "Jens") -> Pathway:
    p = basic_course(app, person)
    return app.complete_basic_course(p.case, on=D(2026, 11, 1))
