"""The cycle collector held off while a question makes many objects and no cycles.

A list or report decodes hundreds of thousands of small rows and works out a few per pathway,
none of them in a cycle, all alive until the answer is given. With the collector on, it walks
them again and again as they come and frees nothing (at 100,000 pathways, a quarter of the
risk indicators' time with the command line's thresholds, half with the default ones).
Reference counting still frees what is dropped; a cycle made meanwhile waits for the next
full collection. The objects made meanwhile are then counted as long-lived (`gc.freeze` and
`gc.unfreeze` move them to the oldest generation without walking them): otherwise the first
collection after walks every one of them at once (0.13-0.16 s after the risk list at
100,000 pathways) and frees nothing.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def no_cycles_collected() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
