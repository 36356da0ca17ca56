"""Each rule of the guide: one scenario where it refuses (naming its id, writing nothing)
and one where it allows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from brobyg.domain.application import Brobyg
from brobyg.domain.queries import history
from brobyg.engine.errors import InvalidInput, Refused
from tests.scenarios import D, admitted, awaiting_main_course, basic_course, bridging, mentors, referred


def refused(app: Brobyg, command: Callable[..., Any], *args: Any, **kwargs: Any) -> Refused:
    """Run a command that must be refused; check that nothing was written."""
    before = app.count_events()
    with pytest.raises(Refused) as caught:
        command(*args, **kwargs)
    assert app.count_events() == before, "a refused command wrote events"
    assert "\n" not in str(caught.value)
    return caught.value


@pytest.fixture
def staffed(app: Brobyg) -> Brobyg:
    mentors(app)
    return app


# --- R1 Eligibility -----------------------------------------------------------------


def test_r1_refuses_someone_over_29(staffed: Brobyg) -> None:
    r = refused(staffed, staffed.refer, "Ole", D(1995, 1, 1), "education-ready", on=D(2026, 9, 1))
    assert r.rules == ["R1"] and "is 31" in str(r)


def test_r1_refuses_someone_under_18(staffed: Brobyg) -> None:
    r = refused(staffed, staffed.refer, "Ole", D(2009, 1, 1), "education-ready", on=D(2026, 9, 1))
    assert r.rules == ["R1"] and "is 17" in str(r)


def test_r1_age_counts_on_the_referral_date(staffed: Brobyg) -> None:
    # 30 today, but 29 on the referral date: eligible.
    p = staffed.refer("Ole", D(1996, 10, 1), "education-ready", on=D(2026, 9, 1))
    assert p.state == "referred"


def test_r1_refuses_activity_ready_without_justification(staffed: Brobyg) -> None:
    r = refused(staffed, staffed.refer, "Ole", D(1998, 1, 1), "activity-ready", on=D(2026, 9, 1))
    assert r.rules == ["R1"] and "justification" in str(r)


def test_r1_allows_activity_ready_with_justification(staffed: Brobyg) -> None:
    p = staffed.refer("Ole", D(1998, 1, 1), "activity-ready", justification="among the strongest", on=D(2026, 9, 1))
    assert (p.state, p.readiness, p.justification) == ("referred", "activity-ready", "among the strongest")


def test_r1_under_25_comes_through_kui(staffed: Brobyg) -> None:
    r = refused(staffed, staffed.refer, "Ole", D(2004, 1, 1), "education-ready", via="jobcentre", on=D(2026, 9, 1))
    assert r.rules == ["R1"] and "KUI" in str(r)
    assert staffed.refer("Ole", D(2004, 1, 1), "education-ready", on=D(2026, 9, 1)).via == "kui"


def test_r1_one_active_pathway_per_person(staffed: Brobyg) -> None:
    first = referred(staffed, person="Jens Hansen")
    r = refused(staffed, staffed.refer, "  jens   HANSEN ", D(2004, 3, 2), "education-ready", on=D(2026, 9, 2))
    assert r.rules == ["R1"] and first.case in str(r)


def test_r1_a_person_keeps_one_pathway_and_is_re_referred_into_it(staffed: Brobyg) -> None:
    first = referred(staffed, person="Jens")
    staffed.withdraw(first.case, "moved", on=D(2026, 9, 5))
    r = refused(staffed, staffed.refer, "Jens", D(2004, 3, 2), "education-ready", on=D(2026, 9, 6))
    assert r.rules == ["R1"] and f"re-refer {first.case}" in str(r)
    assert staffed.re_refer(first.case, on=D(2026, 9, 6)).episode == 2


def test_r1_the_same_name_with_another_birth_date_is_another_person(staffed: Brobyg) -> None:
    first = referred(staffed, person="Jens")
    other = staffed.refer("Jens", D(2001, 7, 7), "education-ready", on=D(2026, 9, 1))
    assert other.case != first.case


def test_r1_holds_when_two_coordinators_refer_the_same_person_at_once(db_url: str) -> None:
    from tests.helpers import make_app

    first, second = make_app(db_url, seed=1), make_app(db_url, seed=2)
    real_holder = second.holder
    calls = 0

    def not_yet_referred(key: str) -> str | None:  # what the second saw before the first saved
        nonlocal calls
        calls += 1
        return None if calls == 1 else real_holder(key)

    second.holder = not_yet_referred  # type: ignore[method-assign]
    p = first.refer("Jens", D(2004, 3, 2), "education-ready", on=D(2026, 9, 1))
    before = second.count_events()
    with pytest.raises(Refused) as caught:
        second.refer("Jens", D(2004, 3, 2), "education-ready", on=D(2026, 9, 1))
    assert caught.value.rules == ["R1"] and p.case in str(caught.value)  # the claim collided; the retry saw it
    assert second.count_events() == before
    first.close()
    second.close()


def test_r1_is_checked_again_on_re_referral(staffed: Brobyg) -> None:
    p = staffed.refer("Ole", D(1996, 10, 15), "education-ready", on=D(2026, 1, 5))  # 29
    staffed.drop_out(p.case, "stopped coming", on=D(2026, 1, 6))
    r = refused(staffed, staffed.re_refer, p.case, on=D(2026, 11, 1))  # 30 by now
    assert r.rules == ["R1"] and "is 30" in str(r)


def test_re_referral_starts_a_new_episode(staffed: Brobyg) -> None:
    p = bridging(staffed)
    staffed.drop_out(p.case, "stopped coming", on=D(2026, 9, 10))
    again = staffed.re_refer(p.case, on=D(2026, 10, 1))
    assert (again.state, again.episode, again.mentor, again.case) == ("referred", 2, None, p.case)
    assert staffed.mentor("sara").cases == []


# --- R2 One primary contact ----------------------------------------------------------


def test_r2_bridging_needs_an_education_mentor(staffed: Brobyg) -> None:
    p = referred(staffed)
    assert refused(staffed, staffed.start_bridging, p.case, on=D(2026, 9, 2)).rules == ["R2"]


def test_r2_allows_bridging_with_a_mentor(staffed: Brobyg) -> None:
    p = bridging(staffed)
    assert (p.state, p.mentor, p.mentor_role) == ("bridging", "sara", "education")


def test_r2_no_release_without_a_successor_during_bridging(staffed: Brobyg) -> None:
    p = bridging(staffed)
    assert refused(staffed, staffed.release, p.case, "too busy", on=D(2026, 9, 4)).rules == ["R2"]


def test_r2_a_mentor_can_be_released_before_bridging(staffed: Brobyg) -> None:
    p = referred(staffed)
    staffed.assign(p.case, "sara", on=D(2026, 9, 2))
    assert staffed.release(p.case, "assigned by mistake", on=D(2026, 9, 2)).mentor is None
    assert staffed.mentor("sara").cases == []


# --- R3 The right mentor ---------------------------------------------------------------


def test_r3_the_kui_contact_is_the_expected_mentor(staffed: Brobyg) -> None:
    p = referred(staffed, kui_contact="sara")
    r = refused(staffed, staffed.assign, p.case, "peter", on=D(2026, 9, 2))
    assert r.rules == ["R3"] and "sara" in str(r)


def test_r3_someone_else_with_a_reason(staffed: Brobyg) -> None:
    p = referred(staffed, kui_contact="sara")
    assert staffed.assign(p.case, "peter", reason="Sara is on leave", on=D(2026, 9, 2)).mentor == "peter"


def test_r3_otherwise_a_lab_mentor(staffed: Brobyg) -> None:
    p = staffed.refer("Ole", D(1999, 1, 1), "education-ready", on=D(2026, 9, 1))  # 27: no KUI
    assert refused(staffed, staffed.assign, p.case, "sara", on=D(2026, 9, 2)).rules == ["R3"]
    assert staffed.assign(p.case, "peter", on=D(2026, 9, 2)).mentor_role == "education"


def test_r3_a_handover_always_needs_a_reason(staffed: Brobyg) -> None:
    p = bridging(staffed)
    assert refused(staffed, staffed.assign, p.case, "peter", on=D(2026, 9, 10)).rules == ["R3"]
    handed = staffed.assign(p.case, "peter", reason="Sara moves to another team", on=D(2026, 9, 10))
    assert handed.mentor == "peter"
    assert (staffed.mentor("sara").cases, staffed.mentor("peter").cases) == ([], [p.case])
    last = history(staffed, p.case)[-1]
    assert (last.event, last.fields) == (
        "MentorHandedOver",
        {"from_mentor": "sara", "to_mentor": "peter", "reason": "Sara moves to another team"},
    )


def test_r3_the_kui_contact_must_be_a_kui_person(staffed: Brobyg) -> None:
    r = refused(staffed, staffed.refer, "Ole", D(2004, 1, 1), "education-ready", kui_contact="peter", on=D(2026, 9, 1))
    assert r.rules == ["R3"]


# --- R4 Caseload cap -----------------------------------------------------------------------


def test_r4_refuses_beyond_capacity_with_the_current_load(staffed: Brobyg) -> None:
    staffed.add_mentor("mia", "Mia", "lab", capacity=2, on=D(2026, 1, 5))
    cases = [staffed.refer(f"P{i}", D(1999, 1, 1), "education-ready", on=D(2026, 9, 1)).case for i in range(3)]
    for case in cases[:2]:
        staffed.assign(case, "mia", on=D(2026, 9, 2))
    r = refused(staffed, staffed.assign, cases[2], "mia", on=D(2026, 9, 2))
    assert r.rules == ["R4"] and "2 of 2" in str(r)


def test_r4_releasing_a_case_frees_a_place(staffed: Brobyg) -> None:
    staffed.add_mentor("mia", "Mia", "lab", capacity=1, on=D(2026, 1, 5))
    a = staffed.refer("A", D(1999, 1, 1), "education-ready", on=D(2026, 9, 1))
    b = staffed.refer("B", D(1999, 1, 1), "education-ready", on=D(2026, 9, 1))
    staffed.assign(a.case, "mia", on=D(2026, 9, 2))
    staffed.withdraw(a.case, "moved", on=D(2026, 9, 3))
    assert staffed.assign(b.case, "mia", on=D(2026, 9, 4)).mentor == "mia"


def test_r4_holds_when_two_coordinators_take_the_last_place_at_once(db_url: str) -> None:
    from tests.helpers import make_app

    first, second = make_app(db_url, seed=1), make_app(db_url, seed=2)
    first.add_mentor("mia", "Mia", "lab", capacity=1, on=D(2026, 1, 5))
    a = first.refer("A", D(1999, 1, 1), "education-ready", on=D(2026, 9, 1))
    b = first.refer("B", D(1999, 1, 1), "education-ready", on=D(2026, 9, 1))
    # The second coordinator read the mentor before the first saved: a stale copy.
    stale = second.mentor("mia")
    first.assign(a.case, "mia", on=D(2026, 9, 2))
    real_load = second.load

    def load_stale_once(aggregate_id: Any, cls: type) -> Any:
        nonlocal stale
        if stale is not None and aggregate_id == stale.id:
            found, stale = stale, None
            return found
        return real_load(aggregate_id, cls)

    second.load = load_stale_once  # type: ignore[method-assign]
    before = second.count_events()
    with pytest.raises(Refused) as caught:
        second.assign(b.case, "mia", on=D(2026, 9, 2))
    assert caught.value.rules == ["R4"]  # the lost race was retried on fresh state, then refused
    assert second.count_events() == before
    assert second.mentor("mia").cases == [a.case]
    first.close()
    second.close()


# --- R5 Taster placements --------------------------------------------------------------------

PLACEMENT = {"host": "Bageriet", "host_kind": "company", "contact": "Mette", "purpose": "clarify", "wish": "baking"}


def test_r5_only_during_bridging(staffed: Brobyg) -> None:
    p = referred(staffed)
    assert refused(staffed, staffed.start_placement, p.case, **PLACEMENT, on=D(2026, 9, 2)).rules == ["R5"]


def test_r5_one_at_a_time(staffed: Brobyg) -> None:
    p = bridging(staffed)
    staffed.start_placement(p.case, **PLACEMENT, on=D(2026, 9, 4))
    assert refused(staffed, staffed.start_placement, p.case, **PLACEMENT, on=D(2026, 9, 5)).rules == ["R5"]


def test_r5_names_everything_missing(staffed: Brobyg) -> None:
    p = bridging(staffed)
    r = refused(staffed, staffed.start_placement, p.case, **{**PLACEMENT, "contact": " ", "wish": ""}, on=D(2026, 9, 4))
    assert r.rules == ["R5"] and "contact person" in str(r) and "wish" in str(r)


def test_r5_ending_needs_a_follow_up(staffed: Brobyg) -> None:
    p = bridging(staffed)
    staffed.start_placement(p.case, **PLACEMENT, on=D(2026, 9, 4))
    assert refused(staffed, staffed.end_placement, p.case, "", on=D(2026, 9, 10)).rules == ["R5"]
    back = staffed.end_placement(p.case, "liked it; wants a baker's programme", on=D(2026, 9, 10))
    assert (back.state, back.placement, back.placements) == ("bridging", None, 1)


# --- R6 Starting education ----------------------------------------------------------------------


def test_r6_needs_the_admission_requirements(staffed: Brobyg) -> None:
    p = bridging(staffed)
    staffed.assess(p.case, "danish", 4, on=D(2026, 9, 20))
    staffed.assess(p.case, "maths", 0, on=D(2026, 9, 20))
    r = refused(staffed, staffed.start_basic_course, p.case, "Carpenter", on=D(2026, 10, 1))
    assert r.rules == ["R6"] and "maths is 00" in str(r)


def test_r6_the_latest_valid_grade_counts(staffed: Brobyg) -> None:
    p = admitted(staffed)
    staffed.assess(p.case, "maths", -3, on=D(2026, 9, 25))  # a later test: that is the grade now
    r = refused(staffed, staffed.start_basic_course, p.case, "Carpenter", on=D(2026, 10, 1))
    assert r.rules == ["R6"] and "maths is -3" in str(r)
    staffed.void(p.case, staffed.pathway(p.case).version, "typed -3 for 02", on=D(2026, 9, 26))  # R15: a mistake
    assert staffed.start_basic_course(p.case, "Carpenter", on=D(2026, 10, 1)).state == "basic_course"


def test_r6_needs_the_programme(staffed: Brobyg) -> None:
    p = admitted(staffed)
    assert refused(staffed, staffed.start_basic_course, p.case, "  ", on=D(2026, 10, 1)).rules == ["R6"]


def test_r6_the_education_mentor_continues_as_retention_mentor(staffed: Brobyg) -> None:
    p = basic_course(staffed)
    assert (p.state, p.mentor, p.mentor_role, p.programme) == ("basic_course", "sara", "retention", "Carpenter")


def test_r6_another_retention_mentor_is_a_handover_with_a_reason(staffed: Brobyg) -> None:
    p = admitted(staffed)
    r = refused(staffed, staffed.start_basic_course, p.case, "Carpenter", mentor="peter", on=D(2026, 10, 1))
    assert r.rules == ["R6"]
    q = staffed.start_basic_course(p.case, "Carpenter", mentor="peter", reason="Peter covers the school", on=D(2026, 10, 1))
    assert (q.mentor, q.mentor_role) == ("peter", "retention")


# --- R7 Retention --------------------------------------------------------------------------------


def test_r7_the_retention_mentor_stays(staffed: Brobyg) -> None:
    p = basic_course(staffed)
    assert refused(staffed, staffed.release, p.case, "case closed", on=D(2026, 10, 2)).rules == ["R7"]


def test_r7_the_apprenticeship_releases_the_mentor(staffed: Brobyg) -> None:
    p = awaiting_main_course(staffed)
    q = staffed.secure_apprenticeship(p.case, "Tømrer Hansen", D(2027, 1, 1), on=D(2026, 11, 2))
    assert (q.state, q.mentor, q.mentor_role) == ("apprenticeship", None, None)
    assert staffed.mentor("sara").cases == []


def test_r7_an_outcome_releases_the_mentor(staffed: Brobyg) -> None:
    p = basic_course(staffed)
    staffed.drop_out(p.case, "lost motivation", on=D(2026, 10, 20))
    assert staffed.mentor("sara").cases == []


# --- R8 Course order --------------------------------------------------------------------------------


def test_r8_the_basic_course_is_completed_first(staffed: Brobyg) -> None:
    p = basic_course(staffed)
    assert refused(staffed, staffed.start_main_course, p.case, on=D(2026, 10, 5)).rules == ["R8"]
    staffed.complete_basic_course(p.case, on=D(2026, 11, 1))
    assert staffed.start_main_course(p.case, on=D(2026, 11, 5)).state == "main_course"


# --- R9 Apprenticeship ----------------------------------------------------------------------------------


def test_r9_needs_the_employer_and_the_start_date(staffed: Brobyg) -> None:
    p = awaiting_main_course(staffed)
    r = refused(staffed, staffed.secure_apprenticeship, p.case, "", None, on=D(2026, 11, 2))
    assert r.rules == ["R9"] and "employer" in str(r) and "start date" in str(r)


# --- R11 Absence ------------------------------------------------------------------------------------------


def test_r11_absence_counts_school_days(staffed: Brobyg) -> None:
    p = referred(staffed)
    assert refused(staffed, staffed.absence, p.case, 2, on=D(2026, 9, 2)).rules == ["R11"]
    q = bridging(staffed, person="Other")
    staffed.absence(q.case, 2, on=D(2026, 9, 10))
    assert history(staffed, q.case)[-1].fields == {"days": 2, "excused": False}


# --- R13 Time ------------------------------------------------------------------------------------------------


def test_r13_no_date_in_the_future(staffed: Brobyg) -> None:
    p = referred(staffed)
    r = refused(staffed, staffed.contact, p.case, on=D(2026, 11, 27))
    assert "R13" in r.rules


def test_r13_transitions_never_go_backwards_but_facts_may_be_late(staffed: Brobyg) -> None:
    p = bridging(staffed)  # referred 2026-09-01, bridging from 2026-09-03
    r = refused(staffed, staffed.start_basic_course, p.case, "Carpenter", on=D(2026, 9, 2))
    assert "R13" in r.rules and "2026-09-03" in str(r)
    assert staffed.request(p.case, on=D(2026, 9, 2)).last_on == D(2026, 9, 3)  # written up late, within the episode
    r = refused(staffed, staffed.request, p.case, on=D(2026, 8, 31))
    assert r.rules == ["R13"] and "before this episode began (2026-09-01)" in str(r)


def test_r13_every_event_carries_date_time_and_actor(staffed: Brobyg) -> None:
    p = bridging(staffed)
    for entry in history(staffed, p.case):
        assert entry.actor == "tester"
        assert isinstance(entry.on, dt.date) and entry.recorded_at.tzinfo is not None


# --- R0 the workflow table ------------------------------------------------------------------------------------


def test_r0_dropping_out_needs_a_reason(staffed: Brobyg) -> None:
    p = referred(staffed)
    assert refused(staffed, staffed.drop_out, p.case, " ", on=D(2026, 9, 2)).rules == ["R0"]


def test_r0_nothing_is_recorded_on_an_ended_pathway(staffed: Brobyg) -> None:
    p = referred(staffed)
    staffed.employ(p.case, "Netto", on=D(2026, 9, 2))
    assert refused(staffed, staffed.request, p.case, on=D(2026, 9, 3)).rules == ["R0"]
    assert refused(staffed, staffed.qualify, p.case, on=D(2026, 9, 3)).rules == ["R0"]


def test_all_unmet_rules_are_reported_at_once(staffed: Brobyg) -> None:
    p = referred(staffed)
    r = refused(staffed, staffed.start_bridging, p.case, on=D(2027, 1, 1))
    assert r.rules == ["R13", "R2"]


def test_r9_the_agreement_does_not_start_before_the_referral(staffed: Brobyg) -> None:
    p = awaiting_main_course(staffed)
    r = refused(staffed, staffed.secure_apprenticeship, p.case, "Tømrer Hansen", D(2026, 8, 1), on=D(2026, 11, 2))
    assert r.rules == ["R9"]


def test_a_mentor_and_a_partnership_need_names(app: Brobyg) -> None:
    with pytest.raises(InvalidInput):
        app.add_mentor("x", "  ", "lab")
    with pytest.raises(InvalidInput):
        app.add_partnership("p", "Jobcenter", " ", 10)
    assert app.count_events() == 0


def test_r13_nothing_happens_with_a_mentor_before_they_were_added(staffed: Brobyg) -> None:
    staffed.add_mentor("new", "New Mentor", "kui", on=D(2026, 9, 10))
    p = referred(staffed, kui_contact=None)
    r = refused(staffed, staffed.assign, p.case, "new", reason="cover", on=D(2026, 9, 5))
    assert r.rules == ["R13"] and "mentor new was recorded" in str(r)


def test_r13_no_referral_to_a_partnership_before_it_was_recorded(staffed: Brobyg) -> None:
    staffed.add_partnership("p", "Jobcenter", "School", 10, on=D(2026, 10, 1))
    r = refused(staffed, staffed.refer, "Ole", D(1999, 1, 1), "education-ready", partnership="p", on=D(2026, 9, 1))
    assert r.rules == ["R13"]
