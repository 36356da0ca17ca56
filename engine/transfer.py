"""Moving a store: the whole event log (every stream, in order, with metadata) and the claims,
as JSON Lines, and back into an empty store.

The first line describes the file; then one line per event, in notification order, with its
stream, version, topic and the exact stored state (JSON text); then one line per claim; from
version 2, a last line holds the SHA-256 of the lines between the first and itself. The state is carried byte for byte, so
histories are identical after a round trip.

Nothing in a file is trusted: before anything is written, every line is decoded against its
event class (`engine.event_types`), every stream's versions run from 1 without a gap, dates
and times are plausible, every aggregate replays, and the application checks its own facts
(`CommandApplication.implausible`). Then the events go in, in one transaction that first
makes sure, under the store's write lock, that the store is still empty.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import types
import typing
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from eventsourcing.persistence import StoredEvent

from brobyg.engine.application import SIMULATED, CommandApplication
from brobyg.engine.errors import AlreadyExists, KeyFileError, TransferError, UntrustedEvent
from brobyg.engine.master_key import MasterKey
from brobyg.engine.personal import FINGERPRINT_CLAIM, data_key_claim, stream_of_claim
from brobyg.engine.text import N_, Text

FORMAT = "brobyg-event-log"
VERSION = 2  # 2: a last line holds the SHA-256 of the lines before it
READABLE = (1, 2)
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # no store holds anything older
CLOCK_SKEW = dt.timedelta(days=1)  # a recorded time may be this far ahead of this machine's clock
MAX_VERSION = 2**31


def export_log(
    app: CommandApplication,
    out: IO[str],
    progress: Callable[[int, int], None] = lambda d, t: None,
    before_writing: Callable[[list[tuple[str, str]]], None] = lambda claims: None,
) -> int:
    """Write the store's log to `out`, page by page, as it stood at one moment (others may go on
    writing meanwhile); returns the number of events. `before_writing` is given that moment's
    claims (key, holder) before the first line is written, and may stop the export by raising."""
    head, claims = _a_moment(app)
    before_writing(claims)
    digest = hashlib.sha256()

    def write(record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        digest.update(line.encode("utf-8"))
        out.write(line)

    out.write(json.dumps({"format": FORMAT, "version": VERSION, "events": head, "claims": len(claims)}) + "\n")
    written, start = 0, 1
    while True:
        page = app.recorder.select_notifications(start=start, limit=5_000, stop=head) if start <= head else []
        if not page:
            break
        for n in page:
            write(
                {
                    "stream": str(n.originator_id),
                    "version": n.originator_version,
                    "topic": n.topic,
                    "state": n.state.decode("utf-8"),
                }
            )
        written += len(page)
        start = page[-1].id + 1
        progress(written, head)
    for key, holder in claims:
        write({"claim": key, "holder": holder})
    out.write(json.dumps({"sha256": digest.hexdigest()}) + "\n")
    return written


def _a_moment(app: CommandApplication) -> tuple[int, list[tuple[str, str]]]:
    """The log's head and the claims as they stood together: a claim is saved with its events,
    so claims that read the same before and after the head was read belong to the events up to it."""
    claims = app.recorder.all_claims()  # type: ignore[attr-defined]
    for _ in range(20):
        head = app.count_events()
        again = app.recorder.all_claims()  # type: ignore[attr-defined]
        if again == claims:
            return head, claims
        claims = again
    raise TransferError(N_("the store changed throughout the export; try again when it is quieter"))


@dataclass
class CheckedLog:
    """A file's events and claims, every one checked; nothing is written yet."""

    events: list[StoredEvent] = field(default_factory=list)
    claims: dict[str, str] = field(default_factory=dict)


def check_log(app: CommandApplication, lines: Iterable[str], source_key: MasterKey | None = None) -> CheckedLog:
    """Read and check a whole exported log; raises `TransferError` naming the first bad line."""
    numbered = _numbered(lines)
    first = next(numbered, None)
    if first is None:
        raise TransferError(Text("the file is empty; it is not a {format} file", format=FORMAT))
    header = _header(*first)
    checker = _Checker(app, source_key)
    digest = hashlib.sha256()
    signed: str | None = None
    for number, text, record in numbered:
        where = Text("line {number}", number=number)
        if signed is not None:
            raise TransferError(Text("{where}: a line after the digest; the file was changed", where=where))
        if set(record) == {"sha256"} and header["version"] >= 2:
            signed = str(record["sha256"])
            continue
        digest.update(text.encode("utf-8"))
        if set(record) == {"claim", "holder"}:
            checker.claim(where, record)
        elif set(record) == {"stream", "version", "topic", "state"}:
            if checker.log.claims:
                raise TransferError(Text("{where}: an event after the claims; the file's lines are out of order", where=where))
            checker.event(where, record)
        else:
            keys = ", ".join(k if k.isprintable() else repr(k) for k in sorted(record))  # one line, whatever the file holds
            raise TransferError(
                Text("{where}: neither an event nor a claim (keys: {keys})", where=where, keys=keys)
                if keys
                else Text("{where}: neither an event nor a claim (keys: none)", where=where)
            )
    log = checker.finish()
    if (len(log.events), checker.claims_read) != (header["events"], header["claims"]):
        raise TransferError(
            Text(
                "the file announces {events} events and {claims} claims but holds "
                "{held_events} and {held_claims}: it is incomplete, nothing was imported",
                events=header["events"],
                claims=header["claims"],
                held_events=len(log.events),
                held_claims=checker.claims_read,
            )
        )
    if header["version"] >= 2 and signed != digest.hexdigest():
        raise TransferError(
            N_("the file ends without its digest: it is incomplete")
            if signed is None
            else N_("the lines do not match the digest on the last line: the file was changed")
        )
    return log


