"""Python's cyclic garbage collector around the matcher's index.

The cash-application session holds an index of every open receivable item:
for 100,000 items, close to a million small Python objects (items, their
reference keys, amount buckets, name trigrams). Python's cyclic collector
runs a full pass over every tracked object each time the number of
long-lived objects has grown by a quarter: while the index is built it runs
again and again over an ever larger heap (half of the session's time), and
during the run each full pass walks the index again although none of it is
garbage (its structures hold no reference cycles: they are freed by
reference counting when the session goes).

:func:`index_built` pauses the collector while the index is built, then
moves what exists into the permanent generation (``gc.freeze``), which later
passes skip; :func:`release` puts it back (``gc.unfreeze``) when the run
ends. Memory is unaffected: reference counting frees objects as before;
only cycles that were already garbage when the index was built wait for
``release`` to be collected.
"""

import gc
from contextlib import contextmanager


@contextmanager
def index_built():
    """Pause the cyclic collector while building; freeze the heap after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
    gc.freeze()


def release():
    """Give the frozen objects back to the collector (the run is over)."""
    gc.unfreeze()
