"""Domain and extension blocklists: the bundled ones (``lists/*.txt``) plus the user's.

A domain entry blocks that host and every subdomain of it (``wikipedia.org`` blocks
``en.m.wikipedia.org``); the entry that matched is what the report counts. An extension entry blocks
URLs whose last path segment ends in it (``/cat.JPG``, case-insensitive; the query is not looked at).
List files hold one entry per line; ``#`` starts a comment.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass, field

from curation.errors import UserError
from curation.urls import normalize_host

DOMAIN_LISTS = ("wikipedia", "media", "social")
EXTENSION_LISTS = ("images", "audio", "video", "archives", "documents", "binaries")


def _read_entries(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            out.append(entry)
    return out


def bundled(kind: str, name: str) -> list[str]:
    """Entries of a bundled list: ``bundled("domains", "wikipedia")``, ``bundled("ext", "images")``."""
    path = importlib.resources.files("curation.harvest") / "lists" / f"{kind}-{name}.txt"
    return _read_entries(path.read_text(encoding="utf-8"))


def read_list_file(path: str, where: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as f:
            return _read_entries(f.read())
    except OSError as e:
        raise UserError(f"{where}: cannot read blocklist file {path!r} ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise UserError(f"{where}: blocklist file {path!r} is not UTF-8 text") from None


def _domain(entry: str, where: str) -> str:
    entry = entry.strip().lower()
    if "://" in entry:
        entry = entry.split("://", 1)[1]
    entry = entry.split("/", 1)[0].lstrip("*.").removeprefix(".")
    try:
        return normalize_host(entry)
    except ValueError as e:
        raise UserError(f"{where}: {entry!r} is not a domain ({e})") from None


@dataclass(frozen=True)
class Blocklist:
    domains: frozenset[str]
    extensions: frozenset[str]
    # host -> blocking entry (or None): a dump links to far fewer hosts than URLs
    _hosts: dict[str, str | None] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @staticmethod
    def build(domain_lists: list[str], extension_lists: list[str], domains: list[str], extensions: list[str],
              domain_files: list[str], extension_files: list[str], where: str) -> Blocklist:
        for name in domain_lists:
            if name not in DOMAIN_LISTS:
                raise UserError(f"{where}.domain_lists: unknown list {name!r}; bundled: {', '.join(DOMAIN_LISTS)}")
        for name in extension_lists:
            if name not in EXTENSION_LISTS:
                raise UserError(f"{where}.extension_lists: unknown list {name!r}; "
                                f"bundled: {', '.join(EXTENSION_LISTS)}")
        dom = [e for n in domain_lists for e in bundled("domains", n)] + list(domains)
        for path in domain_files:
            dom += read_list_file(path, f"{where}.domain_files")
        ext = [e for n in extension_lists for e in bundled("ext", n)] + list(extensions)
        for path in extension_files:
            ext += read_list_file(path, f"{where}.extension_files")
        return Blocklist(frozenset(_domain(d, f"{where}.domains") for d in dom),
                         frozenset(e.strip().lower().lstrip(".") for e in ext if e.strip(".")))

    def blocked_domain(self, host: str) -> str | None:
        """The entry that blocks ``host`` (a normalized host), or None."""
        hosts = self._hosts
        if host in hosts:
            return hosts[host]
        if len(hosts) >= 1 << 16:
            hosts.clear()
        hosts[host] = entry = self._blocked_domain(host)
        return entry

    def _blocked_domain(self, host: str) -> str | None:
        domains = self.domains
        h = host
        while True:
            if h in domains:
                return h
            dot = h.find(".")
            if dot < 0:
                return None
            h = h[dot + 1:]

    def blocked_extension(self, path: str) -> str | None:
        """The extension that blocks a URL path (no query), or None."""
        dot = path.rfind(".")
        if dot < 0 or dot < path.rfind("/"):  # no dot in the last segment
            return None
        ext = path[dot + 1:].lower()
        return ext if ext in self.extensions else None
