"""Work on a long list shared out between the machine's cores, by forking.

At national scale a list works out the indicators of 14,000 active pathways in Python, about
half a second on one core. Forked children see the rows already read (copy on write), each works
out its share and sends it back pickled, while this process works out the first share. Where
forking is not possible or not worth it (few items, one core, no `os.fork`, other threads
running, which a fork could leave holding a lock), the work is done here. A child that fails
sends nothing, and its share is worked out here: the answer is the same either way, and an
error in the work is raised here, as without children.

A child touches nothing it shares with this process (connections, files, buffered output): it
works on the list, writes its answer to its pipe and ends with `os._exit`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

LEAST = 4_000  # items per share: below that a fork and the pickling cost more than they save
MOST_WORKERS = 4


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def shared_out(
    work: Callable[[list[T]], list[R]],
    items: list[T],
    least: int | None = None,
    meanwhile: Callable[[], None] = lambda: None,
) -> list[R]:
    """`work(items)`, with the items in shares of at least `least` (default `LEAST`), one share
    per core, each share's answers in the order of the shares. `meanwhile` is called before
    this process's own share, once the children are forked (it may start a thread)."""
    workers = min(cores(), MOST_WORKERS, max(len(items) // (least or LEAST), 1))
    if workers < 2 or not hasattr(os, "fork") or threading.active_count() > 1:
        meanwhile()
        return work(items)
    size = -(-len(items) // workers)
    shares = [items[i : i + size] for i in range(0, len(items), size)]
    pending: list[tuple[int, int, list[T]]] = []  # (pid, the pipe's end to read, its share)
    try:
        for share in shares[1:]:
            pending.append((*_fork(work, share), share))
        meanwhile()
        answers = work(shares[0])
        while pending:
            pid, pipe, share = pending.pop(0)  # its pipe is closed by `_answer`, whatever happens
            got = _answer(pid, pipe)
            answers += work(share) if got is None else got
        return answers
    finally:
        for pid, pipe, _share in pending:  # interrupted: the children left are stopped
            _stop(pid, pipe)


def _fork(work: Callable[[list[T]], list[R]], share: list[T]) -> tuple[int, int]:
    import pickle  # here: a list too short to share out does not import it

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            os.close(read)
            data = pickle.dumps(work(share), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


def _stop(pid: int, pipe: int) -> None:
    with contextlib.suppress(OSError):
        os.close(pipe)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.waitpid(pid, 0)


def _answer(pid: int, pipe: int) -> list[R] | None:
    """A child's answer; None if it failed."""
    import pickle

    with os.fdopen(pipe, "rb") as answer:
        data = answer.read()
    _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not data:
        return None
    return pickle.loads(data)  # written by this process's own fork (`_fork`), not read from a file or store
