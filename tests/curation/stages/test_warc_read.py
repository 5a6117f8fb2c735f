from pathlib import Path

from curation.config import parse_pipeline
from curation.report import build_report
from curation.runner import Runner, RunOptions
from curation.shards import read_table


def _read(warc_dir: Path, run_dir: Path):
    cfg = parse_pipeline({"name": "w", "stages": [{"stage": "warc_read", "inputs": [str(warc_dir / "*")]}]})
    Runner(cfg, run_dir).run(RunOptions(workers=1, progress=False))
    return read_table(run_dir / "01-warc_read" / "part-00000.arrow"), build_report(run_dir)["stages"][0]


def test_every_response_is_a_page_whatever_its_headers_say(make_warc, tmp_path: Path):
    body = b"<html><body><p>hello</p></body></html>"
    make_warc(tmp_path / "w" / "a.warc.gz", [
        ("http://a.example/", 200, [("Content-Type", "text/html")], body),
        ("http://b.example/", 200, [("Content-Type", "text/plain")], body),
        ("http://c.example/", 200, [("Content-Type", "application/octet-stream")], body),
        ("http://d.example/", 200, [], body),
        ("http://e.example/", 200, [("Content-Type", "image/png")], b"\x89PNG\r\n\x1a\n\x00\x00"),
    ])
    pages, _ = _read(tmp_path / "w", tmp_path / "r")
    assert pages.column("url").to_pylist() == [f"http://{c}.example/" for c in "abcde"]
    assert pages.column("html").to_pylist()[:4] == [body.decode()] * 4
    assert pages.column("html").to_pylist()[4] is None  # binary: the extractor drops it as not_html


def test_legacy_charsets_are_decoded_once_and_recorded(make_warc, tmp_path: Path):
    ru = "<html><body><p>" + "Привет, как дела? Сегодня хорошая погода. " * 10 + "</p></body></html>"
    fr = "<html><body><p>" + "Le café “noir” était très bon — merci. " * 10 + "</p></body></html>"
    make_warc(tmp_path / "w" / "a.warc.gz", [
        ("http://ru.example/", 200, [("Content-Type", "text/html; charset=koi8-r")], ru.encode("koi8-r")),
        ("http://lie.example/", 200, [("Content-Type", "text/html; charset=utf-8")], fr.encode("cp1252")),
        ("http://jp.example/", 200, [("Content-Type", "text/html")],
         '<meta charset="shift_jis"><p>日本語のページです。</p>'.encode("shift_jis")),
    ])
    pages, _ = _read(tmp_path / "w", tmp_path / "r")
    html, charsets = pages.column("html").to_pylist(), pages.column("charset").to_pylist()
    assert html[0] == ru and charsets[0] == "koi8-r"
    assert html[1] == fr and charsets[1] == "cp1252"  # the header lied; the body decodes as windows-1252
    assert "日本語のページです" in html[2] and charsets[2] == "shift_jis"


def test_truncated_record_is_counted_not_fatal(make_warc, tmp_path: Path):
    pages = [(f"http://a.example/{i}", 200, [("Content-Type", "text/html")], b"<p>x</p>" * 50) for i in range(4)]
    make_warc(tmp_path / "w" / "a.warc.gz", pages, truncate_last=True)
    kept, stage = _read(tmp_path / "w", tmp_path / "r")
    assert kept.num_rows == 3
    assert stage["notes"]["warc_truncated_or_corrupt"] == 1
    assert "a.warc.gz" in stage["notes"]["warc_error_examples"][0]


def test_not_a_warc_file_is_counted(tmp_path: Path):
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "junk.warc").write_bytes(b"this is not a warc file\n" * 10)
    kept, stage = _read(tmp_path / "w", tmp_path / "r")
    assert kept.num_rows == 0
    assert stage["notes"]["warc_truncated_or_corrupt"] == 1


def test_arc_files_are_read(tmp_path: Path):
    body = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body>old</body></html>"
    version = b"1 0 test\nURL IP-address Archive-date Content-type Archive-length\n"
    header = b"filedesc://x.arc 0.0.0.0 20000101000000 text/plain %d\n" % len(version) + version + b"\n"
    rec = f"http://old.example/ 1.2.3.4 20000101000000 text/html {len(body)}\n".encode() + body + b"\n"
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "x.arc").write_bytes(header + rec)
    pages, _ = _read(tmp_path / "w", tmp_path / "r")
    assert pages.column("url").to_pylist() == ["http://old.example/"]
    assert pages.column("html").to_pylist() == ["<html><body>old</body></html>"]
