"""The master key: one file outside the store that wraps every data key in it.

Whoever holds the store without this file holds no personal data; whoever loses the file loses
the personal data (keep a copy apart from the store's backups). It lives at `BROBYG_KEY_FILE`, by
default in the user's configuration directory, and is created (0600, in a 0700 directory) the
first time a store needs it. Three keys are derived from it, each for one purpose: wrapping data
keys, the duplicate-referral check, and the fingerprint that tells which master key a store uses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from brobyg.engine.errors import KeyFileError
from brobyg.engine.private_files import create_private_file, private_directory
from brobyg.engine.text import Text

ENV = "BROBYG_KEY_FILE"
HEADER = "brobyg-master-key-1"
NONCE = 12


def default_key_file() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("brobyg")) / "master.key"


def key_file_path() -> Path:
    configured = os.environ.get(ENV, "").strip()
    return Path(configured).expanduser() if configured else default_key_file()


@dataclass(frozen=True)
class MasterKey:
    secret: bytes
    path: Path

    @cached_property
    def fingerprint(self) -> str:
        return "mk-" + self._derive(b"fingerprint").hex()[:16]

    @cached_property
    def person_secret(self) -> bytes:
        """The HMAC key of the duplicate-referral check (`domain.case_ids.person_key`)."""
        return self._derive(b"person key")

    @cached_property
    def _wrapping(self) -> AESGCM:
        return AESGCM(self._derive(b"wrap data keys"))

    def _derive(self, purpose: bytes) -> bytes:
        return hmac.new(self.secret, b"brobyg " + purpose, hashlib.sha256).digest()

    def wrap(self, data_key: bytes, stream: UUID) -> str:
        nonce = os.urandom(NONCE)
        return base64.b64encode(nonce + self._wrapping.encrypt(nonce, data_key, stream.bytes)).decode("ascii")

    def unwrap(self, wrapped: str, stream: UUID) -> bytes:
        try:
            blob = base64.b64decode(wrapped, validate=True)
            return self._wrapping.decrypt(blob[:NONCE], blob[NONCE:], stream.bytes)
        except (InvalidTag, ValueError):
            raise KeyFileError(
                Text(
                    "the data key of stream {stream} does not unwrap with the master key {path} ({fingerprint})",
                    stream=stream,
                    path=self.path,
                    fingerprint=self.fingerprint,
                )
            ) from None


def load_master_key(path: Path | None = None, create: bool = True) -> MasterKey:
    """The master key at `path` (default: `key_file_path()`); made there if it does not exist and
    `create` is set."""
    path = path or key_file_path()
    if not path.exists():
        if not create:
            raise KeyFileError(
                Text("no master key at {path}; set {env} to the key file this store was written with", path=path, env=ENV)
            )
        return _create(path)
    try:
        text = path.read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError) as e:
        raise KeyFileError(
            Text("cannot read the master key {path}: {problem}", path=path, problem=str(getattr(e, "strerror", None) or e))
        ) from None
    try:
        if len(text) != 2 or text[0] != HEADER:
            raise ValueError
        secret = base64.b64decode(text[1], validate=True)
        if len(secret) != 32:
            raise ValueError
    except ValueError:
        raise KeyFileError(Text("{path} is not a brobyg master key file", path=path)) from None
    return MasterKey(secret, path)


def _create(path: Path) -> MasterKey:
    """Written whole to a private file beside it, then linked into place: a process starting at
    the same moment finds either no key or the complete one, and the first link wins."""
    secret = os.urandom(32)
    content = f"{HEADER} {base64.b64encode(secret).decode('ascii')}\n".encode("ascii")
    temporary = path.parent / f".master-{os.urandom(6).hex()}.tmp"
    try:
        if path == default_key_file():
            private_directory(path.parent)  # brobyg's own folder
        else:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the user's: made private, never changed
        create_private_file(temporary, content)
        os.link(temporary, path)
    except FileExistsError:
        return load_master_key(path, create=False)
    except OSError as e:
        raise KeyFileError(Text("cannot create the master key {path}: {problem}", path=path, problem=e.strerror)) from None
    finally:
        temporary.unlink(missing_ok=True)
    return MasterKey(secret, path)
