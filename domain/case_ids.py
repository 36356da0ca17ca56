"""Case ids a person can type: short, unambiguous, and never derived from the person."""

from __future__ import annotations

import random
import re

# No 0/O, 1/I/L or U: easy to read aloud and to type from a printout.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_CASE = re.compile(rf"^B[{ALPHABET}]{{6}}$")


def new_case_id(rng: random.Random) -> str:
    return "B" + "".join(rng.choice(ALPHABET) for _ in range(6))


def normalise_case_id(text: str) -> str:
    return text.strip().upper()


def is_case_id(text: str) -> bool:
    return bool(_CASE.match(text))
