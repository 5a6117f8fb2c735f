"""robots.txt rules per origin (RFC 9309), parsed by protego (the parser Scrapy uses).

How a robots.txt fetch is read (RFC 9309 section 2.3.1):
- 2xx: the rules apply (the first ``ROBOTS_MAX_BYTES`` of the file; the RFC asks parsers for at least 500 KiB);
- 4xx ("unavailable"): the crawler may fetch anything;
- 5xx, 429, timeouts, connection errors ("unreachable"): the host is deferred and robots.txt retried later;
  when it stays unreachable, every URL of the origin is dropped as ``robots_unavailable`` (the RFC's
  "complete disallow"; robots.txt rules are per origin: scheme, host and port).
"""

from __future__ import annotations

from dataclasses import dataclass

from protego import Protego

ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 2.5: parse at least the first 500 kibibytes


@dataclass
class RobotsRules:
    """Rules of one origin; ``parser`` None means everything is allowed."""

    parser: Protego | None = None

    def allowed(self, url: str, agent: str) -> bool:
        return self.parser is None or self.parser.can_fetch(url, agent)

    def crawl_delay(self, agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(agent)
        return float(delay) if delay is not None else None


ALLOW_ALL = RobotsRules(None)


def parse_robots(body: bytes) -> RobotsRules:
    text = body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
    return RobotsRules(Protego.parse(text))


def agent_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against: ``MyBot`` of ``MyBot/1.0 (+url)``."""
    return user_agent.split("/", 1)[0].split(None, 1)[0] if user_agent.strip() else "*"


def origin_of(scheme: str, host: str, port: int | None) -> str:
    """``scheme://host[:port]``, the port only if not the scheme's default; IPv6 hosts in brackets."""
    default = {"http": 80, "https": 443}.get(scheme)
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != default else "")
