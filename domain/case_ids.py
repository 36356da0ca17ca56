"""Keys: case ids a person can type (short, unambiguous, never derived from the person),
and the digest a person's pathway is claimed under."""

from __future__ import annotations

import datetime as dt
import hashlib
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


def person_key(person: str, born: dt.date) -> str:
    """The key a young person's pathway is claimed under: a digest of the reference (folded
    for case and spaces) and the birth date, so the reference itself is never a key."""
    normalised = " ".join(person.split()).casefold()
    return "person:" + hashlib.sha256(f"{normalised}|{born.isoformat()}".encode()).hexdigest()
