"""Files and folders that hold personal data belong to their owner alone.

What brobyg writes holds personal data: the store (references, birth dates, what happened to
each young person), exports (all of it), reports (figures about them), and a key file (the
key to them). Each such file is created 0600 (read and written by its owner only) whatever
the umask, and the folders brobyg makes for itself (its data folder, its config folder) are
0700. A folder the user names (`--db`, `-o`) is the user's: brobyg neither creates nor
changes it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from brobyg.engine.text import Text

OWNER_ONLY_FILE = 0o600
OWNER_ONLY_FOLDER = 0o700
OTHERS = 0o077  # the bits that let the group or anyone else in


def private_directory(path: Path) -> Path:
    """`path` as a folder only its owner may open (0700): created if missing, its missing
    parents as the umask makes them (``~/.config`` is not brobyg's), and tightened to 0700 if
    it is there with more. For brobyg's own folders only: nothing but brobyg keeps files in
    them, so tightening one changes nobody else's access. Returns `path`."""
    path.mkdir(mode=OWNER_ONLY_FOLDER, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != OWNER_ONLY_FOLDER:  # the umask or an older brobyg made it otherwise
        path.chmod(OWNER_ONLY_FOLDER)
    return path


def create_private_file(path: Path, content: bytes = b"") -> None:
    """Create `path` holding `content`, 0600 whatever the umask, and on disk when this returns.

    Never replaces anything: if anything is at `path` (a file, a link, even a dangling one),
    FileExistsError is raised, so a key is never overwritten and a link planted beforehand
    is never followed. If writing fails, the file is removed again."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, OWNER_ONLY_FILE)
    try:
        os.fchmod(fd, OWNER_ONLY_FILE)  # exactly 0600: the umask may have taken the owner's bits too
        left = memoryview(content)
        while left:
            left = left[os.write(fd, left) :]
        if content:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)


def made_private(path: Path) -> str | None:
    """Take the group's and others' access away from an existing file (``chmod go-rwx``).

    Returns what a person should be told: that the file was open to others and now is not,
    or that it is open and could not be closed (brobyg is not its owner, a read-only disk);
    None if it was private already or is not there."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    if not mode & OTHERS:
        return None
    private = mode & ~OTHERS
    try:
        path.chmod(private)
    except OSError as e:
        return Text(
            "{path} is open to other accounts (mode {mode:04o}) and could not be made private "
            "({problem}); its owner can run: chmod go-rwx {path}",
            path=path,
            mode=mode,
            problem=str(e.strerror or e),
        )
    return Text(
        "{path} was open to other accounts (mode {mode:04o}); made private ({private:04o}): it holds personal data",
        path=path,
        mode=mode,
        private=private,
    )
