"""PII: mask e-mail addresses, IP addresses and phone numbers in ``text``, counted per record and kind.

Regular expressions find candidates, then each is validated, so version numbers (1.2.3.4 after
"version"), dates, prices, ISBNs and years stay as they are:
- e-mail: local@domain.tld with a letters-only top-level domain; found from each "@" outwards, so a
  50 MB line costs one pass.
- IP: IPv4 and IPv6 parsed by ``ipaddress`` (leading zeros, 999.1.1.1 and ``a::b`` are not addresses);
  by default only public addresses are masked (datatrove's PIIFormatter default): 127.0.0.1,
  192.168.x.x or 2001:db8:: in a tutorial identify no one.
- phone: international numbers written with a leading "+" (8 to 15 digits, E.164), and North American
  numbers written with separators, (202) 555-0143 or 202-555-0143, whose area code and exchange
  start with 2-9 (NANP). Bare digit runs and national formats without "+" are left alone: without
  separators they are indistinguishable from order numbers and ids.
"""

from __future__ import annotations

import ipaddress
import re
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from curation.classifier import valid_text
from curation.errors import UserError
from curation.registry import register
from curation.stage import MapStage, Outcome, StageConfig

KINDS = ("emails", "ips", "phones")

# RE2 prefilter run by Arrow on the whole batch: only texts that may hold PII reach Python.
_CANDIDATE = r"@|\d\.\d{1,3}\.\d|::|[0-9A-Fa-f]:[0-9A-Fa-f]*:|\+\d|\d\)?[ .-]?\d{3}[ .-]\d{4}"

_DOMAIN = re.compile(r"@((?:[^\W_](?:[\w-]{0,61}[^\W_])?\.){1,8}[^\W\d_]{2,24})(?![\w-])")
# Numbers are ASCII digits (re.ASCII), as in the RE2 prefilter: the same text is masked the same way
# whatever else its document holds.
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)", re.ASCII)
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?(?![\w:])",
                   re.ASCII)
_VERSION_BEFORE = re.compile(r"\b(?:v|version|ver|release|build|rev|firmware|isbn)[\s:.#-]*$", re.IGNORECASE)
# "logo@2x.png" is a file name, not an address
_FILE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "css", "pdf", "html", "php"})
_INTL_PHONE = re.compile(r"(?<![\w+])\+[1-9]\d{0,2}(?:[ .-]?\(0\))?(?:[ .-]?\(?\d{1,5}\)?){2,7}(?!\w|[.,/-]?\d)",
                         re.ASCII)
_NANP_PHONE = re.compile(
    r"(?<![\w+$€£¥#./-])(?:1[ .-]?)?(?:\((\d{3})\)[ .-]?|(\d{3})[ .-])(\d{3})[ .-]\d{4}(?!\w|-|[.,/]\d)", re.ASCII)


class PIIConfig(StageConfig):
    emails: bool = Field(True, description="Mask e-mail addresses.")
    ip_addresses: bool = Field(True, description="Mask IPv4 and IPv6 addresses.")
    # datatrove's PIIFormatter (only_remove_public_ips=True): private, loopback and documentation
    # ranges name no person and fill networking tutorials.
    only_public_ips: bool = Field(True, description="Mask only globally routable addresses.")
    phone_numbers: bool = Field(True, description="Mask international (+CC) and North American phone numbers.")
    email_replacement: str = Field("<EMAIL>", description="What replaces an e-mail address.")
    ip_replacement: str = Field("<IP_ADDRESS>", description="What replaces an IP address.")
    phone_replacement: str = Field("<PHONE_NUMBER>", description="What replaces a phone number.")


def _local_char(c: str) -> bool:
    return c.isalnum() or c in "._%+-"  # RFC 6531 allows non-ASCII letters in the local part