def import_log(
    app: CommandApplication,
    lines: Iterable[str],
    rehearse: Callable[[CheckedLog], None] = lambda log: None,
    source_key: MasterKey | None = None,
) -> int:
    """Load an exported log into an empty store, all of it or nothing; returns the number of
    events. `rehearse` may try the checked log elsewhere first (the command line builds the
    read models from it in a scratch store)."""
    if app.count_events():  # a quick answer; the insert checks again under the lock
        raise AlreadyExists(Text("{store} already holds events; import only into an empty store", store=app.store.display))
    log = check_log(app, lines, source_key)
    rehearse(log)
    if not app.recorder.insert_into_empty(log.events, log.claims):  # type: ignore[attr-defined]
        raise AlreadyExists(Text("{store} already holds events; import only into an empty store", store=app.store.display))
    return len(log.events)


def _numbered(lines: Iterable[str]) -> Iterator[tuple[int, str, dict[str, Any]]]:
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text, parse_constant=_no_constant)
        except (json.JSONDecodeError, ValueError) as e:
            raise TransferError(
                Text("line {number} is not JSON: {problem}", number=number, problem=str(getattr(e, "msg", e)))
            ) from None
        except RecursionError:
            raise TransferError(Text("line {number} is nested too deeply to be an event or a claim", number=number)) from None
        if not isinstance(record, dict):
            raise TransferError(Text("line {number} is not a JSON object", number=number))
        yield number, text if text.endswith("\n") else text + "\n", record


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def _header(number: int, text: str, record: dict[str, Any]) -> dict[str, Any]:
    version = record.get("version")
    if record.get("format") != FORMAT or not _is_int(version) or version not in READABLE:
        raise TransferError(
            Text(
                "not a {format} file of version {versions} (line {number} says what the file is)",
                format=FORMAT,
                versions=" or ".join(map(str, READABLE)),
                number=number,
            )
        )
    for key in ("events", "claims"):
        if not _is_int(record.get(key)) or record[key] < 0:
            raise TransferError(Text("line {number}: {key!r} is not a count", number=number, key=key))
    return record


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Checker:
    """Follows the file's events stream by stream, as the store would replay them.

    The lines are checked for shape as they are read; their states are opened once the claims
    (the file's data keys, after the events) have been read, with the master key that wrapped
    them: the store's own, or the source store's given by `source_key`."""

    def __init__(self, app: CommandApplication, source_key: MasterKey | None = None) -> None:
        self.app = app
        self.source_key = source_key
        self.log = CheckedLog()
        self.lines: list[tuple[str, StoredEvent]] = []
        self.claims_read = 0
        self.aggregates: dict[uuid.UUID, Any] = {}
        self.now = dt.datetime.now(dt.UTC)
        self.first_ahead: Text | None = None  # the first event recorded after now: only a simulated store has one

    def event(self, where: str, record: dict[str, Any]) -> None:
        self.lines.append((where, self._stored(where, record)))

    def _follow(self, where: str, stored: StoredEvent) -> None:
        try:
            event = self.app.mapper.to_domain_event(stored)
        except UntrustedEvent as e:
            raise TransferError(Text("{where}: {problem}", where=where, problem=e.args[0] if e.args else str(e))) from None
        except Exception as e:  # whatever the decoding met: the line is what is wrong
            raise TransferError(
                Text(
                    "{where}: the state of a {topic} event does not decode ({problem})",
                    where=where,
                    topic=stored.topic,
                    problem=_one_line(e),
                )
            ) from None
        _check_class_version(where, stored, type(event))
        _check_fields(where, event)
        self._check_times(where, event)
        before = self.aggregates.get(stored.originator_id)
        expected = 1 if before is None else before.version + 1
        if stored.originator_version != expected:
            raise TransferError(
                Text(
                    "{where}: stream {stream} version {version} where version {expected} is due",
                    where=where,
                    stream=stored.originator_id,
                    version=stored.originator_version,
                    expected=expected,
                )
            )
        creates = "originator_topic" in vars(event)
        if creates != (before is None):
            raise TransferError(
                Text("{where}: a {event} event cannot start a stream", where=where, event=type(event).__qualname__)
                if before is None
                else Text("{where}: a {event} event cannot continue a stream", where=where, event=type(event).__qualname__)
            )
        problem = self.app.implausible(before, event)
        if problem:
            raise TransferError(Text("{where}: {problem}", where=where, problem=problem))
        try:
            self.aggregates[stored.originator_id] = event.mutate(before)
        except Exception as e:  # an event the aggregate cannot take is a bad line, not a crash
            raise TransferError(
                Text(
                    "{where}: a {event} event cannot be applied ({problem})",
                    where=where,
                    event=type(event).__qualname__,
                    problem=_one_line(e),
                )
            ) from None
        self.log.events.append(stored)

    def claim(self, where: str, record: dict[str, Any]) -> None:
        key, holder = record["claim"], record["holder"]
        if not (isinstance(key, str) and key and isinstance(holder, str) and holder):
            raise TransferError(Text("{where}: a claim needs a key and a holder", where=where))
        if key in self.log.claims:
            raise TransferError(Text("{where}: the claim {key} is held twice", where=where, key=key))
        self.log.claims[key] = holder
        self.claims_read += 1

    def finish(self) -> CheckedLog:
        file_claims = self.log.claims
        data_keys, fingerprint = self._data_keys(file_claims)
        source = self.source_key or self.app.personal.master
        if fingerprint is not None and fingerprint != source.fingerprint:
            raise TransferError(
                Text(
                    "the file's personal data is sealed under master key {fingerprint}, not {ours} "
                    "({path}); give the source store's key file with --key-file",
                    fingerprint=fingerprint,
                    ours=source.fingerprint,
                    path=source.path,
                )
            )
        try:
            with self.app.personal.borrowing(data_keys, source):
                for where, stored in self.lines:
                    self._follow(where, stored)
        except KeyFileError as e:
            raise TransferError(e.args[0] if e.args else str(e)) from None
        if self.first_ahead and file_claims.get(SIMULATED[0]) != SIMULATED[1]:
            raise TransferError(self.first_ahead)
        domain_claims = {k: v for k, v in file_claims.items() if stream_of_claim(k) is None and k != FINGERPRINT_CLAIM}
        aggregates = list(self.aggregates.values())
        problem = self.app.implausible_log(domain_claims, aggregates, source.person_secret if fingerprint else None)
        if problem:
            raise TransferError(problem)
        # Written as this store keeps them: data keys wrapped by its master key, person claims
        # keyed by its secret.
        target = self.app.personal.master
        claims = self.app.rekeyed_claims(domain_claims, aggregates)
        for stream, wrapped in data_keys.items():
            claim = data_key_claim(stream)
            claims[claim] = (
                wrapped if source.fingerprint == target.fingerprint else target.wrap(source.unwrap(wrapped, stream), stream)
            )
        if data_keys:
            claims[FINGERPRINT_CLAIM] = target.fingerprint
        self.log.claims = claims
        return self.log

    def _data_keys(self, claims: dict[str, str]) -> tuple[dict[uuid.UUID, str], str | None]:
        """The file's wrapped data keys by stream, each for a stream of the file, and the
        fingerprint of the master key that wrapped them."""
        streams = {stored.originator_id for _, stored in self.lines}
        keys: dict[uuid.UUID, str] = {}
        for key, holder in claims.items():
            stream = stream_of_claim(key)
            if stream is None:
                continue
            if stream not in streams:
                raise TransferError(Text("the claim {key} is a data key for no stream in the file", key=key))
            keys[stream] = holder
        fingerprint = claims.get(FINGERPRINT_CLAIM)
        if keys and fingerprint is None:
            raise TransferError(N_("the file holds data keys but does not say which master key wrapped them"))
        return keys, fingerprint

    def _stored(self, where: str, record: dict[str, Any]) -> StoredEvent:
        stream, version, topic, state = record["stream"], record["version"], record["topic"], record["state"]
        if not isinstance(stream, str):
            raise TransferError(Text("{where}: the stream is not a UUID", where=where))
        try:
            originator_id = uuid.UUID(stream)
        except ValueError:
            raise TransferError(Text("{where}: the stream {stream!r} is not a UUID", where=where, stream=stream)) from None
        if not _is_int(version) or not 1 <= version <= MAX_VERSION:
            raise TransferError(
                Text("{where}: the version {version!r} is not a whole number from 1", where=where, version=version)
            )
        if not isinstance(topic, str) or not isinstance(state, str):
            raise TransferError(Text("{where}: the topic and the state are text", where=where))
        return StoredEvent(originator_id, version, topic, state.encode("utf-8"))

    def _check_times(self, where: str, event: Any) -> None:
        recorded: dt.datetime = event.timestamp
        if recorded.tzinfo is None or recorded < EARLIEST:
            raise TransferError(
                Text(
                    "{where}: recorded at {recorded}, before {earliest}",
                    where=where,
                    recorded=recorded.isoformat(),
                    earliest=EARLIEST.date(),
                )
            )
        if recorded > self.now + CLOCK_SKEW and self.first_ahead is None:
            self.first_ahead = Text(
                "{where}: recorded at {recorded}, after the real time; only a simulated store runs ahead of it (R13)",
                where=where,
                recorded=recorded.isoformat(),
            )
        on: dt.date = event.on
        if not EARLIEST.date() <= on <= (recorded + CLOCK_SKEW).date():
            raise TransferError(
                Text(
                    "{where}: effective {on}, after it was recorded ({recorded}) or before {earliest}",
                    where=where,
                    on=on,
                    recorded=recorded.date(),
                    earliest=EARLIEST.date(),
                )
            )


