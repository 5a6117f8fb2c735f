"""SSRF guard: links come from strangers, so the fetcher must not be steered at the machine it runs on
or at its network (cloud metadata at 169.254.169.254, routers, databases on 10.x).

Every host is resolved once per shard task by ``GuardedResolver``; all of its addresses are checked and
only checked addresses are handed to aiohttp, which connects to exactly those (no second lookup, so a
DNS answer that changes between check and connect -- DNS rebinding -- cannot slip through). IP
literals in URLs never reach a resolver in aiohttp, so ``check_host_literal`` checks them first.
A host with any blocked address is refused whole: a public name that also answers with a private
address is an attack more often than a configuration.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598 shared address space (carrier-grade NAT)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))  # RFC 6052, 8215
_V4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible IPv6 (RFC 4291 2.5.5.1)


class SsrfBlocked(OSError):
    """The host resolves to (or is) an address the guard refuses."""


def blocked_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` may not be contacted (``"loopback"``, ``"private"``, ...), or None if it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and any(ip in net for net in _NAT64):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            reason = blocked_reason(embedded)
            return f"{reason} (embedded in {ip})" if reason else None
        if ip in _V4_COMPATIBLE and not ip.is_unspecified and not ip.is_loopback:
            return "ipv4-compatible"
        if ip.teredo:
            return "teredo"
    for reason, hit in (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback),
                        ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
                        ("cgnat", isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT),
                        ("private", ip.is_private), ("reserved", ip.is_reserved)):
        if hit:
            return reason
    # is_global also excludes documentation, benchmarking and other special-purpose blocks (IANA).
    return None if ip.is_global else "special-purpose"


class AddressPolicy:
    """Which addresses may be contacted: public ones, plus ``allowed_networks`` (CIDRs an intranet
    crawl or a test opts into), or every address with ``allow_private``."""

    def __init__(self, allow_private: bool = False, allowed_networks: Iterable[str] = ()):
        self.allow_private = allow_private
        self.allowed = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]

    def refuse(self, ip: IPAddress) -> str | None:
        if self.allow_private or any(ip in net for net in self.allowed if ip.version == net.version):
            return None
        return blocked_reason(ip)


def parse_ip(host: str) -> IPAddress | None:
    """The address if ``host`` is an IP literal (``[::1]``, ``fe80::1%eth0``), else None."""
    host = host.strip("[]").split("%", 1)[0]
    if ":" not in host and not host.replace(".", "").isdigit():
        return None  # a name (the common case; ip_address() would raise, slowly)
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_host_literal(host: str, policy: AddressPolicy) -> None:
    """Raise ``SsrfBlocked`` if ``host`` is an IP literal the policy refuses."""
    ip = parse_ip(host)
    if ip is not None and (reason := policy.refuse(ip)):
        raise SsrfBlocked(f"{host}: {reason} address")


class GuardedResolver(AbstractResolver):
    """Resolve each host once (per resolver, i.e. per shard task), refuse blocked addresses, and
    return the checked addresses for every later connection to that host.

    Failures are remembered too: a host whose lookup failed fails again at once, without another query.
    """

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None, timeout: float = 10.0):
        self.policy = policy
        self._inner = inner
        self._timeout = timeout
        self._answers: dict[str, asyncio.Future[list[ResolveResult]]] = {}
        self.lookups = 0

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        key = host.lower().rstrip(".")
        fut = self._answers.get(key)
        if fut is None:
            fut = asyncio.ensure_future(self._lookup(host))
            self._answers[key] = fut
        try:
            answers = await asyncio.shield(fut)
        except SsrfBlocked as e:
            raise SsrfBlocked(*e.args) from None
        except OSError as e:  # a fresh exception per caller: the cached one would grow its traceback
            raise OSError(e.errno, e.strerror or str(e)) from None
        out = [{**a, "port": port} for a in answers if family in (0, socket.AF_UNSPEC) or a["family"] == family]
        if not out:
            raise OSError(None, f"{host}: no address of the requested family")
        return out

    async def _lookup(self, host: str) -> list[ResolveResult]:
        self.lookups += 1
        if self._inner is None:
            self._inner = ThreadedResolver()  # getaddrinfo in the loop's thread pool
        try:
            answers = await asyncio.wait_for(self._inner.resolve(host, 0, socket.AF_UNSPEC), self._timeout)
        except TimeoutError:
            raise OSError(None, f"{host}: DNS lookup timed out after {self._timeout:g} s") from None
        if not answers:
            raise OSError(None, f"{host}: no address")
        for a in answers:
            ip = parse_ip(a["host"])
            if ip is None:
                raise SsrfBlocked(f"{host}: resolver returned a non-address {a['host']!r}")
            if reason := self.policy.refuse(ip):
                raise SsrfBlocked(f"{host} resolves to {ip}: {reason} address")
        return answers

    async def close(self) -> None:
        if self._inner is not None:
            await self._inner.close()


class StaticResolver(AbstractResolver):
    """Answers from a fixed table ``{name: [address, ...]}`` (like /etc/hosts); other names go to
    the resolver ``fallback()`` builds (on first use, inside the event loop), or fail. For intranet and
    air-gapped crawls, tests and benchmarks."""

    def __init__(self, table: dict[str, list[str]], fallback: Callable[[], AbstractResolver] | None = None):
        self.table = {k.lower().rstrip("."): v for k, v in table.items()}
        self._fallback_factory = fallback
        self.fallback: AbstractResolver | None = None
        self.calls: list[str] = []

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        self.calls.append(host)
        addresses = self.table.get(host.lower().rstrip("."))
        if not addresses and self._fallback_factory is not None:
            self.fallback = self.fallback or self._fallback_factory()
            return await self.fallback.resolve(host, port, family)
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, f"{host}: name not known")
        out: list[dict[str, Any]] = []
        for a in addresses:
            ip = ipaddress.ip_address(a)
            fam = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
            out.append({"hostname": host, "host": str(ip), "port": port, "family": fam, "proto": 0,
                        "flags": socket.AI_NUMERICHOST | socket.AI_NUMERICSERV})
        return out  # type: ignore[return-value]

    async def close(self) -> None:
        if self.fallback is not None:
            await self.fallback.close()
