"""The words of the model, as the guide names them (English in code, Danish in comments)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

# States of a pathway (forløb).
NEW = "new"  # before the referral: the machine's initial pseudo-state
REFERRED = "referred"  # visiteret
BRIDGING = "bridging"  # brobygningsforløb
TASTER_PLACEMENT = "taster_placement"  # snusepraktik
BASIC_COURSE = "basic_course"  # grundforløb
AWAITING_MAIN_COURSE = "awaiting_main_course"
MAIN_COURSE = "main_course"  # hovedforløb
APPRENTICESHIP = "apprenticeship"  # ordinær praktikplads / uddannelsesaftale
QUALIFIED = "qualified"
EMPLOYED = "employed"
DROPPED_OUT = "dropped_out"
WITHDRAWN = "withdrawn"

ACTIVE_STATES = (
    REFERRED,
    BRIDGING,
    TASTER_PLACEMENT,
    BASIC_COURSE,
    AWAITING_MAIN_COURSE,
    MAIN_COURSE,
    APPRENTICESHIP,
)
OUTCOME_STATES = (QUALIFIED, EMPLOYED, DROPPED_OUT, WITHDRAWN)
ALL_STATES = (NEW, *ACTIVE_STATES, *OUTCOME_STATES)

# Bridging at the school, with or without a taster placement (brobygningsforløb).
BRIDGING_STATES = (BRIDGING, TASTER_PLACEMENT)
# In vocational education, until an apprenticeship is secured.
EDUCATION_STATES = (BASIC_COURSE, AWAITING_MAIN_COURSE, MAIN_COURSE)
# Education started: the basic course or any state after it.
EDUCATION_OR_LATER = (*EDUCATION_STATES, APPRENTICESHIP, QUALIFIED)

# The mentor is an education mentor (uddannelsesmentor) until education starts, then the
# same person continues as retention mentor (fastholdelsesmentor).
EDUCATION_MENTOR_STATES = (REFERRED, *BRIDGING_STATES)
RETENTION_MENTOR_STATES = EDUCATION_STATES
EDUCATION_MENTOR = "education"
RETENTION_MENTOR = "retention"
# Absence is counted on school days: bridging at the school, and the courses.
SCHOOL_STATES = (BRIDGING, TASTER_PLACEMENT, BASIC_COURSE, MAIN_COURSE)

EDUCATION_READY = "education-ready"  # uddannelsesparat
ACTIVITY_READY = "activity-ready"  # aktivitetsparat
READINESS = (EDUCATION_READY, ACTIVITY_READY)

KUI = "kui"  # KUI-kontaktperson
LAB = "lab"  # LAB-mentor
MENTOR_KINDS = (KUI, LAB)
REFERRAL_CHANNELS = (KUI, "jobcentre")

DANISH = "danish"
MATHS = "maths"
SUBJECTS = (DANISH, MATHS)

HOST_KINDS = ("school", "company")
PLACEMENT_PURPOSES = ("clarify", "pressure-test", "experience")  # afklare, trykprøve, erfaring
CONTACT_CHANNELS = ("meeting", "phone", "sms", "visit")

# The Danish 7-point scale, as written on certificates.
GRADES = {"-3": -3, "00": 0, "02": 2, "4": 4, "7": 7, "10": 10, "12": 12}
ADMISSION_GRADE = 2  # at least 02 in Danish and maths (adgangskrav)

AGE_MIN, AGE_MAX = 18, 29
KUI_AGE_LIMIT = 25  # KUI covers young people under 25
DEFAULT_CAPACITY = 20  # sagsstamme: active pathways per mentor


def mentor_role(state: str) -> str:
    """The mentor's role in a state: education mentor before education, retention mentor from it (R6)."""
    return EDUCATION_MENTOR if state in EDUCATION_MENTOR_STATES else RETENTION_MENTOR


def grade_text(grade: int) -> str:
    return next(text for text, value in GRADES.items() if value == grade)


def age_on(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def referral_channel(born: dt.date, on: dt.date) -> str:
    """Who refers by default: KUI for the under-25s, otherwise the jobcentre (R1)."""
    return KUI if age_on(born, on) < KUI_AGE_LIMIT else "jobcentre"


def valid_grades(assessments: Iterable[tuple[dt.date, int, str, int]]) -> dict[str, int]:
    """Each subject's valid grade: the latest assessment by effective date (then by when it was
    recorded) that was not voided (R15), from (on, no, subject, grade) in any order."""
    latest: dict[str, tuple[dt.date, int, int]] = {}
    for on, no, subject, grade in assessments:
        if subject not in latest or (on, no) > latest[subject][:2]:
            latest[subject] = (on, no, grade)
    return {subject: grade for subject, (_, _, grade) in latest.items()}
