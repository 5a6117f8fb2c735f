"""WARC records: written with digests, read back by offset, rotated, and cut back on resume."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from curation.fetch.archive import WarcArchive, WarcReader
from curation.fetch.client import Exchange


def _exchange(i: int, body: bytes = b"<html>hello</html>", **kw) -> Exchange:
    return Exchange(f"http://a.test/{i}", status=200, reason="OK", date=1_700_000_000.0 + i, peer="127.0.0.1",
                    headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Content-Length", "12")],
                    request_headers=[("Host", "a.test"), ("User-Agent", "test/1")], body=body, **kw)


def _check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)], capture_output=True, text=True)


def test_records_read_back_by_offset_with_decoded_body_headers(tmp_path: Path):
    archive = WarcArchive(tmp_path / "warc", "part-00000", tmp_path, max_bytes=10**9, info={"software": "t"})
    refs = [archive.write(_exchange(i, f"<html>{i}</html>".encode()), f"/{i}") for i in range(3)]
    archive.close()
    assert refs[0].file == "warc/part-00000-00000.warc.gz" and refs[0].offset > 0  # after the warcinfo record
    reader = WarcReader(tmp_path)
    http, body = reader.read(refs[2].file, refs[2].offset)
    assert body == b"<html>2</html>"
    headers = dict(http)
    assert headers["Content-Length"] == str(len(body))
    assert headers["X-Crawler-Content-Encoding"] == "gzip" and "Content-Encoding" not in headers
    with open(tmp_path / refs[0].file, "rb") as f:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Concurrent-To"), r.http_headers,
                    r.content_stream().read()) for r in ArchiveIterator(f)]
    assert [r[0] for r in records] == ["warcinfo"] + ["response", "request"] * 3
    assert records[2][1] == refs[0].record_id  # the request points at its response
    assert records[1][2].get_statuscode() == "200" and records[1][3] == b"<html>0</html>"  # warcio reads it too
    assert records[2][2].protocol == "GET" and records[2][2].get_header("User-Agent") == "test/1"
    assert _check(tmp_path / refs[0].file).returncode == 0


def test_truncated_and_skipped_bodies_are_marked(tmp_path: Path):
    archive = WarcArchive(tmp_path / "warc", "p", tmp_path, max_bytes=10**9, info={})
    a = archive.write(_exchange(0, truncated=True), "/0")
    b = archive.write(_exchange(1, body=b"", body_skipped=True), "/1")
    archive.close()
    with open(tmp_path / a.file, "rb") as f:
        marks = [r.rec_headers.get_header("WARC-Truncated") for r in ArchiveIterator(f) if r.rec_type == "response"]
    assert marks == ["length", "unspecified"] and b.offset > a.offset


def test_files_rotate_at_max_bytes(tmp_path: Path):
    archive = WarcArchive(tmp_path / "warc", "part-00001", tmp_path, max_bytes=1_000_000, info={})
    big = random.Random(0).randbytes(1_000_000)  # incompressible: ~1 MB per record
    refs = [archive.write(_exchange(i, big), "/") for i in range(3)]
    archive.close()
    assert [r.file for r in refs] == [f"warc/part-00001-0000{n}.warc.gz" for n in (0, 1, 2)]


def test_recover_cuts_unvouched_records_and_resumes_in_a_new_file(tmp_path: Path):
    archive = WarcArchive(tmp_path / "warc", "part-00000", tmp_path, max_bytes=10**9, info={})
    first = archive.write(_exchange(0), "/0")
    archive.write(_exchange(1), "/1")
    archive.close()
    path = tmp_path / first.file
    with open(path, "ab") as f:
        f.write(b"\x1f\x8b\x08\x00half a record")  # a kill in the middle of a write
    assert _check(path).returncode != 0
    fresh = WarcArchive(tmp_path / "warc", "part-00000", tmp_path, max_bytes=10**9, info={})
    removed = fresh.recover({first.file: first.end})  # the journal vouches for the first exchange only
    assert removed > 0 and path.stat().st_size == first.end and _check(path).returncode == 0
    nxt = fresh.write(_exchange(2), "/2")
    fresh.close()
    assert nxt.file == "warc/part-00000-00001.warc.gz"
    assert WarcReader(tmp_path).read(first.file, first.offset)[1] == b"<html>hello</html>"


def test_record_ids_and_digests_are_what_the_standard_library_makes():
    import base64
    import hashlib
    import uuid

    from curation.fetch import archive as module

    rng = random.Random(0)
    for _ in range(200):
        data = rng.randbytes(rng.randint(0, 100))
        assert module._digest(data) == "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()
        rid = module._record_id()
        u = uuid.UUID(rid.removeprefix("<urn:uuid:").removesuffix(">"))
        assert rid == f"<urn:uuid:{u}>" and u.version == 4 and u.variant == uuid.RFC_4122


def test_plain_zlib_fallback_writes_the_same_format(tmp_path: Path, monkeypatch):
    import zlib

    from curation.fetch import archive as module

    monkeypatch.setattr(module, "_deflate", zlib)
    monkeypatch.setattr(module, "GZIP_LEVEL", 1)
    archive = WarcArchive(tmp_path / "warc", "p", tmp_path, max_bytes=10**9, info={"software": "t"})
    ref = archive.write(_exchange(0, b"<html>zlib</html>"), "/0")
    archive.close()
    assert WarcReader(tmp_path).read(ref.file, ref.offset)[1] == b"<html>zlib</html>"
    assert _check(tmp_path / ref.file).returncode == 0
