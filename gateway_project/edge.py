"""The front door under the ASGI server: a request reaches a thread only once it has arrived whole.

Each worker process runs an event loop (uvicorn, under gunicorn) that reads requests,
and a bounded pool of threads that runs Django as a WSGI application (a2wsgi). The edge
sits between them. It reads the body in the event loop, within GATEWAY_MAX_BODY_BYTES and
GATEWAY_BODY_READ_TIMEOUT_SECONDS, and only then hands the request to a thread. A client
that sends its headers or its body slowly therefore costs a socket, never a thread, and
everyone else keeps being answered.

The edge answers nothing itself. A body it could not read is passed on as what Django
sees when it reads the body: over the limit (Django's own 413, from the declared or the
counted length) or a timeout (408). So those attempts meet authentication, roles and the
audit trail like any other, in the contract's order.

Memory stays bounded when many large bodies arrive together: at most
GATEWAY_MAX_CONCURRENT_LARGE_BODIES requests per process whose body is over
GATEWAY_LARGE_BODY_BYTES are read and handled at once; the others wait, their bytes held
back by TCP flow control rather than in this process.
"""

import asyncio
import time

from django.conf import settings
from django.core.exceptions import BadRequest

from gateway_project.errors import RequestTimeout


class BodyTimeout(RequestTimeout, BadRequest):
    """408 from the API; pages outside it (the console) answer Django's 400 instead of a 500."""

    def __init__(self, seconds: int):
        super().__init__(f"The request body did not arrive within {seconds} s")


class _ClientGone(Exception):
    """The client disconnected before its body arrived: there is nobody to answer."""


def _declared_length(scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _with_content_length(scope, length: int):
    """The scope with Content-Length set to `length` and no Transfer-Encoding: the body is now whole."""
    headers = [
        (name, value) for name, value in scope["headers"] if name not in (b"content-length", b"transfer-encoding")
    ]
    return {**scope, "headers": [*headers, (b"content-length", str(length).encode())]}


class _LargeBodySlot:
    """One request's claim on its process's large-body slots: taken at most once, always given back."""

    def __init__(self, slots: asyncio.Semaphore):
        self.slots = slots
        self.held = False

    async def take(self) -> None:
        if not self.held:
            await self.slots.acquire()
            self.held = True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self.slots.release()


class Edge:
    """ASGI application: reads each body in the event loop, then calls `app` (Django on a thread pool)."""

    def __init__(self, app):
        self.app = app
        self._large_bodies: asyncio.Semaphore | None = None

    def _large_body_slots(self) -> asyncio.Semaphore:
        # Created on first use, inside the worker's running event loop.
        if self._large_bodies is None:
            self._large_bodies = asyncio.Semaphore(settings.GATEWAY_MAX_CONCURRENT_LARGE_BODIES)
        return self._large_bodies

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        slot = _LargeBodySlot(self._large_body_slots())
        try:
            try:
                scope, replay = await self._read_body(scope, receive, slot)
            except _ClientGone:
                return
            await self.app(scope, replay, send)
        finally:
            slot.give_back()

    async def _read_body(self, scope, receive, slot: _LargeBodySlot):
        """(scope, receive for the app): the body read whole, or what Django will meet instead."""
        limit, large = settings.GATEWAY_MAX_BODY_BYTES, settings.GATEWAY_LARGE_BODY_BYTES
        timeout = settings.GATEWAY_BODY_READ_TIMEOUT_SECONDS
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            # Django refuses the declared length before reading a byte; spare us reading it.
            return scope, _replay(b"", receive)
        if declared is not None and declared > large:
            await slot.take()
        body = bytearray()
        deadline = time.monotonic() + timeout
        more = True
        while more:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                return scope, _failing(BodyTimeout(timeout))
            if message["type"] == "http.disconnect":
                raise _ClientGone
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                # A body sent without a length (chunked) that outgrew the limit: Django
                # refuses the length counted so far, as it would a declared one.
                return _with_content_length(scope, len(body)), _replay(b"", receive)
            if len(body) > large:
                await slot.take()
        if declared is None and body:
            scope = _with_content_length(scope, len(body))
        return scope, _replay(bytes(body), receive)


def _replay(body: bytes, receive):
    """A receive() that gives the app the body already read, then whatever the client sends next."""
    delivered = False

    async def replay():
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _failing(error: Exception):
    """A receive() that raises `error` whenever the body is read: Django meets it where it reads the body."""

    async def fail():
        raise error

    return fail
