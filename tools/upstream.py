"""Calling an HTTP tool's upstream: the request built from the payload, sent to a checked address, the answer judged.

payload → URL (path from the template, query) + body + headers (static, credentials from the vault,
the derived idempotency key) → the host resolved and every address checked (the SSRF guard)
→ the origin's circuit breaker → httpx, connected to the address that was checked (the Host header
and the TLS name stay the host's), redirects never followed, connect/read/total timeouts
→ the answer read up to the tool's size limit, every secret sent redacted from it → an outcome:

2xx                                  the result: {"status", "headers", "body"}; stored, replayed, metered
3xx, 4xx                             424 upstream_rejected (the upstream's status and body); stored, replayed
answer over the size limit           502 upstream_response_too_large; stored, replayed (the call happened)
not sent: address refused, DNS,      502/503, the key released: a retry may run
  connect failure, breaker open
sent, no answer (5xx, timeout,       retry-safe tool (GET, or an upstream that honours our key): 502/504,
  reset)                             the key released; otherwise 502/504 upstream_outcome_unknown, stored,
                                     replayed, audited `unknown`, and never sent again under that key
"""

import hashlib
import ipaddress
import json
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import httpx
from django.conf import settings

from gateway_project.db import pooled_connection_release
from gateway_project.errors import UNKNOWN, GatewayError
from tenants.models import Tenant
from tools.breaker import BreakerOpen, CircuitBreaker
from tools.http_tools import METHODS_WITH_BODY, SECRET_PLACEHOLDER, retry_safe, url_origin, url_placeholders
from tools.models import HttpTool, VaultSecret
from tools.registry import ToolCall, ToolUnavailable
from tools.vault import redact, secret_reveal

logger = logging.getLogger(__name__)

USER_AGENT = "tool-gateway/1"
REQUEST_ID_HEADER = "X-Gateway-Request-Id"
UPSTREAM_KEY_VERSION = "gw1"
_SENDABLE_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
MAX_UPSTREAM_BODY_SHOWN = 2000  # characters of an upstream's refusal kept in the answer
# Cloud metadata services: never reachable, not even through an allowlisted host.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "192.0.0.192", "fd00:ec2::254")
)


# --- Outcomes ------------------------------------------------------------------


class UpstreamRejected(GatewayError):
    """The upstream answered, and not with a 2xx: its refusal is the call's answer, stored and replayed."""

    status_code = 424
    default_code = "upstream_rejected"

    def __init__(self, upstream_status: int, upstream_body: str):
        self.upstream_status = upstream_status
        self.upstream_body = upstream_body[:MAX_UPSTREAM_BODY_SHOWN]
        super().__init__(f"The upstream answered {upstream_status}")

    def document(self) -> dict:
        return {**super().document(), "upstream_status": self.upstream_status, "upstream_body": self.upstream_body}


class UpstreamResponseTooLarge(GatewayError):
    status_code = 502
    default_code = "upstream_response_too_large"

    def __init__(self, limit_bytes: int):
        super().__init__(f"The upstream's answer exceeds the tool's limit of {limit_bytes} bytes")


class OutcomeUnknown(GatewayError):
    """Sent, unanswered, to an upstream that may not be sent it twice: stored, replayed, never sent again."""

    default_code = "upstream_outcome_unknown"
    outcome = UNKNOWN

    def __init__(self, status_code: int, why: str):
        self.status_code = status_code
        super().__init__(f"{why}; whether the request took effect upstream is unknown, and it will not be sent again "
                         "under this Idempotency-Key")  # fmt: skip


class UpstreamUnreachable(ToolUnavailable):
    status_code = 502
    default_code = "upstream_unreachable"


class UpstreamAddressRefused(ToolUnavailable):
    status_code = 502
    default_code = "upstream_address_refused"


class UpstreamUnavailable(ToolUnavailable):
    default_code = "upstream_unavailable"


class UpstreamFailed(ToolUnavailable):
    """Sent and failed where a retry is safe (a GET, or the upstream will recognise our key)."""

    status_code = 502
    default_code = "upstream_error"


class UpstreamTimedOut(UpstreamFailed):
    status_code = 504
    default_code = "upstream_timeout"


class ToolMisconfigured(ToolUnavailable):
    default_code = "tool_misconfigured"


# --- The SSRF guard ------------------------------------------------------------


def _refused_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, private, link-local, multicast, reserved, unspecified or otherwise not public."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return not address.is_global or address.is_multicast