def _check_class_version(where: str, stored: StoredEvent, cls: type) -> None:
    """A stored shape is one the event class knows: from 1 up to its class version (an unknown
    one would skip the upcasters)."""
    given = json.loads(stored.state).get("class_version", 1)
    if not _is_int(given) or not 1 <= given <= getattr(cls, "class_version", 1):
        raise TransferError(
            Text(
                "{where}: class version {given!r} of a {event} event is not one brobyg wrote",
                where=where,
                given=given,
                event=cls.__qualname__,
            )
        )


# Text fields hold what the command line accepts: a line or a note, never control characters.
MAX_TEXT = 2_000
ONE_LINE = {"actor", "login", "person", "case", "mentor", "name", "kind", "from_mentor", "to_mentor", "kui_contact"}


def _check_text(where: str, name: str, value: object) -> None:
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise TransferError(
                Text(
                    "{where}: {name} is {length} characters long; at most {most}",
                    where=where,
                    name=name,
                    length=len(value),
                    most=MAX_TEXT,
                )
            )
        allowed = "\t" if name in ONE_LINE else "\t\n"
        if any(ord(ch) < 32 and ch not in allowed for ch in value) or "\x7f" in value:
            raise TransferError(Text("{where}: {name} contains control characters", where=where, name=name))


