"""Personal fields encrypted under a key of each person's own (crypto-shredding).

An event class names its personal fields (``PERSONAL``). When such an event is stored, each of
those fields is sealed with AES-256-GCM under the data key of the event's stream (one pathway,
one person), bound to its stream and field name; when it is read, it is opened again. Data keys
live in the store, as claims ``datakey:<stream>``, each wrapped by the master key; the master
key is a file outside the store (`engine.master_key`). Destroying a data key (erasure) leaves
the events, their order and every non-personal field as they were, and the personal fields
read as `ERASED`.

A data key is made with the first event that needs one and saved as a claim in that event's
transaction, so a key exists exactly when its events do. Stored fields in clear (a store
written before encryption) are read as they are.

A read model that must hold a personal value (the person, to find a case by name) holds it
sealed too (`seal_for_view`) under the same data key, deterministically (its nonce derived from
the value): a rebuild writes the same bytes, and an erasure makes them unreadable with the events.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from brobyg.engine.errors import KeyFileError, UntrustedEvent
from brobyg.engine.master_key import MasterKey
from brobyg.engine.text import Text

ERASED = "[erased]"  # what an erased personal text reads as; an erased date reads as None
SEALED = "aes256gcm"  # the one key of a sealed field's stored form: {"aes256gcm": base64(nonce + ciphertext)}
DATA_KEY_PREFIX = "datakey:"
FINGERPRINT_CLAIM = "store:master-key"  # which master key wraps the store's data keys
NONCE = 12
CIPHERS_KEPT = 4_096  # ciphers made from unwrapped data keys, kept for reuse (a new one costs about 1 µs)


def data_key_claim(stream: UUID) -> str:
    return DATA_KEY_PREFIX + stream.hex


def stream_of_claim(key: str) -> UUID | None:
    if not key.startswith(DATA_KEY_PREFIX):
        return None
    try:
        return UUID(hex=key[len(DATA_KEY_PREFIX) :])
    except ValueError:
        return None


def is_sealed(value: object) -> bool:
    return isinstance(value, dict) and set(value) == {SEALED} and isinstance(value[SEALED], str)


class PersonalData:
    """The data keys of one store, unwrapped as they are needed, and sealing and opening with them.

    `lookup` reads claims from the store (keys → holders); `master` gives the master key, loaded
    on first use. Keys made for a save are pending until that save is known to have committed.
    """

    def __init__(self, lookup: Callable[[list[str]], dict[str, str]], load_master: Callable[[bool], MasterKey]) -> None:
        self._lookup = lookup
        self._load_master = load_master  # given whether it may create the key file
        self._master: MasterKey | None = None
        self._raw: dict[UUID, bytes] = {}  # saved data keys, unwrapped (and pending ones)
        self._keys: dict[UUID, AESGCM] = {}  # ciphers of those used so far (each costs a key schedule)
        self._nonce_keys: dict[UUID, bytes] = {}  # `seal_for_view`'s, derived from the data keys
        self._absent: set[UUID] = set()  # streams the last prefetch found no key for (erased)
        self._pending: dict[UUID, tuple[AESGCM, str]] = {}  # made for a save not yet committed
        self._borrowed: dict[UUID, AESGCM] | None = None  # keys of a file being checked (import)
        self._store_has_fingerprint = False

    # --- the store's master key -------------------------------------------------------

    @property
    def master(self) -> MasterKey:
        """Our master key, checked against the store's: made on first use only for a store that
        has none yet."""
        if self._master is None:
            self._check(self._lookup([FINGERPRINT_CLAIM]).get(FINGERPRINT_CLAIM))
        assert self._master is not None
        return self._master

    def _check(self, held: str | None) -> None:
        """Load our master key and check it against `held`, the store's fingerprint (None: the
        store has none yet, and ours may be made)."""
        master = self._load_master(held is None)
        if held is not None and held != master.fingerprint:
            raise KeyFileError(
                Text(
                    "the master key {path} ({fingerprint}) is not this store's ({held}); "
                    "set BROBYG_KEY_FILE to the key file the store was written with; nothing was read or written",
                    path=master.path,
                    fingerprint=master.fingerprint,
                    held=held,
                )
            )
        self._master, self._store_has_fingerprint = master, held is not None

    def check_master(self) -> None:
        """Refuse at once if the store's data keys are wrapped by another master key than ours (or
        ours is missing); a store without data keys needs none yet. The store's fingerprint is
        asked once: the key checked here is the one `master` gives later."""
        if self._master is not None:
            return
        held = self._lookup([FINGERPRINT_CLAIM]).get(FINGERPRINT_CLAIM)
        if held is not None:
            self._check(held)

    # --- data keys ---------------------------------------------------------------------

    def claims_for(self, aggregates: Iterable[Any]) -> dict[str, str]:
        """The claims a save must carry for these aggregates' pending events: a new wrapped data
        key for each stream that gets personal data and has none yet, and the store's master-key
        fingerprint with the first one."""
        claims: dict[str, str] = {}
        for aggregate in aggregates:
            events = aggregate.pending_events
            if not any(_personal_values(e) for e in events):
                continue
            stream = aggregate.id
            if stream in self._raw or stream in self._pending:
                continue
            created = events[0].originator_version == 1
            if not created and self._load([stream]).get(stream) is not None:
                continue
            raw = AESGCM.generate_key(bit_length=256)
            wrapped = self.master.wrap(raw, stream)
            self._pending[stream] = (AESGCM(raw), wrapped)
            self._raw[stream] = raw
            self._absent.discard(stream)
            claims[data_key_claim(stream)] = wrapped
        if claims and not self._store_has_fingerprint:
            claims[FINGERPRINT_CLAIM] = self.master.fingerprint
        return claims

    def saved(self, committed: bool) -> None:
        """After a save: its new keys are the store's (committed) or never were."""
        if committed:
            if len(self._keys) >= CIPHERS_KEPT:
                self._keys.clear()
            self._keys.update({stream: key for stream, (key, _) in self._pending.items()})
            self._store_has_fingerprint = self._store_has_fingerprint or bool(self._pending)
        else:
            self._master = None  # another writer may have been first: look at the store again
            for stream in self._pending:
                self._raw.pop(stream, None)
                self._nonce_keys.pop(stream, None)
        self._pending.clear()

    @staticmethod
    def data_key_claim(stream: UUID) -> str:
        return data_key_claim(stream)

    def forget(self, stream: UUID) -> None:
        """Drop a stream's key from memory (it has been erased)."""
        self._keys.pop(stream, None)
        self._raw.pop(stream, None)
        self._nonce_keys.pop(stream, None)

    def prefetch(self, streams: Iterable[UUID]) -> None:
        """Unwrap the keys of many streams with one read (a page of a catch-up)."""
        if self._borrowed is not None:  # opening a file: its own keys are all there is
            return
        missing = [s for s in set(streams) if s not in self._raw]
        self._absent = set()
        if missing:
            self._absent = {s for s, key in self._load(missing).items() if key is None}

    def _key(self, stream: UUID) -> AESGCM | None:
        if self._borrowed is not None:
            return self._borrowed.get(stream)
        if stream in self._pending:
            return self._pending[stream][0]
        key = self._keys.get(stream)
        if key is None:
            raw = self._raw.get(stream)
            if raw is None:
                raw = self._load([stream])[stream]
            if raw is not None:
                if len(self._keys) >= CIPHERS_KEPT:  # ~2.6 KB each: a simulation of 100,000 would keep 260 MB
                    self._keys.clear()
                self._keys[stream] = key = AESGCM(raw)
        return key

    def _load(self, streams: list[UUID]) -> dict[UUID, bytes | None]:
        found = self._lookup([data_key_claim(s) for s in streams])
        loaded: dict[UUID, bytes | None] = {}
        for stream in streams:
            wrapped = found.get(data_key_claim(stream))
            loaded[stream] = raw = None if wrapped is None else self.master.unwrap(wrapped, stream)
            if raw is not None:
                self._raw[stream] = raw
        return loaded

    @contextmanager
    def borrowing(self, wrapped_keys: Mapping[UUID, str], master: MasterKey) -> Iterator[None]:
        """Open events with keys from elsewhere (a file being imported), wrapped by `master`."""
        raws = {stream: master.unwrap(wrapped, stream) for stream, wrapped in wrapped_keys.items()}
        self._borrowed = {stream: AESGCM(raw) for stream, raw in raws.items()}
        saved = self._raw, self._nonce_keys
        self._raw, self._nonce_keys = raws, {}
        try:
            yield
        finally:
            self._borrowed = None
            self._raw, self._nonce_keys = saved

    # --- sealing and opening -----------------------------------------------------------

    def seal(self, event: Any, state: dict[str, Any]) -> None:
        """Replace the event's personal values in its state (to be stored) by sealed ones."""
        values = _personal_values(event)
        if not values:
            return
        stream: UUID = event.originator_id
        key = self._key(stream)
        if key is None:
            raise KeyFileError(Text("no data key for stream {stream}: its personal data cannot be written", stream=stream))
        for name, value in values.items():
            text = value.isoformat() if isinstance(value, dt.date) else value
            nonce = os.urandom(NONCE)
            sealed = key.encrypt(nonce, text.encode("utf-8"), _context(stream, event.originator_version, type(event), name))
            state[name] = {SEALED: base64.b64encode(nonce + sealed).decode("ascii")}

    def open(self, event_class: type, stream: UUID, version: int, state: dict[str, Any]) -> None:
        """Replace sealed values in a stored event's state by what they hold, or by `ERASED`."""
        for name in getattr(event_class, "PERSONAL", ()):
            value = state.get(name)
            if not is_sealed(value):
                continue  # in clear (written before encryption), or None
            key = self._key(stream)
            if key is None:
                state[name] = None if name in getattr(event_class, "PERSONAL_DATES", ()) else ERASED
                continue
            try:
                blob = base64.b64decode(value[SEALED], validate=True)
                text = key.decrypt(blob[:NONCE], blob[NONCE:], _context(stream, version, event_class, name)).decode("utf-8")
            except (InvalidTag, ValueError) as e:
                raise UntrustedEvent(
                    Text(
                        "stream {stream}: the sealed {name} does not open with its key ({problem})",
                        stream=stream,
                        name=name,
                        problem=type(e).__name__,
                    )
                ) from None
            state[name] = dt.date.fromisoformat(text) if name in getattr(event_class, "PERSONAL_DATES", ()) else text

    # --- sealed copies for read models -----------------------------------------------------

    def seal_for_view(self, stream: UUID, field: str, value: str) -> bytes | None:
        """`value` sealed for a read model under the stream's data key, or None if the stream
        has no data key (erased, or written before encryption).

        Deterministic, so a rebuilt read model holds byte for byte the rows it held: the nonce
        is an HMAC of the stream, field and value under a key derived from the data key
        (synthetic, as in SIV), so one nonce never seals two values; the events' nonces are
        random, and 96 bits apart from these. Erasing the data key makes it unreadable too."""
        key = self._view_key(stream)
        if key is None:
            return None
        nonces = self._nonce_keys.get(stream)
        if nonces is None:
            self._nonce_keys[stream] = nonces = hmac.digest(self._raw[stream], b"brobyg view nonces", "sha256")
        data = value.encode("utf-8")
        context = _view_context(stream, field)
        nonce = hmac.digest(nonces, context + b"\x00" + data, "sha256")[:NONCE]
        return nonce + key.encrypt(nonce, data, context)

    def open_for_view(self, stream: UUID, field: str, sealed: bytes | None) -> str:
        """What `seal_for_view` sealed, or `ERASED` if it cannot be read any more (no value, or
        the data key is gone)."""
        key = None if sealed is None else self._view_key(stream)
        if key is None or sealed is None:
            return ERASED
        try:
            return key.decrypt(sealed[:NONCE], sealed[NONCE:], _view_context(stream, field)).decode("utf-8")
        except (InvalidTag, ValueError) as e:
            raise UntrustedEvent(
                Text(
                    "stream {stream}: the read model's sealed {field} does not open ({problem})",
                    stream=stream,
                    field=field,
                    problem=type(e).__name__,
                )
            ) from None

    def _view_key(self, stream: UUID) -> AESGCM | None:
        """The stream's data key, without asking the store again about a stream the last
        prefetch found none for (an erased person's, read model after read model)."""
        if stream in self._absent and stream not in self._pending:
            return None
        return self._key(stream)


def _view_context(stream: UUID, name: str) -> bytes:
    return stream.bytes + b"view:" + name.encode("ascii")


def _personal_values(event: Any) -> dict[str, Any]:
    state = vars(event)
    return {name: state[name] for name in getattr(type(event), "PERSONAL", ()) if state.get(name) is not None}


def _context(stream: UUID, version: int, event_class: type, name: str) -> bytes:
    """Associated data: a sealed value opens only in its own stream, event (number and type)
    and field, so it cannot be moved to another event of the same person."""
    return b"|".join((stream.bytes, str(version).encode(), event_class.TOPIC.encode(), name.encode("ascii")))
