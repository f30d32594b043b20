"""The SSRF guard (tools/upstream.py `checked_address`): which resolved addresses a tool may connect to."""

import socket

import pytest

from tools.upstream import UpstreamAddressRefused, UpstreamUnreachable, checked_address


def resolving_to(monkeypatch, *addresses: str) -> None:
    def getaddrinfo(host, port, *args, **kwargs):
        family = lambda address: socket.AF_INET6 if ":" in address else socket.AF_INET  # noqa: E731
        return [(family(address), socket.SOCK_STREAM, 6, "", (address, port)) for address in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.8.8.8", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.10.10", "100.64.0.1", "0.0.0.0",  # noqa: S104 - refused, not bound
     "224.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "240.0.0.1"],
)  # fmt: skip
def test_non_public_addresses_are_refused(monkeypatch, settings, address):
    settings.GATEWAY_UPSTREAM_ALLOWED_HOSTS = []
    resolving_to(monkeypatch, address)
    with pytest.raises(UpstreamAddressRefused) as refused:
        checked_address("api.example.com", 443)
    assert "resolves to a non-public address" in refused.value.detail


def test_a_public_address_passes_and_is_the_one_connected_to(monkeypatch, settings):
    settings.GATEWAY_UPSTREAM_ALLOWED_HOSTS = []
    resolving_to(monkeypatch, "93.184.216.34", "2606:2800:220:1::1")
    assert checked_address("api.example.com", 443) == "93.184.216.34"


def test_one_private_address_among_public_ones_refuses_the_host(monkeypatch, settings):
    # A host answering with several addresses could be connected to any of them: all must pass.
    settings.GATEWAY_UPSTREAM_ALLOWED_HOSTS = []
    resolving_to(monkeypatch, "93.184.216.34", "10.0.0.5")
    with pytest.raises(UpstreamAddressRefused):
        checked_address("api.example.com", 443)


def test_an_allowlisted_host_may_resolve_to_private_addresses(monkeypatch, settings):
    settings.GATEWAY_UPSTREAM_ALLOWED_HOSTS = ["crm.internal"]
    resolving_to(monkeypatch, "10.0.0.5")
    assert checked_address("CRM.internal.", 443) == "10.0.0.5"
    with pytest.raises(UpstreamAddressRefused):
        checked_address("other.internal", 443)


@pytest.mark.parametrize("address", ["169.254.169.254", "100.100.100.200", "fd00:ec2::254"])
def test_metadata_addresses_are_refused_even_for_an_allowlisted_host(monkeypatch, settings, address):
    settings.GATEWAY_UPSTREAM_ALLOWED_HOSTS = ["metadata.internal"]
    resolving_to(monkeypatch, address)
    with pytest.raises(UpstreamAddressRefused):
        checked_address("metadata.internal", 80)


def test_a_host_that_does_not_resolve_is_unreachable(settings):
    settings.GATEWAY_UPSTREAM_ALLOWED_HOSTS = []
    with pytest.raises(UpstreamUnreachable):
        checked_address("no-such-host.invalid", 443)
