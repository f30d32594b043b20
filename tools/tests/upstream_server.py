"""A real HTTP upstream for the tests, on 127.0.0.1: each path a behaviour, every request it received recorded.

/ok[/...]        200, JSON: what arrived (method, path, query, headers, body)
/created         201, the same
/text            200, text/plain
/reject          404, JSON {"error": "no such pet"}
/fail            500
/slow?ms=N       answers 200 after N ms
/big?bytes=N     200 with N bytes of body
/redirect        302 to a private address
/echo            200 echoing the query and headers (secrets included) as text
/echo-reject     400 echoing the query and headers as JSON
/reset           reads the request and closes the connection without answering
"""

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        return None

    def _respond(self, status: int, body: bytes, content_type: str = "application/json", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", '"v1"')
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _handle(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = parse_qs(parts.query)
        received = Received(self.command, parts.path, query, dict(self.headers.items()), body)
        self.server.record(received)
        arrived = {"method": self.command, "path": parts.path, "query": query, "headers": dict(self.headers.items()),
                   "body": body.decode("utf-8", "replace")}  # fmt: skip
        route = parts.path.rstrip("/") or "/"
        if route.startswith("/ok"):
            self._respond(200, json.dumps(arrived).encode())
        elif route == "/created":
            self._respond(201, json.dumps(arrived).encode(), extra={"Location": "/pets/7", "X-Internal": "hidden"})
        elif route == "/text":
            self._respond(200, b"plain words", "text/plain; charset=utf-8")
        elif route == "/reject":
            self._respond(404, b'{"error": "no such pet"}')
        elif route == "/fail":
            self._respond(500, b'{"error": "boom"}')
        elif route == "/slow":
            time.sleep(int(query.get("ms", ["100"])[0]) / 1000)
            self._respond(200, b'{"slow": true}')
        elif route == "/big":
            self._respond(200, b"x" * int(query.get("bytes", ["100"])[0]), "text/plain")
        elif route == "/redirect":
            self._respond(302, b"", extra={"Location": "http://10.0.0.1/latest/meta-data"})
        elif route == "/echo":
            self._respond(
                200, json.dumps({"query": query, "headers": dict(self.headers.items())}).encode(), "text/plain"
            )
        elif route == "/echo-reject":
            self._respond(400, json.dumps({"query": query, "headers": dict(self.headers.items())}).encode())
        elif route == "/keyed":
            key = self.headers.get("Idempotency-Key", "")
            first = self.server.take_effect(key)
            if first:
                time.sleep(int(query.get("ms", ["0"])[0]) / 1000)
            self._respond(201, json.dumps({"effect_for": key}).encode())
        elif route == "/reset":
            self.close_connection = True
            self.connection.shutdown(2)
        else:
            self._respond(404, b'{"error": "no route"}')

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # socketserver's 5 drops connections when a hundred calls arrive at once

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self._lock = threading.Lock()
        self.received: list[Received] = []
        self.effects: dict[str, int] = {}

    def take_effect(self, key: str) -> bool:
        """Whether this request is the first under `key`: only the first has an effect."""
        with self._lock:
            self.effects[key] = self.effects.get(key, 0) + 1
            return self.effects[key] == 1

    def record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)


class Upstream:
    """A running upstream: `url(path)` to call it, `received` for what it got."""

    def __init__(self):
        self._server = _Server()
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def received(self, path: str | None = None) -> list[Received]:
        with self._server._lock:
            return [item for item in self._server.received if path is None or item.path == path]

    @property
    def effects(self) -> dict[str, int]:
        """Requests received per Idempotency-Key on /keyed; only the first of each took effect."""
        with self._server._lock:
            return dict(self._server.effects)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
