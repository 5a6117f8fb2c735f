"""The mini-web sample: reproducible bytes, every planted case present and counted, text that measures
as promised. One block (100 pages, ~215 submissions) is enough for all of it."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import zstandard
from lxml import html as lxml_html
from warcio.archiveiterator import ArchiveIterator

from curation.sample import generate

SCALE = 0.07  # rounds to one block
CODECS = {"utf-8": "utf-8", "windows-1252": "cp1252", "iso-8859-1": "latin-1", "koi8-r": "koi8_r",
          "windows-1251": "cp1251", "shift_jis": "shift_jis", "gb2312": "gb2312", "gbk": "gbk"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("mini-web")
    return root, generate(root, scale=SCALE, seed=1234)


@pytest.fixture(scope="module")
def submissions(sample: tuple[Path, dict]) -> list[str]:
    root, _ = sample
    lines = []
    for path in sorted((root / "reddit").glob("RS_*.zst")):
        with open(path, "rb") as fh:
            data = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(fh).read()
        lines += data.decode("utf-8").split("\n")[:-1]  # every line ends with a newline
    return lines


@pytest.fixture(scope="module")
def responses(sample: tuple[Path, dict]) -> list[dict]:
    """Each response record with its ground truth, the WARC read with warcio."""
    root, _ = sample
    truth = {}
    with gzip.open(root / "truth" / "pages.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            page = json.loads(line)
            truth[page["url"]] = page
    out = []
    for path in sorted((root / "warc").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            requests = {}
            for index, record in enumerate(ArchiveIterator(fh)):
                if index == 0:
                    assert record.rec_type == "warcinfo"
                if record.rec_type == "request":
                    requests[record.rec_headers.get_header("WARC-Concurrent-To")] = record
                if record.rec_type != "response":
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                assert record.rec_headers.get_header("WARC-Record-ID") in requests  # request came first
                out.append({"url": url, "status": int(record.http_headers.get_statuscode()),
                            "headers": record.http_headers, "body": record.content_stream().read(), **truth[url]})
    return out


def _main_text(page: dict) -> str:
    """Headline and body text marked with schema.org itemprops, as the generator lays them out."""
    tree = lxml_html.fromstring(page["body"].decode(CODECS[page["charset"]]))
    title = tree.xpath('//*[@itemprop="headline"]')[0].text_content()
    body = tree.xpath('//*[@itemprop="articleBody"]')[0]
    lines = [title]
    for element in body.iter("h2", "p", "li", "tr", "pre"):
        cells = element.xpath("./td|./th")
        lines.append(" ".join(c.text_content() for c in cells) if cells else element.text_content())
    return "\n".join(lines)


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = text.lower().split()
    return {tuple(words[i:i + 5]) for i in range(len(words) - 4)}


def _jaccard(a: str, b: str) -> float:
    x, y = _shingles(a), _shingles(b)
    return len(x & y) / len(x | y)


def test_scale_must_be_positive(tmp_path: Path) -> None:
    for scale in (0, -1.5, float("nan")):
        with pytest.raises(ValueError, match="scale must be a positive number"):
            generate(tmp_path, scale=scale)


def test_same_seed_same_bytes_other_seed_other_bytes(sample: tuple[Path, dict], tmp_path: Path) -> None:
    root, manifest = sample
    again = generate(tmp_path / "again", scale=SCALE, seed=1234)
    other = generate(tmp_path / "other", scale=SCALE, seed=99)
    assert again == manifest
    for entry in manifest["files"]:
        assert (root / entry["path"]).read_bytes() == (tmp_path / "again" / entry["path"]).read_bytes()
    assert (root / "manifest.json").read_bytes() == (tmp_path / "again" / "manifest.json").read_bytes()
    digests = {e["path"]: e["sha256"] for e in manifest["files"]}
    assert all(digests[e["path"]] != e["sha256"] for e in other["files"])


def test_manifest_lists_files_with_sizes(sample: tuple[Path, dict]) -> None:
    root, manifest = sample
    assert json.loads((root / "manifest.json").read_text(encoding="utf-8")) == manifest
    paths = [e["path"] for e in manifest["files"]]
    assert paths[:3] == ["reddit/RS_2019-01.zst", "reddit/RS_2019-02.zst", "warc/mini-web-00000.warc.gz"]
    for entry in manifest["files"]:
        data = (root / entry["path"]).read_bytes()
        assert len(data) == entry["bytes"] and hashlib.sha256(data).hexdigest() == entry["sha256"]


def test_dump_needs_a_long_window(sample: tuple[Path, dict]) -> None:
    root, _ = sample
    data = (root / "reddit" / "RS_2019-01.zst").read_bytes()
    assert zstandard.get_frame_parameters(data).window_size >= 2**28
    with pytest.raises(zstandard.ZstdError):
        zstandard.ZstdDecompressor().stream_reader(data).read()
    assert zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(data).read().startswith(b'{"')


def test_every_planted_post_is_there_and_counted(sample: tuple[Path, dict], submissions: list[str]) -> None:
    _, manifest = sample
    posts, tags = manifest["posts"], manifest["posts"]["tags"]
    assert len(submissions) == posts["lines"] > 150
    parsed, unparseable = [], 0
    for line in submissions:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            unparseable += 1
    malformed = tags["malformed"]
    assert submissions.count("") == malformed["empty_line"] == 1
    assert unparseable == malformed["empty_line"] + malformed["truncated"] + malformed["garbage"] == 3
    assert sum("url" not in p for p in parsed) == malformed["missing_url"] == 1
    assert sum(isinstance(p["score"], str) for p in parsed) == malformed["string_score"] == 1
    assert sum(p["score"] is None for p in parsed) == malformed["null_score"] == 1

    scored = [p for p in parsed if isinstance(p["score"], int) and "url" in p]
    assert sum(p["is_self"] for p in scored) == tags["category"]["self"] > 0
    assert all(p["url"].endswith(p["permalink"]) for p in scored if p["is_self"])
    assert sum(p["over_18"] for p in scored) == tags["nsfw"] >= 2
    assert sum(p["score"] < 3 for p in scored) == tags["low_karma"] > 0
    assert sum(p["score"] == 0 for p in scored) == tags["score_zero"] > 0
    assert sum(p["score"] < 0 for p in scored) == tags["score_negative"] > 0
    assert sum(not p["title"].isascii() for p in parsed) == tags["non_ascii_title"] > 0
    assert tags["cjk_title"] > 0 and tags["emoji_title"] > 0
    for p in parsed:
        assert p["name"] == f"t3_{p['id']}" and 1_546_300_800 <= p["created_utc"] < 1_551_398_400

    urls = [urlsplit(p["url"]) for p in scored if not p["is_self"]]
    media = Counter()
    for u in urls:
        ext = u.path.rsplit(".", 1)[-1] if "." in u.path.rsplit("/", 1)[-1] else ""
        host = (u.hostname or "").lower()
        if host == "i.imgur.com" and ext == "jpg":
            media["imgur_jpg"] += 1
        elif host == "i.redd.it" and ext == "png":
            media["i_redd_it_png"] += 1
        elif host == "v.redd.it":
            media["v_redd_it"] += 1
        elif host.endswith("youtube.com") and u.path == "/watch":
            media["youtube"] += 1
        elif ext in ("gif", "mp4", "pdf", "zip", "mp3"):
            media[ext] += 1
    expected_media = {k: v for k, v in tags["media"].items()}
    assert dict(media) == expected_media and set(media) >= {"imgur_jpg", "i_redd_it_png", "v_redd_it", "youtube",
                                                             "gif", "mp4", "pdf", "zip", "mp3"}
    wiki = Counter(u.hostname.split(".wikipedia")[0] for u in urls if u.hostname.endswith("wikipedia.org"))
    assert {k.replace(".", "_"): v for k, v in wiki.items()} == tags["wikipedia"]
    assert set(tags["wikipedia"]) == {"en", "en_m", "de"}

    variants = Counter()
    for u in urls:
        query = parse_qs(u.query)
        variants["utm"] += "utm_source" in query and "utm_medium" in query
        variants["fbclid"] += "fbclid" in query
        variants["gclid"] += "gclid" in query
        variants["upper_host"] += u.netloc != u.netloc.lower()
        variants["default_port"] += u.port in (80, 443)
        variants["fragment"] += bool(u.fragment)
    for name, count in variants.items():
        assert count == tags["variant"][name] > 0, name
    assert tags["variant"]["trailing_slash"] > 0


def test_reposts_resolve_to_one_page_in_several_subreddits(sample: tuple[Path, dict]) -> None:
    root, _ = sample
    with gzip.open(root / "truth" / "posts.jsonl.gz", "rt", encoding="utf-8") as fh:
        truth = [json.loads(line) for line in fh]
    by_page: dict[str, list[dict]] = {}
    for post in truth:
        if post["page_url"]:
            by_page.setdefault(post["page_url"], []).append(post)
    reposted = [posts for posts in by_page.values() if len(posts) >= 3]
    assert reposted
    for posts in reposted:
        assert len({p["url"] for p in posts}) == len(posts)  # each repost spells the URL differently
    slash = [p for p in truth if "variant:trailing_slash" in p["tags"]]
    assert slash
    for post in slash:
        assert post["url"] != post["page_url"] and post["url"].rstrip("/") == post["page_url"].rstrip("/")


def test_warc_passes_warcio_check(sample: tuple[Path, dict]) -> None:
    root, _ = sample
    files = [str(p) for p in sorted((root / "warc").glob("*.warc.gz"))]
    result = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", *files],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
    assert "digest pass" in result.stdout and "fail" not in result.stdout


def test_every_planted_page_is_there_and_counted(sample: tuple[Path, dict], responses: list[dict]) -> None:
    _, manifest = sample
    pages = manifest["pages"]
    assert len(responses) == pages["total"] == 100
    assert Counter(r["kind"] for r in responses) == pages["by_kind"]
    assert set(pages["by_kind"]) == {
        "article", "wikipedia", "foreign", "spam", "seo", "exact_dup", "near_dup", "toxic", "short", "list_heavy",
        "symbol_table", "lorem_ipsum", "js_required", "cookie_policy", "long_lines", "pdf", "image", "json",
        "not_found", "server_error", "redirect"}
    assert Counter(str(r["status"]) for r in responses) == pages["by_status"]
    assert set(pages["by_status"]) == {"200", "301", "302", "404", "500"}
    served = Counter((r["headers"].get_header("Content-Type") or "none").split(";")[0] for r in responses)
    assert served == pages["by_content_type"]
    assert {"text/plain", "application/octet-stream", "none", "application/pdf", "image/png", "image/gif",
            "application/json"} <= set(served)
    assert {r["lang"] for r in responses if r["kind"] == "foreign"} == {"fr", "de", "es", "it", "pt", "nl", "ru",
                                                                     "ja", "zh"}
    assert Counter(r["link_mode"] for r in responses)["unlinked"] == 8  # crawl extras no post points to
    assert len({r["record_id"] for r in responses}) == len(responses)


def test_mislabelled_html_is_still_html(responses: list[dict]) -> None:
    odd = [r for r in responses if r["content_type"] in (None, "text/plain", "application/octet-stream")]
    assert len(odd) == 3
    assert all(r["body"].startswith(b"<!DOCTYPE html>") and r["kind"] == "article" for r in odd)


def test_binary_bodies_are_what_they_claim(responses: list[dict]) -> None:
    magic = {"application/pdf": b"%PDF-1.4", "image/png": b"\x89PNG\r\n\x1a\n", "image/gif": b"GIF89a"}
    for r in responses:
        media_type = (r["content_type"] or "").split(";")[0]
        if media_type in magic:
            assert r["body"].startswith(magic[media_type])
        if media_type == "application/json":
            assert json.loads(r["body"])["status"] == "ok"


def test_redirects_lead_to_pages_in_the_crawl(responses: list[dict]) -> None:
    fetched = {r["url"] for r in responses if r["status"] == 200}
    redirects = [r for r in responses if r["status"] in (301, 302)]
    assert len(redirects) == 2
    for r in redirects:
        assert r["headers"].get_header("Location") == r["redirect_to"] in fetched


def test_legacy_charsets_are_really_used_and_declared_as_stated(responses: list[dict]) -> None:
    legacy = [r for r in responses if r["charset"] not in (None, "utf-8") and r["kind"] != "redirect"]
    assert {r["charset"] for r in legacy} == {"windows-1252", "iso-8859-1", "koi8-r", "windows-1251", "shift_jis",
                                             "gb2312", "gbk"}
    for r in legacy:
        text = r["body"].decode(CODECS[r["charset"]])  # strict: every byte belongs to the charset
        assert not r["body"].isascii()
        with pytest.raises(UnicodeDecodeError):
            r["body"].decode("utf-8")
        header = (r["headers"].get_header("Content-Type") or "").lower()
        meta = f'charset={r["charset"]}' in text.lower() or f'charset="{r["charset"]}"' in text.lower()
        declared = r["charset_declared"]
        assert (f"charset={r['charset']}" in header) == (declared in ("both", "header"))
        assert meta == (declared in ("meta", "meta_http_equiv", "both"))
        if declared == "header_lies":
            assert header.endswith("charset=utf-8") and r["charset"] == "windows-1252"
    declared = {r["charset_declared"] for r in legacy}
    assert {"header", "meta", "meta_http_equiv", "none", "header_lies"} <= declared
    cp1252 = "".join(r["body"].decode("cp1252") for r in legacy if r["charset"] == "windows-1252")
    assert "“" in cp1252 and "—" in cp1252 and "é" in cp1252


def test_duplicates_and_near_duplicates_measure_as_stated(responses: list[dict]) -> None:
    by_url = {r["url"]: r for r in responses}
    exact = [r for r in responses if r["duplicate_of"]]
    near = [r for r in responses if r["near_duplicate_of"]]
    assert len(exact) == 3 and len(near) == 4
    for r in exact:
        assert r["body"] == by_url[r["duplicate_of"]]["body"] and r["url"] != r["duplicate_of"]
    for r in near:
        original = by_url[r["near_duplicate_of"]]
        similarity = _jaccard(_main_text(r), _main_text(original))
        assert 0.85 <= similarity <= 0.95
        assert similarity == pytest.approx(r["jaccard"], abs=1e-4)
        assert r["body"] != original["body"]
    sizes = Counter(Counter(r["near_duplicate_of"] for r in near).values())
    assert sizes == {1: 1, 3: 1}  # clusters of 2 and 4 pages


def test_distinct_articles_share_few_5_grams(responses: list[dict]) -> None:
    clustered = {u for r in responses for u in (r["duplicate_of"], r["near_duplicate_of"]) if u}
    articles = [r for r in responses if r["kind"] == "article" and r["url"] not in clustered]
    texts = {r["url"]: _main_text(r) for r in articles}
    pairs = list(itertools.combinations(articles, 2))
    same_topic = [(a, b) for a, b in pairs if a["topic"] == b["topic"]]
    chosen = same_topic + random.Random(0).sample(pairs, 300)
    assert len(same_topic) >= 20
    worst = max(_jaccard(texts[a["url"]], texts[b["url"]]) for a, b in chosen)
    assert worst < 0.2


def test_good_articles_read_like_prose(responses: list[dict]) -> None:
    stop_words = {"the", "be", "to", "of", "and", "that", "have", "with"}
    articles = [r for r in responses if r["kind"] == "article"]
    vocabulary = set()
    for r in articles:
        text = _main_text(r)
        words = text.split()
        assert len(words) == r["main_text_words"]
        assert 250 <= len(words) <= 1300
        assert 3 <= sum(map(len, words)) / len(words) <= 10
        assert sum(any(c.isalpha() for c in w) for w in words) / len(words) >= 0.9
        assert sum(w.lower() in stop_words for w in words) >= 20
        lowered = text.lower()
        assert "{" not in text and "lorem ipsum" not in lowered and "javascript" not in lowered
        paragraphs = [p.text_content() for p in lxml_html.fromstring(r["body"].decode(CODECS[r["charset"]]))
                      .xpath('//*[@itemprop="articleBody"]//p')]
        assert sum(p.rstrip().endswith((".", "!", "?", "”", ":")) for p in paragraphs) == len(paragraphs)
        vocabulary.update(w.lower().strip(".,;:!?“”’") for w in words)
    assert len(vocabulary) > 3000


def test_low_quality_pages_carry_their_trait(responses: list[dict]) -> None:
    def texts(kind: str) -> list[str]:
        return [_main_text(r) for r in responses if r["kind"] == kind]

    assert all(len(t.split()) < 50 for t in texts("short"))
    assert all("lorem ipsum" in t.lower() for t in texts("lorem_ipsum"))
    assert all("javascript" in t.lower() for t in texts("js_required"))
    assert all("cookie policy" in t.lower() for t in texts("cookie_policy"))
    assert all(max(map(len, t.split("\n"))) > 1000 for t in texts("long_lines"))
    for text in texts("spam"):
        lines = text.split("\n")
        assert max(Counter(lines).values()) >= 6  # one line repeated over and over
    for text in texts("symbol_table"):
        words = text.split()
        assert sum(any(c.isalpha() for c in w) for w in words) / len(words) < 0.5
