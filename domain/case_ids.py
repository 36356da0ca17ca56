"""Keys: case ids a person can type (short, unambiguous, never derived from the person),
and the digest a person's pathway is claimed under."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random
import re
import unicodedata

# No 0/O, 1/I/L or U: easy to read aloud and to type from a printout.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_CASE = re.compile(rf"^B[{ALPHABET}]{{6}}$")


def new_case_id(rng: random.Random) -> str:
    return "B" + "".join(rng.choice(ALPHABET) for _ in range(6))


def normalise_case_id(text: str) -> str:
    return text.strip().upper()


def is_case_id(text: str) -> bool:
    return bool(_CASE.match(text))


# Characters that print as nothing: typed or pasted into a name, they must not make it another name.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"))


def clean_person(person: str) -> str:
    """A person reference as stored and shown: composed (NFC), without invisible characters,
    single spaces, no spaces at the ends."""
    return " ".join(unicodedata.normalize("NFC", person).translate(_INVISIBLE).split())


def person_spelling(person: str) -> str:
    """One spelling for every way of typing the same reference: compatibility-composed (NFKC),
    case-folded, without invisible characters, single spaces. `Åse Øberg` typed composed or
    decomposed, in capitals, or with a zero-width space is one person."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", person).casefold())
    return " ".join(folded.translate(_INVISIBLE).split())


PERSON_PREFIX = "person:"


def person_key(person: str, born: dt.date, secret: bytes | None) -> str:
    """The key a young person's pathway is claimed under: a keyed digest (HMAC-SHA-256, the key
    derived from the store's master key) of the reference's one spelling and the birth date, so
    neither can be recovered from it by trying every date or name. (`secret` None: the unkeyed
    digest of a store written before encryption, read from its files only.)"""
    text = f"{person_spelling(person)}|{born.isoformat()}".encode()
    digest = hashlib.sha256(text) if secret is None else hmac.new(secret, text, hashlib.sha256)
    return PERSON_PREFIX + digest.hexdigest()