def checked_address(host: str, port: int) -> str:
    """The address to connect to for `host`: every address it resolves to must be public, unless the host
    is on GATEWAY_UPSTREAM_ALLOWED_HOSTS; a cloud metadata address never passes."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as failure:
        raise UpstreamUnreachable(f"The upstream's host {host!r} does not resolve") from failure
    addresses = [ipaddress.ip_address(entry[4][0].split("%", 1)[0]) for entry in found]
    allowlisted = host.lower().rstrip(".") in settings.GATEWAY_UPSTREAM_ALLOWED_HOSTS
    for address in addresses:
        if address in METADATA_ADDRESSES or (not allowlisted and _refused_address(address)):
            raise UpstreamAddressRefused(
                f"The upstream's host {host!r} resolves to a non-public address ({address}); the operator may allow "
                "the host with GATEWAY_UPSTREAM_ALLOWED_HOSTS"
            )
    return str(addresses[0])


# --- The request ---------------------------------------------------------------


def upstream_idempotency_key(*, tenant_id, key: str) -> str:
    """The key the upstream sees: the same for every attempt under the caller's key, unique per tenant,
    and revealing neither; versioned so a new derivation never collides with an old one."""
    digest = hashlib.sha256(f"{UPSTREAM_KEY_VERSION}\0{tenant_id}\0{key}".encode()).hexdigest()
    return f"{UPSTREAM_KEY_VERSION}_{digest[:40]}"


@dataclass(frozen=True)
class OutgoingRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    secrets: tuple[str, ...]  # the values placed into it: redacted from whatever comes back

    def masked(self) -> dict:
        """The request as a person may see it: every secret replaced with [redacted]."""
        body = None if self.body is None else redact(self.body.decode("utf-8", "replace"), self.secrets)
        return {
            "method": self.method,
            "url": redact(self.url, self.secrets),
            "headers": {name: redact(value, self.secrets) for name, value in self.headers.items()},
            "body": body,
        }


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _query_pairs(payload: dict, names) -> list[tuple[str, str]]:
    pairs = []
    for name in names:
        value = payload.get(name)
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, _text(item)))
    return pairs


def _owner_secrets(definition: HttpTool) -> dict[str, str]:
    names = {credential["secret"] for credential in definition.credentials}
    if not names:
        return {}
    rows = VaultSecret.objects.filter(tenant_id=definition.tenant_id, name__in=names)
    found = {row.name: secret_reveal(secret=row) for row in rows}
    missing = sorted(names - set(found))
    if missing:
        raise ToolMisconfigured(f"Tool '{definition.name}' needs the vault secret '{missing[0]}', which is not stored")
    return found


def outgoing_request(definition: HttpTool, *, payload: dict, request_id, upstream_key: str) -> OutgoingRequest:
    placeholders = url_placeholders(definition.url_template)
    path_values = {name: quote(_text(payload[name]), safe="") for name in placeholders if name in payload}
    missing = [name for name in placeholders if name not in path_values]
    if missing:
        raise ToolMisconfigured(f"The payload has no '{missing[0]}' for the URL's path")
    url = definition.url_template.format_map(path_values)
    used = set(placeholders) | set(definition.query_params)
    rest = {name: value for name, value in payload.items() if name not in used}
    query = _query_pairs(payload, definition.query_params)
    body = None
    if definition.method in METHODS_WITH_BODY:
        value = payload.get(definition.body_field) if definition.body_field else rest
        if not definition.body_field or definition.body_field in payload:
            body = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    else:
        query += _query_pairs(rest, list(rest))

    headers = {"User-Agent": USER_AGENT, "Accept": "application/json, text/*;q=0.9, */*;q=0.1",
               REQUEST_ID_HEADER: str(request_id), **definition.static_headers}  # fmt: skip
    if body is not None:
        headers["Content-Type"] = "application/json"
    if definition.idempotency_header:
        headers[definition.idempotency_header] = upstream_key
    secrets = _owner_secrets(definition)
    for credential in definition.credentials:
        value = credential.get("format", SECRET_PLACEHOLDER).replace(SECRET_PLACEHOLDER, secrets[credential["secret"]])
        if credential["in"] == "header":
            headers[credential["name"]] = value
        else:
            query.append((credential["name"], value))
    if any(not _SENDABLE_HEADER_VALUE.fullmatch(value) for value in headers.values()):
        # A vault secret that no header can carry (not ASCII, a line break): say which tool, never the value.
        raise ToolMisconfigured(f"Tool '{definition.name}' has a header value HTTP cannot carry")
    if query:
        parts = urlsplit(url)
        url = urlunsplit(parts._replace(query="&".join(filter(None, [parts.query, urlencode(query)]))))
    return OutgoingRequest(definition.method, url, headers, body, tuple(secrets.values()))


# --- Sending -------------------------------------------------------------------


@dataclass(frozen=True)
class UpstreamAnswer:
    status: int
    headers: dict[str, str]  # the selected ones, redacted
    text: str  # the body, decoded and redacted
    json: object = None
    is_json: bool = False


class _NotSent(Exception):
    """The request never left: resolving, connecting or a free connection failed."""


class _Unanswered(Exception):
    """The request (or part of it) left, and no whole answer came back."""

    def __init__(self, message: str, *, timed_out: bool):
        self.timed_out = timed_out
        super().__init__(message)


class _TooLarge(Exception):
    pass


breaker = CircuitBreaker(
    failures_to_open=lambda: settings.GATEWAY_UPSTREAM_BREAKER_FAILURES,
    cooldown_seconds=lambda: settings.GATEWAY_UPSTREAM_BREAKER_COOLDOWN_SECONDS,
)
_client: httpx.Client | None = None
_client_lock = threading.Lock()


def _http_client() -> httpx.Client:
    """One pooled client per process, made on first use (after the server forked)."""
    global _client
    with _client_lock:
        if _client is None:
            limits = httpx.Limits(max_connections=settings.GATEWAY_UPSTREAM_MAX_CONNECTIONS,
                                  max_keepalive_connections=settings.GATEWAY_UPSTREAM_MAX_CONNECTIONS)  # fmt: skip
            # trust_env off: a proxy from the environment would connect to hosts the guard never checked.
            _client = httpx.Client(limits=limits, follow_redirects=False, trust_env=False)
        return _client


def _pinned_request(definition: HttpTool, outgoing: OutgoingRequest) -> httpx.Request:
    """The request addressed to the host's checked address; the Host header and the TLS name stay the host's."""
    parts = urlsplit(outgoing.url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = checked_address(host, port)
    pinned = parts._replace(netloc=f"[{address}]:{port}" if ":" in address else f"{address}:{port}")
    timeout = httpx.Timeout(connect=definition.connect_timeout_seconds, read=definition.read_timeout_seconds,
                            write=definition.read_timeout_seconds, pool=definition.connect_timeout_seconds)  # fmt: skip
    return _http_client().build_request(
        outgoing.method, urlunsplit(pinned), headers={**outgoing.headers, "Host": parts.netloc.rsplit("@", 1)[-1]},
        content=outgoing.body, timeout=timeout, extensions={"sni_hostname": host},
    )  # fmt: skip


def _send(definition: HttpTool, request: httpx.Request) -> tuple[int, httpx.Headers, bytes]:
    deadline = time.monotonic() + definition.total_timeout_seconds
    client = _http_client()
    pooled_connection_release()  # marking the request sent borrowed one again; waiting calls hold none
    try:
        response = client.send(request, stream=True)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol,
            httpx.LocalProtocolError) as failure:  # fmt: skip
        # Refused before a byte of the request left (LocalProtocolError: a header h11 will not write).
        raise _NotSent(type(failure).__name__) from failure
    except httpx.TimeoutException as failure:
        raise _Unanswered(type(failure).__name__, timed_out=True) from failure
    except httpx.TransportError as failure:
        raise _Unanswered(type(failure).__name__, timed_out=False) from failure
    try:
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > definition.max_response_bytes:
                raise _TooLarge()
            if time.monotonic() > deadline:
                raise _Unanswered("total timeout", timed_out=True)
        return response.status_code, response.headers, bytes(body)
    except httpx.TimeoutException as failure:
        raise _Unanswered(type(failure).__name__, timed_out=True) from failure
    except (httpx.TransportError, httpx.DecodingError) as failure:
        raise _Unanswered(type(failure).__name__, timed_out=False) from failure
    finally:
        response.close()


def _answer(status: int, headers: httpx.Headers, body: bytes, secrets: tuple[str, ...]) -> UpstreamAnswer:
    selected = {name: redact(headers[name], secrets) for name in settings.GATEWAY_HTTP_TOOL_RESPONSE_HEADERS
                if name in headers}  # fmt: skip
    text = redact(body.decode(headers.encoding or "utf-8", "replace") if body else "", secrets)
    if "json" in headers.get("content-type", "") and text:
        try:
            return UpstreamAnswer(status, selected, text, json.loads(text), True)
        except ValueError:
            pass
    return UpstreamAnswer(status, selected, text)


@dataclass(frozen=True)
class Exchange:
    """One call upstream, whole: the request as sent (to show masked) and the answer, or why there is none."""

    request: OutgoingRequest
    answer: UpstreamAnswer | None = None
    failure: GatewayError | None = None


def _exchange(definition: HttpTool, call: ToolCall) -> Exchange:
    upstream_key = upstream_idempotency_key(tenant_id=call.tenant.pk, key=call.idempotency_key or str(call.request_id))
    outgoing = outgoing_request(definition, payload=call.payload, request_id=call.request_id, upstream_key=upstream_key)
    safe = retry_safe(definition)
    if not safe and call.dispatch.sent_before:
        # An earlier attempt under this key sent it and vanished: sending again could do it twice.
        earlier = OutcomeUnknown(502, "An earlier attempt sent this request and did not finish")
        return Exchange(outgoing, failure=earlier)
    try:
        request = _pinned_request(definition, outgoing)
    except ToolUnavailable as not_sent:  # the address refused, or the host does not resolve
        return Exchange(outgoing, failure=not_sent)
    origin = url_origin(outgoing.url)
    try:
        breaker.admit(origin)
    except BreakerOpen as open_circuit:
        retry_after = str(int(open_circuit.retry_after + 0.999))
        unavailable = UpstreamUnavailable(f"The upstream {origin} is failing; calls fail fast for now",
                                          headers={"Retry-After": retry_after})  # fmt: skip
        return Exchange(outgoing, failure=unavailable)
    started, upstream_alive = time.monotonic(), False
    try:
        if not safe:
            call.dispatch.mark_sent()
        status, headers, body = _send(definition, request)
        upstream_alive = status < 500
    except _NotSent as failure:
        return Exchange(outgoing, failure=UpstreamUnreachable(f"Could not connect to the upstream ({failure})"))
    except _TooLarge:
        upstream_alive = True
        return Exchange(outgoing, failure=UpstreamResponseTooLarge(definition.max_response_bytes))
    except _Unanswered as failure:
        why = f"The upstream's answer broke off ({failure})"
        if failure.timed_out:
            why = "The upstream did not answer in time"
        if safe:
            return Exchange(outgoing, failure=UpstreamTimedOut(why) if failure.timed_out else UpstreamFailed(why))
        return Exchange(outgoing, failure=OutcomeUnknown(504 if failure.timed_out else 502, why))
    finally:
        (breaker.succeeded if upstream_alive else breaker.failed)(origin)
        logger.info("upstream call", extra={"tool": definition.name, "origin": origin,
                                            "duration_ms": round((time.monotonic() - started) * 1000, 1)})  # fmt: skip
    return Exchange(outgoing, answer=_answer(status, headers, body, outgoing.secrets))


def _outcome(exchange: Exchange, *, safe: bool) -> dict:
    """The call's result, or the error it ends in (see the table at the top)."""
    if exchange.failure is not None:
        raise exchange.failure
    answer = exchange.answer
    if 200 <= answer.status < 300:
        body = answer.json if answer.is_json else answer.text
        return {"status": answer.status, "headers": answer.headers, "body": body}
    if answer.status < 500:
        raise UpstreamRejected(answer.status, answer.text)
    why = f"The upstream answered {answer.status}"
    if safe:
        raise UpstreamFailed(why)
    raise OutcomeUnknown(502, why)


def http_tool_run(definition: HttpTool, call: ToolCall) -> dict:
    """The tool handler of every HTTP tool (tools/http_tools.py builds the Tool around it)."""
    return _outcome(_exchange(definition, call), safe=retry_safe(definition))


def http_tool_trial(definition: HttpTool, *, tenant: Tenant, payload: dict, request_id) -> dict:
    """A console test call: the exact request as sent, secrets masked, and the upstream's answer or failure.

    Runs the real call (with its side effects), outside any invocation: nothing audited, metered or stored.
    """
    from tenants.models import TenantUser

    call = ToolCall(tenant=tenant, user=TenantUser(tenant=tenant), payload=payload, request_id=request_id)
    try:
        exchange = _exchange(definition, call)
    except GatewayError as refused:
        return {"request": None, "answer": None, "error": refused.document() | {"status": refused.status_code}}
    answer = exchange.answer
    shown = None if answer is None else {"status": answer.status, "headers": answer.headers, "body": answer.text}
    error = None
    try:
        _outcome(exchange, safe=retry_safe(definition))
    except GatewayError as failed:
        error = failed.document() | {"status": failed.status_code}
    return {"request": exchange.request.masked(), "answer": shown, "error": error}
