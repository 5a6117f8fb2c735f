"""The address guard: which addresses are refused, and the resolve-once resolver."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import pytest

from curation.fetch.ssrf import (
    AddressPolicy,
    GuardedResolver,
    SsrfBlocked,
    StaticResolver,
    blocked_reason,
    check_host_literal,
)


@pytest.mark.parametrize("address, reason", [
    ("127.0.0.1", "loopback"), ("10.0.0.1", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"), ("100.64.0.1", "cgnat"), ("224.0.0.1", "multicast"),
    ("0.0.0.0", "unspecified"), ("240.0.0.1", "private"), ("255.255.255.255", "private"),
    ("192.0.2.1", "private"), ("::1", "loopback"), ("::", "unspecified"), ("fe80::1", "link-local"),
    ("fc00::1", "private"), ("ff02::1", "multicast"), ("::ffff:10.0.0.1", "private (embedded"),
    ("::ffff:127.0.0.1", "loopback (embedded"), ("2002:a9fe:a9fe::1", "link-local (embedded"),
    ("64:ff9b::a00:1", "private (embedded"), ("64:ff9b:1::7f00:1", "loopback (embedded"),
    ("::10.0.0.1", "ipv4-compatible"), ("2001::1", "teredo"),
])
def test_internal_addresses_are_refused(address, reason):
    assert (blocked_reason(ipaddress.ip_address(address)) or "").startswith(reason)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8",
                                     "2002:0808:0808::1", "64:ff9b::808:808"])
def test_public_addresses_pass(address):
    assert blocked_reason(ipaddress.ip_address(address)) is None


def test_allowed_networks_open_only_those_blocks():
    policy = AddressPolicy(allowed_networks=["10.1.0.0/16"])
    assert policy.refuse(ipaddress.ip_address("10.1.2.3")) is None
    assert policy.refuse(ipaddress.ip_address("10.2.0.1")) == "private"
    assert AddressPolicy(allow_private=True).refuse(ipaddress.ip_address("127.0.0.1")) is None


def test_ip_literals_are_checked():
    policy = AddressPolicy()
    for host in ("127.0.0.1", "[::1]", "::ffff:169.254.169.254", "fe80::1%eth0"):
        with pytest.raises(SsrfBlocked):
            check_host_literal(host, policy)
    check_host_literal("example.org", policy)  # names are checked after resolution, not here
    check_host_literal("93.184.216.34", policy)


def _resolve(resolver, host):
    async def go():
        return [await resolver.resolve(host, 80, socket.AF_UNSPEC) for _ in range(3)]
    return asyncio.run(go())


def test_resolver_looks_up_once_and_returns_the_checked_addresses():
    stub = StaticResolver({"site.test": ["93.184.216.34", "2606:2800:220:1::1"]})
    answers = _resolve(GuardedResolver(AddressPolicy(), stub), "site.test")
    assert stub.calls == ["site.test"]
    assert all([a["host"] for a in ans] == ["93.184.216.34", "2606:2800:220:1::1"] for ans in answers)
    assert all(a["port"] == 80 for ans in answers for a in ans)


@pytest.mark.parametrize("answer", [["10.0.0.1"], ["93.184.216.34", "127.0.0.1"], ["::ffff:10.0.0.1"]])
def test_resolver_refuses_a_host_with_any_internal_address(answer):
    stub = StaticResolver({"evil.test": answer})
    guard = GuardedResolver(AddressPolicy(), stub)

    async def go():
        for _ in range(2):
            with pytest.raises(SsrfBlocked):
                await guard.resolve("evil.test", 80)
    asyncio.run(go())
    assert stub.calls == ["evil.test"]  # the refusal is remembered, not looked up again


def test_failed_lookups_are_remembered():
    stub = StaticResolver({})
    guard = GuardedResolver(AddressPolicy(), stub)

    async def go():
        for _ in range(2):
            with pytest.raises(OSError):
                await guard.resolve("nowhere.test", 80)
    asyncio.run(go())
    assert stub.calls == ["nowhere.test"]
