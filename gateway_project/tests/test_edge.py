"""The edge reads each body in the event loop and hands the application a request that has arrived whole."""

import asyncio

import pytest

from gateway_project.edge import BodyTimeout, Edge


class RecordingApp:
    """Stands in for Django on its thread pool: records what it was given and reads the body as Django would."""

    def __init__(self, hold: asyncio.Event | None = None):
        self.calls: list[dict] = []
        self.hold = hold  # large bodies (over 10 bytes) are held here until it is set

    async def __call__(self, scope, receive, send):
        call = {"headers": dict(scope["headers"]), "body": None, "error": None}
        self.calls.append(call)
        try:
            call["body"] = (await receive())["body"]
        except BodyTimeout as error:
            call["error"] = error
        if self.hold is not None and len(call["body"] or b"") > 10:
            await self.hold.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def client(messages: list[dict], pause: float = 0.0):
    """A receive() that yields `messages`, `pause` seconds apart, then waits like an idle client."""
    pending = list(messages)

    async def receive():
        if pending:
            await asyncio.sleep(pause)
            return pending.pop(0)
        await asyncio.sleep(3600)

    return receive


def scope(*headers: tuple[bytes, bytes], method: str = "POST") -> dict:
    return {"type": "http", "method": method, "path": "/v1/kpis", "headers": list(headers)}


async def serve(edge, request_scope, receive) -> list[dict]:
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    await edge(request_scope, receive, send)
    return sent


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture(autouse=True)
def limits(settings):
    settings.GATEWAY_MAX_BODY_BYTES = 100
    settings.GATEWAY_LARGE_BODY_BYTES = 10
    settings.GATEWAY_MAX_CONCURRENT_LARGE_BODIES = 1
    settings.GATEWAY_BODY_READ_TIMEOUT_SECONDS = 1


def test_a_body_sent_in_pieces_reaches_the_app_whole_and_once():
    app = RecordingApp()
    pieces = [{"type": "http.request", "body": b"abc", "more_body": True},
              {"type": "http.request", "body": b"def", "more_body": False}]  # fmt: skip

    run(serve(Edge(app), scope((b"content-length", b"6")), client(pieces, pause=0.01)))

    assert [call["body"] for call in app.calls] == [b"abcdef"]


def test_a_chunked_body_is_given_its_length():
    app = RecordingApp()
    pieces = [{"type": "http.request", "body": b"ab", "more_body": True},
              {"type": "http.request", "body": b"cd", "more_body": False}]  # fmt: skip

    run(serve(Edge(app), scope((b"transfer-encoding", b"chunked")), client(pieces)))

    assert app.calls[0]["body"] == b"abcd"
    assert app.calls[0]["headers"] == {b"content-length": b"4"}


def test_a_declared_length_over_the_limit_is_passed_on_unread():
    app = RecordingApp()
    never_read = client([{"type": "http.request", "body": b"x" * 500, "more_body": False}])

    run(serve(Edge(app), scope((b"content-length", b"500")), never_read))

    # Django refuses the declared length itself (413), so authentication and the audit still run.
    assert app.calls[0]["headers"][b"content-length"] == b"500"
    assert app.calls[0]["body"] == b""


def test_a_chunked_body_over_the_limit_is_cut_off_with_the_length_counted():
    app = RecordingApp()
    endless = [{"type": "http.request", "body": b"x" * 60, "more_body": True} for _ in range(5)]

    run(serve(Edge(app), scope((b"transfer-encoding", b"chunked")), client(endless)))

    assert app.calls[0]["headers"] == {b"content-length": b"120"}
    assert app.calls[0]["body"] == b""


def test_a_body_that_stops_arriving_is_a_timeout_the_app_meets_when_it_reads(settings):
    app = RecordingApp()
    stalled = client([{"type": "http.request", "body": b"{", "more_body": True}])

    run(serve(Edge(app), scope((b"content-length", b"50")), stalled))

    assert isinstance(app.calls[0]["error"], BodyTimeout)
    assert app.calls[0]["error"].status_code == 408


def test_a_client_that_leaves_mid_body_is_not_served():
    app = RecordingApp()
    leaving = client([{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}])

    sent = run(serve(Edge(app), scope((b"content-length", b"50")), leaving))

    assert (app.calls, sent) == ([], [])


def test_large_bodies_wait_for_a_slot_small_ones_do_not():
    """With one slot, a second large body is not even read while the first is being handled."""

    async def scenario():
        hold = asyncio.Event()
        app = RecordingApp(hold=hold)
        edge = Edge(app)
        large = [{"type": "http.request", "body": b"x" * 50, "more_body": False}]
        first = asyncio.create_task(serve(edge, scope((b"content-length", b"50")), client(large)))
        second = asyncio.create_task(serve(edge, scope((b"content-length", b"50")), client(large)))
        await asyncio.sleep(0.05)
        small = await asyncio.wait_for(
            serve(edge, scope((b"content-length", b"2")), client([{"type": "http.request", "body": b"{}"}])), 1
        )
        handled_while_held = len(app.calls)
        hold.set()
        await asyncio.gather(first, second)
        return handled_while_held, small, len(app.calls)

    handled_while_held, small, handled = run(scenario())

    # The first large body and the small one were handed on; the second large one waited its turn.
    assert handled_while_held == 2
    assert small[-1]["body"] == b"ok"
    assert handled == 3


def test_a_body_that_grows_past_the_large_threshold_takes_a_slot_too():
    async def scenario():
        hold = asyncio.Event()
        app = RecordingApp(hold=hold)
        edge = Edge(app)
        chunked = [{"type": "http.request", "body": b"x" * 30, "more_body": False}]
        first = asyncio.create_task(serve(edge, scope((b"transfer-encoding", b"chunked")), client(chunked)))
        second = asyncio.create_task(serve(edge, scope((b"transfer-encoding", b"chunked")), client(chunked)))
        await asyncio.sleep(0.05)
        handled_while_held = len(app.calls)
        hold.set()
        await asyncio.gather(first, second)
        return handled_while_held, len(app.calls)

    assert run(scenario()) == (1, 2)


def test_other_scopes_pass_straight_through():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    run(Edge(app)({"type": "lifespan"}, None, None))
    assert seen == ["lifespan"]


def test_a_client_that_leaves_gives_back_its_large_body_slot():
    async def scenario():
        app = RecordingApp()
        edge = Edge(app)
        leaving = [{"type": "http.request", "body": b"x" * 30, "more_body": True}, {"type": "http.disconnect"}]
        await serve(edge, scope((b"transfer-encoding", b"chunked")), client(leaving))
        large = [{"type": "http.request", "body": b"x" * 50, "more_body": False}]
        return await asyncio.wait_for(serve(edge, scope((b"content-length", b"50")), client(large)), 1)

    assert run(scenario())[-1]["body"] == b"ok"
