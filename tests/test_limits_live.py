"""Limits seen from outside, through the real server: the gateway's JSON answer arrives, not the server's text."""

import http.client
import json

import pytest
import requests

pytestmark = pytest.mark.live_server_processes


def test_an_oversized_header_gets_the_json_431(gateway_server):
    response = requests.get(f"{gateway_server}/healthz", headers={"X-Filler": "x" * 10_000}, timeout=10)
    assert response.status_code == 431
    assert response.json()["code"] == "header_too_large"


def test_hundreds_of_headers_get_the_json_431(gateway_server):
    headers = {f"X-Filler-{index}": "x" for index in range(300)}
    response = requests.get(f"{gateway_server}/healthz", headers=headers, timeout=10)
    assert response.status_code == 431
    assert response.json()["code"] == "header_too_large"


def test_an_oversized_body_gets_the_json_413(gateway_server):
    body = b'{"name": "' + b"x" * (11 * 1024 * 1024) + b'"}'
    response = requests.post(
        f"{gateway_server}/v1/tenants", data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_a_chunked_body_is_read_whole(gateway_server):
    """The server reads a body sent without a length before Django sees it, and gives it one."""

    def chunks():
        yield b'{"name": "Acme", '
        yield b'"region": "eu"}'

    response = requests.post(
        f"{gateway_server}/v1/tenants", data=chunks(), headers={"Content-Type": "application/json"}, timeout=10
    )
    assert response.status_code == 201
    assert (response.json()["name"], response.json()["region"]) == ("Acme", "eu")


def test_an_oversized_chunked_body_gets_the_json_413(gateway_server):
    def chunks():
        for _ in range(11 * 16):
            yield b"x" * 65536

    response = requests.post(
        f"{gateway_server}/v1/tenants", data=chunks(), headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_two_idempotency_keys_are_a_400_not_one_joined_key(gateway_server, live_admin):
    host, port = gateway_server.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    body = b'{"tool_name": "echo"}'
    try:
        connection.putrequest("POST", "/v1/tools/invoke")
        for name, value in live_admin.headers(**{"Content-Type": "application/json"}).items():
            connection.putheader(name, value)
        connection.putheader("Idempotency-Key", "k1")
        connection.putheader("Idempotency-Key", "k2")
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        answer = json.loads(response.read())
    finally:
        connection.close()

    assert (response.status, answer["code"]) == (400, "duplicate_header")
    assert answer["detail"] == "Header Idempotency-Key was sent more than once; send it once"
