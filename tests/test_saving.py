"""What a command saves comes back exactly, however it travelled to the store.

On PostgreSQL a save of one event without claims is bound as scalars, any other save as
arrays (`engine.claims_postgres`); both must keep every byte of free text.
"""

from __future__ import annotations

import datetime as dt

from brobyg.domain.queries import history
from tests.helpers import TODAY, make_app

AWKWARD = [
    'O\'Brien said "no"',
    "back\\slash \\x00 and '' and $$ and $body$",
    "nul \x00 inside",
    "æøå ü 🙂 ‮ right-to-left",
    "'); DROP TABLE claims; --",
    "{} {1,2} ARRAY[1] ::bytea",
    "x" * 5000,
]


def test_free_text_survives_every_form_of_save(db_url: str) -> None:
    app = make_app(db_url)
    app.add_mentor("sara", "Sara", "kui", on=TODAY)
    case = app.refer("Ada O'Brien", dt.date(2000, 1, 1), "education-ready", on=TODAY).case  # events and a claim
    app.assign(case, "sara", "planned", on=TODAY)  # two aggregates, two events
    for text in AWKWARD:
        app.request(case, text, on=TODAY)  # one event, no claims
    before = app.count_events()

    fresh = make_app(db_url)  # nothing cached: every event read back from the store
    saved = [entry.fields["text"] for entry in history(fresh, case) if entry.event == "RequestRecorded"]
    assert saved == [text.strip() for text in AWKWARD]
    assert fresh.pathway(case).mentor == "sara"
    assert fresh.count_events() == before
