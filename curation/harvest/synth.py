"""Synthetic dumps for tests and benchmarks: Pushshift-like submissions and compressed NDJSON files.

``reddit_submission`` builds a record with the fields and sizes of a 2019 Pushshift ``RS_*`` line
(about 2-4 KB: awards, flair, preview images, media embeds), so decoding costs what it costs on
real dumps. ``write_dump`` compresses lines the way real dumps are compressed, including zstd with a
2 GiB window and no content size (what ``zstd --long=31`` writes from a pipe).
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import random
import string
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import zstandard

_DOMAINS = ["nytimes.com", "www.theguardian.com", "arstechnica.com", "www.bbc.co.uk", "medium.com",
            "github.com", "www.washingtonpost.com", "techcrunch.com", "www.reuters.com", "blog.example.org",
            "i.imgur.com", "i.redd.it", "en.wikipedia.org", "www.youtube.com", "twitter.com", "v.redd.it"]
_SUBREDDITS = ["news", "worldnews", "technology", "science", "programming", "pics", "politics", "gaming",
               "todayilearned", "AskReddit", "MachineLearning", "space", "books", "history"]
_WORDS = None


def _words() -> list[str]:
    global _WORDS
    if _WORDS is None:
        rng = random.Random(1)
        _WORDS = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 10)))
                  for _ in range(5000)]
    return _WORDS


def _text(rng: random.Random, n: int) -> str:
    w = _words()
    return " ".join(rng.choice(w) for _ in range(n))


def reddit_submission(rng: random.Random, i: int, **overrides: Any) -> dict[str, Any]:
    """One Pushshift-style submission; ``overrides`` replace fields (``score=1``, ``url=...``)."""
    pid = f"{i:x}{rng.getrandbits(20):05x}"
    sub = rng.choice(_SUBREDDITS)
    is_self = rng.random() < 0.3
    domain = rng.choice(_DOMAINS)
    slug = "-".join(_text(rng, rng.randint(3, 8)).split())
    url = (f"https://www.reddit.com/r/{sub}/comments/{pid}/{slug}/" if is_self else
           f"https://{domain}/{rng.randint(2010, 2020)}/{rng.randint(1, 12):02d}/{slug}.html"
           + ("?utm_source=reddit&utm_medium=social" if rng.random() < 0.1 else ""))
    created = 1546300800 + i * 7 + rng.randint(0, 6)
    title = _text(rng, rng.randint(4, 18)).capitalize()
    preview = {"enabled": False, "images": [{
        "id": f"{rng.getrandbits(120):030x}",
        "resolutions": [{"height": h, "width": w,
                         "url": f"https://external-preview.redd.it/{rng.getrandbits(160):040x}.jpg?width={w}"
                                f"&crop=smart&auto=webp&s={rng.getrandbits(160):040x}"}
                        for w, h in ((108, 56), (216, 113), (320, 167), (640, 335), (960, 503))],
        "source": {"height": 630, "width": 1200,
                   "url": f"https://external-preview.redd.it/{rng.getrandbits(160):040x}.jpg"},
        "variants": {}}]}
    rec: dict[str, Any] = {
        "all_awardings": [], "allow_live_comments": False, "archived": False,
        "author": f"user_{rng.getrandbits(32):08x}", "author_created_utc": 1300000000 + rng.getrandbits(26),
        "author_flair_background_color": None, "author_flair_css_class": None, "author_flair_richtext": [],
        "author_flair_template_id": None, "author_flair_text": None, "author_flair_text_color": None,
        "author_flair_type": "text", "author_fullname": f"t2_{rng.getrandbits(32):x}",
        "author_patreon_flair": False, "can_gild": True, "can_mod_post": False, "category": None,
        "content_categories": None, "contest_mode": False, "created_utc": created, "discussion_type": None,
        "distinguished": None, "domain": f"self.{sub}" if is_self else domain.removeprefix("www."),
        "edited": False, "gilded": 0, "gildings": {}, "hidden": False, "hide_score": False, "id": pid,
        "is_crosspostable": True, "is_meta": False, "is_original_content": False,
        "is_reddit_media_domain": domain in ("i.redd.it", "v.redd.it"), "is_robot_indexable": True,
        "is_self": is_self, "is_video": False, "link_flair_background_color": "",
        "link_flair_css_class": None, "link_flair_richtext": [], "link_flair_text": None,
        "link_flair_text_color": "dark", "link_flair_type": "text", "locked": False, "media": None,
        "media_embed": {}, "media_only": False, "no_follow": rng.random() < 0.6,
        "num_comments": int(rng.paretovariate(1.2)) - 1, "num_crossposts": 0, "over_18": rng.random() < 0.04,
        "parent_whitelist_status": "all_ads", "permalink": f"/r/{sub}/comments/{pid}/{slug[:40]}/",
        "pinned": False, "post_hint": "link", "preview": preview, "pwls": 6, "quarantine": False,
        "removal_reason": None, "retrieved_on": created + rng.randint(30, 90000),
        # Reddit scores are heavy-tailed: most submissions stay near 1, few reach thousands.
        "score": int(rng.paretovariate(0.7)) - 1 + (1 if rng.random() < 0.5 else 0),
        "secure_media": None, "secure_media_embed": {},
        "selftext": _text(rng, rng.randint(0, 120)) if is_self else "", "send_replies": True,
        "spoiler": False, "stickied": False, "subreddit": sub, "subreddit_id": f"t5_{rng.getrandbits(24):x}",
        "subreddit_name_prefixed": f"r/{sub}", "subreddit_subscribers": rng.randint(1000, 30_000_000),
        "subreddit_type": "public", "suggested_sort": None, "thumbnail": "default",
        "thumbnail_height": 140, "thumbnail_width": 140, "title": title, "total_awards_received": 0,
        "url": url, "whitelist_status": "all_ads", "wls": 6,
    }
    rec.update(overrides)
    return rec


def encode_lines(records: Iterable[dict | bytes | str]) -> bytes:
    out = []
    for r in records:
        if isinstance(r, dict):
            out.append(json.dumps(r, ensure_ascii=False).encode("utf-8"))
        else:
            out.append(r.encode("utf-8") if isinstance(r, str) else r)
    return b"".join(line + b"\n" for line in out)


def compress(data: bytes, compression: str = "zstd", long_window: bool = False, level: int = 3) -> bytes:
    if compression == "zstd":
        params = zstandard.ZstdCompressionParameters.from_level(
            level, window_log=31 if long_window else 0, enable_ldm=long_window, write_content_size=False)
        # A streamed frame (no content size) keeps its declared 2 GiB window, as `zstd --long=31` does.
        obj = zstandard.ZstdCompressor(compression_params=params).compressobj()
        return obj.compress(data) + obj.flush()
    if compression == "xz":
        return lzma.compress(data, preset=1)
    if compression == "bz2":
        return bz2.compress(data)
    if compression == "gzip":
        return gzip.compress(data, mtime=0)
    if compression == "plain":
        return data
    raise ValueError(f"unknown compression {compression!r}")


def write_dump(path: str | Path, records: Iterable[dict | bytes | str], compression: str = "zstd",
               long_window: bool = False) -> Path:
    """Write NDJSON records (dicts, or raw lines to plant malformed ones) to a compressed file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(compress(encode_lines(records), compression, long_window))
    return path
