"""How many requests of one worker process run Python at once; a request waiting on something slow steps aside.

The server runs Django on GATEWAY_WORKER_THREADS threads per process, so that a request
waiting on a slow tool does not hold up the others. But threads that all run Python at once
only take turns on the GIL, and a thread holding the database's write turn then waits on
the GIL behind them: on two cores, four such threads served half the invocations per second
of one (measured with make bench). So only GATEWAY_ACTIVE_REQUESTS_PER_WORKER requests of a
process run at once (default one, as a sync worker would), and a request steps aside while
its tool runs, letting another one in.
"""

import threading
from contextlib import contextmanager

from django.conf import settings

from gateway_project.db import pooled_connection_release

_slots: threading.Semaphore | None = None
_slots_lock = threading.Lock()


def _process_slots() -> threading.Semaphore:
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.Semaphore(settings.GATEWAY_ACTIVE_REQUESTS_PER_WORKER)
        return _slots


_holding = threading.local()


class WorkerSlotMiddleware:
    """Outermost: a request holds one of its process's slots while Django works on it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        slots = _process_slots()
        slots.acquire()
        _holding.slot = True
        try:
            return self.get_response(request)
        finally:
            _holding.slot = False
            slots.release()


@contextmanager
def stepping_aside():
    """Give the slot to another request while this one waits (on a tool), and take one back after.

    A pooled database connection goes back to the pool too, so requests waiting on slow tools hold none.
    """
    pooled_connection_release()
    if not getattr(_holding, "slot", False):
        yield
        return
    slots = _process_slots()
    slots.release()
    try:
        yield
    finally:
        slots.acquire()
