"""One request of a process runs at a time; a request waiting on its tool lets another one in."""

import threading
import time

import pytest
from django.http import HttpResponse

from gateway_project import worker_slots
from gateway_project.worker_slots import WorkerSlotMiddleware, stepping_aside


@pytest.fixture(autouse=True)
def fresh_slots(monkeypatch, settings):
    settings.GATEWAY_ACTIVE_REQUESTS_PER_WORKER = 1
    monkeypatch.setattr(worker_slots, "_slots", None)


def serve_concurrently(view, count: int) -> list[tuple[str, float]]:
    """Run `count` requests through the middleware on their own threads; returns (event, time) in order."""
    events: list[tuple[str, float]] = []
    middleware = WorkerSlotMiddleware(lambda request: view(request, events))
    threads = [threading.Thread(target=middleware, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
        time.sleep(0.02)
    for thread in threads:
        thread.join(5)
    return events


def test_requests_of_a_process_run_one_at_a_time():
    def view(request, events):
        events.append((f"start {request}", time.monotonic()))
        time.sleep(0.1)
        events.append((f"end {request}", time.monotonic()))
        return HttpResponse()

    events = serve_concurrently(view, 2)

    assert [name for name, _ in events] == ["start 0", "end 0", "start 1", "end 1"]


def test_a_request_steps_aside_while_its_tool_runs():
    def view(request, events):
        events.append((f"start {request}", time.monotonic()))
        if request == 0:
            with stepping_aside():
                time.sleep(0.2)  # the tool
        events.append((f"end {request}", time.monotonic()))
        return HttpResponse()

    events = serve_concurrently(view, 2)

    assert [name for name, _ in events] == ["start 0", "start 1", "end 1", "end 0"]


def test_stepping_aside_outside_a_request_is_harmless():
    with stepping_aside():
        pass
    assert worker_slots._process_slots().acquire(timeout=0)