def _check_fields(where: str, event: Any) -> None:
    """The decoded state has exactly the event class's fields, each of its declared type."""
    hints = {k: v for k, v in typing.get_type_hints(type(event)).items() if typing.get_origin(v) is not typing.ClassVar}
    hints.pop("originator_id", None)  # set by the mapper from the line's stream
    state = vars(event)
    missing, extra = set(hints) - set(state), set(state) - set(hints) - {"originator_id"}
    if missing or extra:
        parts = [
            *([Text("missing {fields}", fields=sorted(missing))] if missing else []),
            *([Text("unknown {fields}", fields=sorted(extra))] if extra else []),
        ]
        what = parts[0] if len(parts) == 1 else Text("{before}; {after}", before=parts[0], after=parts[1])
        raise TransferError(
            Text(
                "{where}: a {event} event with the wrong fields ({what})", where=where, event=type(event).__qualname__, what=what
            )
        )
    erased = getattr(type(event), "PERSONAL_DATES", ())  # sealed with a key the file lacks: read as None
    for name, hint in hints.items():
        if not _has_type(state[name], hint) and not (name in erased and state[name] is None):
            value = f"{state[name]!r:.80}"
            raise TransferError(
                Text(
                    "{where}: {name} = {value} is not a {type}",
                    where=where,
                    name=name,
                    value=value,
                    type=_type_name(hint),
                )
            )
        _check_text(where, name, state[name])
    if not state["actor"].strip():
        raise TransferError(Text("{where}: no actor", where=where))


def _has_type(value: object, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_has_type(value, option) for option in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is not None:  # dict[str, int], list[str]: the container's type, then its items
        if not isinstance(value, origin):
            return False
        args = typing.get_args(hint)
        if origin is dict:
            return all(_has_type(k, args[0]) and _has_type(v, args[1]) for k, v in value.items())  # type: ignore[attr-defined]
        return all(_has_type(v, args[0]) for v in value)  # type: ignore[attr-defined]
    if hint is int:  # every count, grade or number of days fits 32 bits, as the stores' columns do
        return _is_int(value) and -(2**31) <= value < 2**31  # type: ignore[operator]
    if hint is dt.date:
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    return isinstance(value, hint)


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint)


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split())[:200] or type(e).__name__
