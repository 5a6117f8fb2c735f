"""The WARC reader on damaged files: whatever the damage, the complete records before it are yielded
whole, a counted error says where it stopped, and nothing raises."""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

import pytest

from curation.testing import article_html, write_warc
from curation.warc import WarcReadErrors, iter_responses

PAGES = [(f"http://a.test/{i}", 200, [("Content-Type", "text/html; charset=utf-8")], article_html(i).encode())
         for i in range(6)]


@pytest.fixture(scope="module")
def warc(tmp_path_factory) -> bytes:
    return write_warc(tmp_path_factory.mktemp("w") / "a.warc.gz", PAGES).read_bytes()


def _members(data: bytes) -> list[int]:
    """End offsets of the gzip members (one per record)."""
    ends, pos = [], 0
    while pos < len(data):
        d = zlib.decompressobj(31)
        d.decompress(data[pos:])
        pos = len(data) - len(d.unused_data)
        ends.append(pos)
    return ends


def _read(path: Path) -> tuple[list, WarcReadErrors]:
    errors = WarcReadErrors()
    return list(iter_responses(str(path), 10_000_000, errors)), errors


def test_a_file_cut_anywhere_keeps_the_whole_records_before_the_cut_and_counts_the_cut(warc, tmp_path: Path):
    ends = _members(warc)
    path = tmp_path / "cut.warc.gz"
    for cut in range(1, len(warc), 7):  # in the gzip header, the WARC headers, the body, the gzip trailer
        path.write_bytes(warc[:cut])
        out, errors = _read(path)
        complete = sum(e <= cut for e in ends)
        # a record whose body is whole but whose gzip trailer (CRC, size) is cut may come out too
        assert len(out) in (complete, complete + 1), cut
        assert [(r.url, r.body) for r in out] == [(u, b) for u, _, _, b in PAGES[:len(out)]], cut
        assert errors.counts == ({} if cut in ends else {"truncated_or_corrupt": 1}), cut


def test_an_uncompressed_file_cut_inside_a_record_counts_the_cut(warc, tmp_path: Path):
    raw = gzip.decompress(warc)
    path = tmp_path / "cut.warc"
    for cut in range(200, len(raw), 97):
        path.write_bytes(raw[:cut])
        out, errors = _read(path)
        assert [(r.url, r.body) for r in out] == [(u, b) for u, _, _, b in PAGES[:len(out)]], cut
        assert errors.counts == {"truncated_or_corrupt": 1}, cut


def test_a_record_without_a_target_uri_is_counted_not_raised(warc, tmp_path: Path):
    raw = gzip.decompress(warc)
    second = raw.index(b"WARC/1.1", 10)
    damaged = raw[:second] + raw[second:].replace(b"WARC-Target-URI", b"WARC-Target-UXX", 1)
    (tmp_path / "d.warc").write_bytes(damaged)
    out, errors = _read(tmp_path / "d.warc")
    assert [r.url for r in out] == ["http://a.test/0"]
    assert errors.counts == {"truncated_or_corrupt": 1}
    assert "AttributeError" in errors.examples[0]


@pytest.mark.parametrize("where", [30, 200, -12])  # in the WARC headers, in the body, in the gzip trailer
def test_reading_goes_on_at_the_next_record_after_a_damaged_one(warc, tmp_path: Path, where: int):
    ends = _members(warc)
    damaged = bytearray(warc)
    offset = ends[1] + where if where > 0 else ends[2] + where  # inside the third record's gzip member
    for k in range(4):
        damaged[offset + k] ^= 0xFF
    (tmp_path / "d.warc.gz").write_bytes(bytes(damaged))
    out, errors = _read(tmp_path / "d.warc.gz")
    assert [(r.url, r.body) for r in out] == [(u, b) for u, _, _, b in PAGES[:2] + PAGES[3:]]
    assert errors.counts == {"truncated_or_corrupt": 1, "resumed_after_damage": 1}
    assert f"@ {ends[1]}:" in errors.examples[0]  # where the damaged record starts


@pytest.mark.parametrize("gzipped", [True, False])
def test_a_record_longer_than_its_content_length_is_counted_and_marked_truncated(warc, tmp_path: Path, gzipped):
    ends = _members(warc)
    second = gzip.decompress(warc[ends[0]:ends[1]])
    length = int(re.search(rb"Content-Length: (\d+)", second).group(1))
    short = second.replace(b"Content-Length: %d" % length, b"Content-Length: %d" % (length - 50), 1)
    if gzipped:
        data = warc[:ends[0]] + gzip.compress(short) + warc[ends[1]:]
    else:
        data = gzip.decompress(warc[:ends[0]]) + short + gzip.decompress(warc[ends[1]:])
    path = tmp_path / ("s.warc.gz" if gzipped else "s.warc")
    path.write_bytes(data)
    out, errors = _read(path)
    assert [r.url for r in out] == [u for u, _, _, _ in PAGES]
    assert [r.truncated for r in out] == [False, True] + [False] * (len(PAGES) - 2)
    assert out[1].body == PAGES[1][3][:-50]
    assert errors.counts == {"length_mismatch": 1}


def test_a_target_uri_in_angle_brackets_is_read_as_the_uri(warc, tmp_path: Path):
    raw = gzip.decompress(warc).replace(b"WARC-Target-URI: http://a.test/0\r\n", b"WARC-Target-URI: <http://a.test/0>\r\n")
    (tmp_path / "b.warc").write_bytes(raw)
    out, errors = _read(tmp_path / "b.warc")
    assert [r.url for r in out] == [u for u, _, _, _ in PAGES] and errors.counts == {}