def _emails(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _DOMAIN.finditer(text):
        if m.group(1).rsplit(".", 1)[1].lower() in _FILE_EXTENSIONS:
            continue
        at = m.start()
        start = at
        while start > 0 and at - start < 64 and _local_char(text[start - 1]):
            start -= 1
        if start > 0 and _local_char(text[start - 1]):
            continue  # a local part over 64 characters (RFC 5321): not an address
        while start < at and text[start] == ".":
            start += 1
        if start < at:
            spans.append((start, m.end()))
    return spans


def _ip_ok(candidate: str, only_public: bool) -> bool:
    try:
        addr = ipaddress.ip_address(candidate)
    except ValueError:
        return False
    inverse = ~int(addr) & ((1 << addr.max_prefixlen) - 1)
    if inverse & (inverse + 1) == 0:  # a netmask (ones then zeros): ffff:ffff::, 255.255.255.0
        return False
    return addr.is_global if only_public else not addr.is_unspecified


def _ips(text: str, only_public: bool) -> list[tuple[int, int]]:
    spans = []
    for m in _IPV4.finditer(text):
        if _ip_ok(m.group(), only_public) and not _VERSION_BEFORE.search(text, max(0, m.start() - 16), m.start()):
            spans.append(m.span())
    if "::" in text or text.count(":") >= 7:
        for m in _IPV6.finditer(text):
            s = m.group()
            # a digit, and two groups at least: "a::b" or "dead::beef" are more often code than addresses
            if any(c.isdigit() for c in s) and len([g for g in s.split(":") if g]) >= 2 and _ip_ok(s, only_public):
                spans.append(m.span())
    return spans


def _phones(text: str) -> list[tuple[int, int]]:
    spans = []
    if "+" in text:
        for m in _INTL_PHONE.finditer(text):
            s = m.group().replace("(0)", "")
            groups = re.findall(r"[0-9]+", s)
            digits = sum(len(g) for g in groups)
            if 8 <= digits <= 15 and sum(len(g) == 1 for g in groups[1:]) <= 1:
                spans.append(m.span())
    for m in _NANP_PHONE.finditer(text):
        area, exchange = m.group(1) or m.group(2), m.group(3)
        if area[0] not in "01" and exchange[0] not in "01" and not _VERSION_BEFORE.search(
                text, max(0, m.start() - 16), m.start()):
            spans.append(m.span())
    return spans


def _replace(text: str, spans: list[tuple[int, int]], token: str) -> tuple[str, int]:
    """The text with each span replaced by ``token``, and how many were replaced."""
    parts, pos, n = [], 0, 0
    for start, end in sorted(spans):
        if start >= pos:  # overlapping candidates (an IPv4 inside an IPv6) are masked once
            parts += [text[pos:start], token]
            pos = end
            n += 1
    parts.append(text[pos:])
    return "".join(parts), n


@register
class PII(MapStage):
    name = "pii"
    Config = PIIConfig
    summary = "Mask e-mail addresses, public IP addresses and phone numbers in text (counted per kind)."
    modifies_text: ClassVar[bool] = True

    def mask(self, text: str) -> tuple[str, dict[str, int]]:
        """The masked text and how many of each kind were masked (e-mails first: their digits and
        dots must not be read as phones or IPs)."""
        cfg = self.config
        counts = dict.fromkeys(KINDS, 0)
        steps = [("emails", cfg.emails, _emails, cfg.email_replacement),
                 ("ips", cfg.ip_addresses, lambda t: _ips(t, cfg.only_public_ips), cfg.ip_replacement),
                 ("phones", cfg.phone_numbers, _phones, cfg.phone_replacement)]
        for kind, enabled, find, token in steps:
            spans = find(text) if enabled else None
            if spans:
                text, counts[kind] = _replace(text, spans, token)
        return text, counts

    def process(self, table: pa.Table) -> Outcome:
        n = table.num_rows
        if "text" not in table.column_names:
            raise UserError(f"{self.ctx.label}: input has no `text` column; put `pii` after `extract`")
        text, repaired = valid_text(table.column("text")) if n else (table.column("text").combine_chunks(), 0)
        counts = {k: [0] * n for k in KINDS}
        if n:
            maybe = pc.fill_null(pc.match_substring_regex(text, _CANDIDATE), False)
            rows = pc.indices_nonzero(maybe).to_pylist()
            if rows:
                masked = []
                for i, value in zip(rows, pc.take(text, pa.array(rows)).to_pylist(), strict=True):
                    new, found = self.mask(value)
                    masked.append(new)
                    for k in KINDS:
                        counts[k][i] = found[k]
                text = pc.replace_with_mask(text, maybe, pa.array(masked, text.type))
        table = table.set_column(table.column_names.index("text"), "text", text)
        for k in KINDS:
            column = pa.array(counts[k], pa.int32())
            name = f"pii_{k}"
            if name in table.column_names:
                table = table.set_column(table.column_names.index(name), name, column)
            else:
                table = table.append_column(name, column)
        totals = {k: sum(v) for k, v in counts.items()}
        changed = sum(any(counts[k][i] for k in KINDS) for i in range(n))
        notes = {"pii": {**totals, "records_masked": changed}} if changed else {}
        if repaired:
            notes["invalid_utf8_repaired"] = repaired
        return Outcome(table, None, notes=notes)
