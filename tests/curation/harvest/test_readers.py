from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest
import zstandard

from curation.harvest import readers
from curation.harvest.readers import LineReader, open_dump
from curation.harvest.synth import compress

LINES = [b'{"n": 1, "t": "caf\xc3\xa9"}', b'{"n": 2, "t": "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"}',
         b'{"n": 3, "t": "\xf0\x9f\x98\x80"}'] * 50
DATA = b"".join(line + b"\n" for line in LINES)


def read_lines(path: Path) -> tuple[list[tuple[int, bytes]], LineReader]:
    reader = LineReader(str(path))
    out = []
    for block in reader:
        out += [(block.first_line + i, line) for i, line in enumerate(block.lines)]
    return out, reader


@pytest.mark.parametrize("compression", ["zstd", "xz", "bz2", "gzip", "plain"])
def test_every_compression_reads_the_same_lines(tmp_path: Path, compression: str) -> None:
    path = tmp_path / f"dump.{compression}"
    path.write_bytes(compress(DATA, compression))
    lines, reader = read_lines(path)
    assert [line for _, line in lines] == LINES
    assert [n for n, _ in lines] == list(range(1, len(LINES) + 1))
    assert reader.error is None


def test_long_window_zstd_frame(tmp_path: Path) -> None:
    data = compress(DATA, "zstd", long_window=True)
    with pytest.raises(zstandard.ZstdError, match="too much memory"):  # the fixture needs the big window
        zstandard.ZstdDecompressor().decompressobj().decompress(data)
    path = tmp_path / "RS_long.zst"
    path.write_bytes(data)
    assert [line for _, line in read_lines(path)[0]] == LINES


def test_several_zstd_frames(tmp_path: Path) -> None:
    path = tmp_path / "frames.zst"
    half = len(LINES) // 2
    first = b"".join(line + b"\n" for line in LINES[:half])
    path.write_bytes(compress(first) + compress(DATA[len(first):], long_window=True))
    assert [line for _, line in read_lines(path)[0]] == LINES


@pytest.mark.parametrize("compression", ["zstd", "gzip", "xz", "bz2"])
def test_truncated_stream_keeps_complete_lines_and_reports(tmp_path: Path, compression: str) -> None:
    rng = random.Random(0)
    many = [b'{"n": %d, "r": "%032x"}' % (i, rng.getrandbits(128)) for i in range(30000 if compression == "bz2" else 8000)]  # bz2 blocks hold 900 kB
    data = compress(b"".join(line + b"\n" for line in many), compression)
    path = tmp_path / f"cut.{compression}"
    path.write_bytes(data[: len(data) * 2 // 3])
    lines, reader = read_lines(path)
    assert reader.error is not None and "TruncatedInput" in reader.error
    assert 0 < len(lines) < len(many)
    complete = [line for _, line in lines[:-1]]
    assert complete == many[: len(complete)]  # everything before the cut is intact


def test_utf8_character_split_across_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 7-byte reads put read boundaries inside multi-byte characters all over the file
    monkeypatch.setattr(readers, "BLOCK_SIZE", 7)
    path = tmp_path / "dump.ndjson"
    path.write_bytes(DATA)
    lines, _ = read_lines(path)
    assert [line for _, line in lines] == LINES
    assert all(line.decode("utf-8") for _, line in lines)


def test_blank_lines_and_missing_final_newline_keep_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "dump.ndjson"
    path.write_bytes(b'{"a": 1}\n\n  \n{"a": 2}\n{"a": 3}')
    lines, _ = read_lines(path)
    assert lines == [(1, b'{"a": 1}'), (2, b""), (3, b"  "), (4, b'{"a": 2}'), (5, b'{"a": 3}')]


def test_empty_file(tmp_path: Path) -> None:
    for name, data in [("empty.zst", compress(b"")), ("empty.ndjson", b"")]:
        path = tmp_path / name
        path.write_bytes(data)
        lines, reader = read_lines(path)
        assert lines == [] and reader.error is None


def test_overlong_line_is_cut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_LINE", 100)
    monkeypatch.setattr(readers, "BLOCK_SIZE", 16)
    path = tmp_path / "array.json"
    path.write_bytes(b"[" + b'{"a": 1},' * 200 + b"]\n" + b'{"a": 2}\n')
    lines, _ = read_lines(path)
    assert len(lines) == 2 and len(lines[0][1]) <= 1024 and lines[1] == (2, b'{"a": 2}')


def test_open_dump_is_a_file_object(tmp_path: Path) -> None:
    path = tmp_path / "d.zst"
    path.write_bytes(compress(DATA))
    with open_dump(str(path)) as f:
        assert f.read(5) == DATA[:5]
        assert f.read() == DATA[5:]


def test_read_ahead_thread_stops_when_the_reader_stops_early(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "READ_SIZE", 64)  # many small chunks: the thread fills its queue
    path = tmp_path / "d.zst"
    path.write_bytes(compress(DATA * 20))
    reader = iter(LineReader(str(path)))
    next(reader)
    time.sleep(0.2)
    reader.close()  # must not hang on the thread's full queue
    assert [t for t in threading.enumerate() if t.name == "decompress"] == []


def test_same_lines_without_read_ahead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "READ_AHEAD", 0)
    path = tmp_path / "d.zst"
    path.write_bytes(compress(DATA))
    assert [line for _, line in read_lines(path)[0]] == LINES
