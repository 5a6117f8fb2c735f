"""Serialising a drafted post as a Pushshift/Arctic-Shift submission line, malformed ones included."""

from __future__ import annotations

import json
import random
import zlib
from dataclasses import dataclass, field

from curation.sample.urls import base36, reddit_domain, slugify

# Lines that a dump reader must survive; each is planted once per block.
MALFORMED = ("truncated", "garbage", "missing_url", "string_score", "null_score", "empty_line")
_GARBAGE = (
    "<html><body><h1>502 Bad Gateway</h1></body></html>",
    "ERROR shard 17: read timeout after 30s, record skipped",
    "}{\"id\": \"broken\", \"title\": ",
    "\\N\\N\\N",
)
_FLAIRS = (None, None, None, None, "Discussion", "OC", "Guide", "Question", "News", "Meta")


@dataclass
class Draft:
    url: str | None
    title: str
    subreddit: str
    score: int
    category: str  # "page", "self", "media", "wikipedia", "dead" or "malformed"
    canonical: str | None = None  # the page URL this post resolves to, if the WARC holds it
    page_kind: str | None = None
    tags: list[str] = field(default_factory=list)
    over_18: bool = False
    selftext: str = ""
    post_hint: str | None = None
    is_video: bool = False
    stickied: bool = False
    malformed: str | None = None
    created: int = 0


def _stable(name: str, modulo: int) -> int:
    return zlib.crc32(name.lower().encode()) % modulo


def record(draft: Draft, post_id: str, author: str, rng: random.Random) -> dict:
    sub = draft.subreddit
    permalink = f"/r/{sub}/comments/{post_id}/{slugify(draft.title, 50).replace('-', '_')}/"
    url = f"https://www.reddit.com{permalink}" if draft.category == "self" else draft.url
    score = draft.score
    if draft.over_18:
        thumbnail = "nsfw"
    elif draft.category == "self":
        thumbnail = "self"
    else:
        thumbnail = rng.choice(("default", f"https://b.thumbs.redditmedia.com/{base36(rng.getrandbits(90))}.jpg"))
    out = {
        "all_awardings": [], "allow_live_comments": False, "author": author,
        "author_flair_css_class": None, "author_flair_text": None,
        "can_mod_post": False, "contest_mode": False, "created_utc": draft.created,
        "domain": f"self.{sub}" if draft.category == "self" else reddit_domain(url or ""),
        "full_link": f"https://www.reddit.com{permalink}", "gilded": 0, "id": post_id,
        "is_crosspostable": True, "is_meta": False, "is_original_content": False,
        "is_reddit_media_domain": reddit_domain(url or "") in ("i.redd.it", "v.redd.it"),
        "is_robot_indexable": True, "is_self": draft.category == "self", "is_video": draft.is_video,
        "link_flair_text": rng.choice(_FLAIRS), "locked": False, "media_only": False, "name": f"t3_{post_id}",
        "no_follow": score < 3, "num_comments": int(score * rng.uniform(0.02, 0.5)) if score > 0 else rng.randint(0, 3),
        "num_crossposts": 0, "over_18": draft.over_18, "parent_whitelist_status": "all_ads", "permalink": permalink,
        "pinned": False, "pwls": 6, "retrieved_on": draft.created + rng.randint(3_600, 40 * 86_400), "score": score,
        "selftext": draft.selftext, "send_replies": True, "spoiler": False, "stickied": draft.stickied,
        "subreddit": sub, "subreddit_id": f"t5_{base36(_stable(sub, 36 ** 5) + 36 ** 4)}",
        "subreddit_subscribers": 1_000 + _stable(sub, 2_000_000), "subreddit_type": "public",
        "thumbnail": thumbnail, "title": draft.title, "total_awards_received": 0, "ups": score,
        "upvote_ratio": round(rng.uniform(0.75, 0.99) if score >= 3 else rng.uniform(0.3, 0.7), 2),
        "url": url, "whitelist_status": "all_ads", "wls": 6,
    }
    if author != "[deleted]":
        out["author_fullname"] = f"t2_{base36(_stable(author, 36 ** 6) + 36 ** 5)}"
    if draft.post_hint:
        out["post_hint"] = draft.post_hint
    return out


def to_line(draft: Draft, post_id: str, author: str, rng: random.Random) -> str:
    """One NDJSON line (without the newline): compact, keys sorted, UTF-8 kept as is."""
    if draft.malformed == "empty_line":
        return ""
    if draft.malformed == "garbage":
        return rng.choice(_GARBAGE)
    obj = record(draft, post_id, author, rng)
    if draft.malformed == "missing_url":
        del obj["url"]
    elif draft.malformed == "string_score":
        obj["score"] = obj["ups"] = str(draft.score)
    elif draft.malformed == "null_score":
        obj["score"] = obj["ups"] = None
    line = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if draft.malformed == "truncated":  # a record cut off mid-write
        line = line[: rng.randint(len(line) // 3, 2 * len(line) // 3)]
    return line
