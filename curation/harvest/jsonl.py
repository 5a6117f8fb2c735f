"""NDJSON dumps -> post tables, decoding only the fields a post needs.

msgspec decodes a block of lines in a few calls (``decode_lines``, ~1 MiB each) straight into typed
structs, skipping every other field without building it: several times faster than ``json.loads`` on 3 KB
Reddit records. A block with a bad line is decoded again line by line: a line that fails on a type
(``"score": "12"``, the string ``created_utc`` of some Pushshift months) is decoded leniently and
counted as ``coerced``; a line that is not valid UTF-8 is decoded with the bad bytes replaced
(``invalid_utf8``); what still fails is malformed, with msgspec's message (``Expected `int`, got `str`
- at `$.score```) kept for the report. Missing required fields are found in Arrow, after the fact.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from curation.harvest.posts import MAX_PROBLEMS, Parsed, build_table, epoch_seconds, raw_text
from curation.harvest.readers import LineBlock


class RedditSubmission(msgspec.Struct, gc=False):
    """The fields of a Pushshift / Arctic Shift ``RS_*`` record that harvesting uses."""

    url: str | None = None
    score: int | None = None
    id: str | None = None
    subreddit: str | None = None
    over_18: bool | None = None
    is_self: bool | None = None
    created_utc: float | None = None
    title: str | None = None


class HNItem(msgspec.Struct, gc=False):
    """A Hacker News item as the official API and its dumps write it."""

    id: int | str | None = None
    type: str | None = None
    url: str | None = None
    score: int | None = None
    time: float | None = None
    title: str | None = None
    dead: bool | None = None
    deleted: bool | None = None


Columns = dict[str, Any]
Checker = Callable[[Any], str | None]  # a decoded item -> pre-decided drop reason ("!msg" = malformed)

# msgspec holds the GIL for a whole call. Decoding a block (~13 MB of lines, ~13 ms) in one call kept the
# read-ahead thread, which takes the GIL back a few times per chunk between stretches of decompressing
# without it, waiting that long each time: 3-4.7 s of its 9-11 s per 1M benchmark records. Slices of
# about 1 MiB with the GIL offered in between (time.sleep(0) releases it) keep decompression beside parsing.
DECODE_SLICE = 1 << 20


def _decode_lines(decoder: msgspec.json.Decoder, block: LineBlock) -> list:
    """``decoder.decode_lines`` of the block's bulk (not its head), in slices cut after a newline."""
    buf, pos, end = block.buf, block.start, block.end
    if end - pos <= DECODE_SLICE:
        return decoder.decode_lines(block.view)
    view = memoryview(buf)
    items: list = []
    while pos < end:
        cut = buf.find(b"\n", min(pos + DECODE_SLICE, end) - 1, end) + 1 or end
        items += decoder.decode_lines(view[pos:cut])
        time.sleep(0)  # let a waiting read-ahead thread have the GIL
        pos = cut
    return items


def _reddit_columns(items: list[RedditSubmission]) -> Columns:
    return {
        "post_id": [p.id for p in items],
        "url": [p.url for p in items],
        "score": [p.score for p in items],
        "subreddit": [p.subreddit for p in items],
        "over_18": [p.over_18 for p in items],
        "is_self": [p.is_self for p in items],
        "created": epoch_seconds([p.created_utc for p in items]),
        "title": [p.title for p in items],
    }


def _hn_columns(items: list[HNItem]) -> Columns:
    return {
        "post_id": [None if p.id is None else str(p.id) for p in items],
        "url": [p.url for p in items],
        "score": [p.score for p in items],
        "is_self": [p.url is None for p in items],  # Ask HN and other text posts have no url
        "created": epoch_seconds([p.time for p in items]),
        "title": [p.title for p in items],
    }


def _hn_check(p: HNItem) -> str | None:
    if p.deleted or p.dead:
        return "removed"
    if p.type is not None and p.type != "story":
        return "not_story"
    return None


