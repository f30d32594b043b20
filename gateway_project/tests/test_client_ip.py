import pytest
from django.test import RequestFactory

from gateway_project.client_ip import client_ip


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_socket_address_wins(settings):
    settings.GATEWAY_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("10.0.0.9", "6.6.6.6")) == "10.0.0.9"


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the client's own claim is ignored
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (2, "203.0.113.7", "10.0.0.9"),  # fewer hops than proxies: it bypassed one; trust the socket
        (1, "not-an-ip", "10.0.0.9"),
        (1, " 2001:DB8:0:0::1 ", "2001:db8::1"),
    ],
)
def test_trusted_proxies_are_counted_from_the_right(settings, hops, forwarded, expected):
    settings.GATEWAY_TRUSTED_PROXY_COUNT = hops
    assert client_ip(request_from("10.0.0.9", forwarded)) == expected


def test_garbage_socket_address_is_none(settings):
    settings.GATEWAY_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("unix-socket")) is None
