"""What is not there, said once: by the application on loading an aggregate, and by the read
models where a reading command looks a mentor up without replaying their stream."""

from __future__ import annotations

from brobyg.engine.errors import NotFound
from brobyg.engine.text import Text


def no_case(case: str) -> NotFound:
    return NotFound(Text("no case {case!r} (brobyg refer … prints the case id)", case=case))


def no_mentor(mentor: str) -> NotFound:
    return NotFound(Text("no mentor {mentor!r} (brobyg mentor add {mentor} --name … --kind …)", mentor=mentor))