class JsonLinesFormat:
    """Decode blocks of NDJSON lines of one format into ``Parsed`` post batches."""

    def __init__(self, name: str, struct: type, columns: Callable[[list], Columns], check: Checker | None,
                 required: dict[str, str]):
        self.name = name
        self._struct = struct
        self._columns = columns
        self._check = check  # per-record Python: only for what Arrow cannot see in the post columns
        self._required = required  # post column -> field name in the dump; null = malformed

    def _decoders(self) -> tuple[msgspec.json.Decoder, msgspec.json.Decoder]:
        if "_dec" not in self.__dict__:
            self._dec = (msgspec.json.Decoder(self._struct), msgspec.json.Decoder(self._struct, strict=False))
        return self._dec

    def _line_by_line(self, lines: list[bytes], bad: dict[int, str], blank: list[int],
                      counts: dict[str, int]) -> list:
        strict, lenient = self._decoders()
        empty = self._struct()
        items: list = []
        append = items.append
        for line in lines:
            try:
                append(strict.decode(line))
            except (msgspec.DecodeError, UnicodeDecodeError) as e:
                if not line.strip():
                    blank.append(len(items))
                    append(empty)
                    continue
                item, outcome = _retry(line, e, lenient)
                if item is None:
                    bad[len(items)] = outcome
                    append(empty)
                else:
                    counts[outcome] += 1
                    append(item)
        return items

    def parse(self, block: LineBlock, source_file: str) -> Parsed:
        strict = self._decoders()[0]
        bad: dict[int, str] = {}  # row index -> message
        blank: list[int] = []
        counts = {"coerced": 0, "invalid_utf8": 0, "blank_lines": 0}
        lines: list[bytes] | None = None
        try:  # the fast path: the whole block in a few calls (they fail on the first bad line)
            items = _decode_lines(strict, block)
            if block.head:
                items.insert(0, strict.decode(block.head))
            if len(items) != block.n_lines:  # decode_lines skips blank lines
                raise msgspec.DecodeError("blank lines")
        except (msgspec.DecodeError, UnicodeDecodeError):
            lines = block.lines
            items = self._line_by_line(lines, bad, blank, counts)
        n = len(items)
        reasons: list[str | None] = [None] * n
        for i in bad:
            reasons[i] = "malformed"
        skip = set(blank)
        if self._check is not None:
            for i, p in enumerate(items):
                if i in skip or i in bad:
                    continue
                r = self._check(p)
                if r is not None:
                    if r[0] == "!":
                        bad[i] = r[1:]
                        r = "malformed"
                    reasons[i] = r
        table = build_table(self._columns(items), source_file, range(block.first_line, block.first_line + n))
        for column, key in self._required.items():  # in Arrow: no per-record Python on good blocks
            missing = pc.indices_nonzero(pc.is_null(table.column(column))).to_pylist()
            for i in missing:
                if reasons[i] is None and i not in skip:  # a removed HN item has no score: it stays removed
                    bad[i], reasons[i] = f"missing field `{key}`", "malformed"
        if bad:
            lines = lines if lines is not None else block.lines
            raw = [None] * n
            for i in bad:
                raw[i] = raw_text(lines[i])
            table = table.set_column(table.schema.get_field_index("raw"), "raw", pa.array(raw, pa.string()))
        if blank:
            counts["blank_lines"] = len(blank)
            keep = [i for i in range(n) if i not in skip]
            table = table.take(pa.array(keep, pa.int64()))
            reasons = [reasons[i] for i in keep]
            remap = {old: new for new, old in enumerate(keep)}
            bad = {remap[i]: m for i, m in bad.items()}
        line_nos = table.column("line_no")
        problems = [(line_nos[i].as_py(), m) for i, m in sorted(bad.items())[:MAX_PROBLEMS]]
        return Parsed(table, reasons, problems, counts)


def _retry(line: bytes, error: Exception, lenient: msgspec.json.Decoder) -> tuple[Any, str]:
    """Decode a line that failed strict decoding: (item, "coerced" | "invalid_utf8") or (None, message).

    Lenient decoding converts values of the wrong type where that is lossless (``"12"`` -> 12);
    invalid UTF-8 is replaced by U+FFFD. Either is counted; a line that still fails is malformed.
    """
    fixed = _repair_utf8(line)
    try:
        item = lenient.decode(line if fixed is None else fixed)
    except (msgspec.DecodeError, UnicodeDecodeError) as e:
        if fixed is None and isinstance(error, UnicodeDecodeError):
            return None, f"invalid UTF-8: {error}"
        return None, str(error if fixed is None else e)
    return item, "coerced" if fixed is None else "invalid_utf8"


def _repair_utf8(line: bytes) -> bytes | None:
    """The line with invalid UTF-8 replaced by U+FFFD, or None if it was valid UTF-8."""
    try:
        line.decode("utf-8")
        return None
    except UnicodeDecodeError:
        return line.decode("utf-8", "replace").encode("utf-8")


def generic_struct(columns: dict[str, str | None]) -> type:
    """A struct reading the user's column names (``columns``: post field -> JSON key)."""
    types = {"url": str | None, "score": int | None, "source": str | None, "time": float | str | None,
             "title": str | None, "id": int | str | None, "nsfw": bool | None, "self_post": bool | None}
    fields = [(name, types[name], None) for name in types if columns.get(name)]
    rename = {name: columns[name] for name, _, _ in fields}
    return msgspec.defstruct("GenericPost", fields, rename=rename, gc=False)


def generic_format(columns: dict[str, str | None]) -> JsonLinesFormat:
    from curation.harvest.tabular import parse_time, parse_times

    present = {k for k, v in columns.items() if v}

    def to_columns(items: list) -> Columns:
        def col(name: str) -> list:
            return [getattr(p, name) for p in items] if name in present else [None] * len(items)

        return {
            "post_id": [None if v is None else str(v) for v in col("id")],
            "url": col("url"),
            "score": col("score"),
            "subreddit": col("source"),
            "over_18": col("nsfw"),
            "is_self": col("self_post"),
            "created": parse_times(col("time")),
            "title": col("title"),
        }

    def check(p: Any) -> str | None:
        if isinstance(p.time, str) and parse_time(p.time) is None:
            return f"!`{columns['time']}`: {p.time[:40]!r} is neither Unix seconds nor ISO 8601"
        return None

    required = {"url": columns["url"], **({"score": columns["score"]} if "score" in present else {})}
    return JsonLinesFormat("jsonl", generic_struct(columns), to_columns, check if "time" in present else None,
                           required)


PUSHSHIFT = JsonLinesFormat("pushshift", RedditSubmission, _reddit_columns, None, {"url": "url", "score": "score"})
HN = JsonLinesFormat("hn", HNItem, _hn_columns, _hn_check, {"score": "score"})
