"""The submissions of one block: posts for its pages (some several times, under URL variants), self posts,
media and Wikipedia links, dead links, and malformed lines. Scores follow page quality, loosely."""

from __future__ import annotations

import random
import re
from urllib.parse import urlsplit

from curation.sample import generic
from curation.sample.block import GENERAL_SUBREDDITS
from curation.sample.lexicon import generic_pools, town, username
from curation.sample.page import Page
from curation.sample.sites import english_site
from curation.sample.submission import MALFORMED, Draft, to_line
from curation.sample.template import render
from curation.sample.topics import TOPICS
from curation.sample.urls import VARIANTS, apply_variant, base36, token, variant_applies

T_START = 1_546_300_800  # 2019-01-01T00:00:00Z
T_FEBRUARY = 1_548_979_200  # 2019-02-01T00:00:00Z
T_END = 1_551_398_400  # 2019-03-01T00:00:00Z
ID_BASE = int("ab0000", 36)  # ids of early-2019 submissions look like this
SELF_PER_BLOCK, DEAD_PER_BLOCK = 20, 12
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_EMOJI = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF]")

_SELF_TITLES = (
    "How do you deal with {problem}?", "What is your favourite {tool} and why?", "Finally reached {goal}!",
    "[Question|Help]: {activity} in a small flat?", "Is {skill} worth the effort for a beginner?",
    "[Weekly|Daily] discussion thread: {activity}", "Anyone else struggle with {problem}?",
)
_MEDIA_TITLES = (
    "My {adj} {noun} after {small} weeks", "{town} at dawn (OC)", "Look what I found at {place}",
    "First attempt at {skill}, be gentle", "{Small} years of {activity} in one picture",
)
_MEDIA = ("imgur_jpg", "v_redd_it", "youtube", "youtube", "mp4", "zip", "mp3", "imgur_jpg")


def karma(rng: random.Random, quality: float) -> int:
    """Score 3 or more with probability ``quality``; otherwise between -7 and 2."""
    if rng.random() < quality:
        return min(3 + int(rng.lognormvariate(1.8, 1.5)), 85_000)
    return rng.choice((-7, -3, -2, -1, 0, 0, 1, 1, 1, 1, 2, 2, 2))


def classify(url: str | None) -> list[str]:
    """Tags that the URL alone determines: media type, Wikipedia host."""
    if not url:
        return []
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), parts.path.lower()
    if host.endswith("wikipedia.org"):
        return [f"wikipedia:{host.split('.wikipedia')[0].replace('.', '_')}"]
    if host == "v.redd.it":
        return ["media:v_redd_it"]
    if host.endswith("youtube.com"):
        return ["media:youtube"]
    ext = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    if host == "i.imgur.com" and ext == "jpg":
        return ["media:imgur_jpg"]
    if host == "i.redd.it" and ext == "png":
        return ["media:i_redd_it_png"]
    return [f"media:{ext}"] if ext in ("gif", "mp4", "pdf", "zip", "mp3", "png", "jpg") else []


def _title_tags(title: str) -> list[str]:
    tags = []
    if not title.isascii():
        tags.append("non_ascii_title")
    if _CJK.search(title):
        tags.append("cjk_title")
    if _EMOJI.search(title):
        tags.append("emoji_title")
    return tags


class _Poster:
    def __init__(self, seed: int, block: int, sites_per_topic: int) -> None:
        self.seed, self.block, self.sites = seed, block, sites_per_topic
        self.rng = random.Random(f"{seed}:posts:{block}")
        self.drafts: list[Draft] = []
        start = block % len(VARIANTS)  # every variant appears in every block, the first one rotates
        self.variants = VARIANTS[start:] + VARIANTS[:start]
        self.next_variant = 0
        self.extra = 0

    def pools(self) -> dict:
        topic = self.rng.choice(TOPICS)
        return {**generic_pools(self.rng), **topic.pools}

    def tok(self) -> str:
        self.extra += 1
        return "x" + token(self.block * 1000 + self.extra)

    def variant_for(self, url: str) -> str:
        for _ in range(len(self.variants)):
            variant = self.variants[self.next_variant % len(self.variants)]
            self.next_variant += 1
            if variant_applies(url, variant):
                return variant
        return "utm"

    def page_posts(self, page: Page) -> None:
        rng = self.rng
        count = rng.choices((1, 2, 3, 4), weights=(50, 27, 14, 9))[0]
        subs = rng.sample(page.subreddits, min(count, len(page.subreddits)))
        subs += rng.sample(GENERAL_SUBREDDITS, count - len(subs))
        if page.post_title:
            title = page.post_title
        elif page.kind == "wikipedia":
            title = f"TIL about {page.title}, a village with a long and odd history"
        elif page.kind in ("article", "exact_dup", "near_dup", "foreign", "toxic", "spam", "seo"):
            title = page.title
        else:
            title = render(rng.choice(_MEDIA_TITLES), rng, self.pools())
        for k, sub in enumerate(subs):
            url, tags = page.url, []
            if k:
                variant = self.variant_for(url)
                url, tags = apply_variant(url, variant, rng), [f"variant:{variant}"]
            shown = f"{title} {page.emoji}" if page.emoji and rng.random() < 0.08 else title
            self.drafts.append(Draft(url, shown, sub, karma(rng, page.quality), "page", canonical=page.url,
                                     page_kind=page.kind, tags=tags))

    def self_posts(self) -> None:
        rng = self.rng
        for n in range(SELF_PER_BLOCK):
            topic = rng.choice(TOPICS)
            pools = {**generic_pools(rng), **topic.pools}
            sentences = rng.sample(generic.SENTENCES + topic.sentences, rng.randint(1, 4))
            text = rng.choices(("body", "[removed]", "[deleted]", ""), weights=(75, 10, 5, 10))[0]
            body = " ".join(render(s, rng, pools) for s in sentences) if text == "body" else text
            self.drafts.append(Draft(None, render(rng.choice(_SELF_TITLES), rng, pools), rng.choice(topic.subreddits),
                                     karma(rng, 0.6), "self", selftext=body, post_hint="self", stickied=n == 0))

    def media_posts(self) -> None:
        rng = self.rng
        for kind in _MEDIA:
            topic = rng.choice(TOPICS)
            site = english_site(self.seed, topic, rng.randrange(self.sites))
            url = {
                "imgur_jpg": f"https://i.imgur.com/{base36(rng.getrandbits(36))}.jpg",
                "v_redd_it": f"https://v.redd.it/{base36(rng.getrandbits(64))}",
                "youtube": f"https://www.youtube.com/watch?v={base36(rng.getrandbits(56))[:11]}",
                "mp4": f"{site.scheme}://{site.host}/video/{self.tok()}.mp4",
                "zip": f"{site.scheme}://{site.host}/downloads/templates-{self.tok()}.zip",
                "mp3": f"{site.scheme}://{site.host}/podcast/episode-{self.tok()}.mp3",
            }[kind]
            hint = {"imgur_jpg": "image", "v_redd_it": "hosted:video", "youtube": "rich:video"}.get(kind, "link")
            title = render(rng.choice(_MEDIA_TITLES), rng, self.pools())
            self.drafts.append(Draft(url, title, rng.choice(topic.subreddits), karma(rng, 0.7), "media",
                                     post_hint=hint, is_video=kind == "v_redd_it"))

    def wikipedia_posts(self) -> None:
        rng = self.rng
        for host in ("en.wikipedia.org", "en.m.wikipedia.org", "de.wikipedia.org"):
            place = town(rng)
            title = f"TIL about {place}, a village with a {rng.choice(('strange', 'long', 'surprising'))} history"
            if host.startswith("de"):
                title = f"TIL: {place} hat eine überraschend lange Geschichte"
            self.drafts.append(Draft(f"https://{host}/wiki/{place}_({self.tok()})", title, "todayilearned",
                                     karma(rng, 0.9), "wikipedia"))

    def dead_posts(self) -> None:
        rng = self.rng
        for _ in range(DEAD_PER_BLOCK):
            topic = rng.choice(TOPICS)
            site = english_site(self.seed, topic, rng.randrange(self.sites))
            pools = {**generic_pools(rng), **topic.pools}
            title = render(rng.choice(topic.titles), rng, pools)
            url = f"{site.scheme}://{site.host}/{rng.choice(topic.sections)}/{self.tok()}"
            self.drafts.append(Draft(url, title, rng.choice(topic.subreddits), karma(rng, 0.6), "dead"))

    def malformed_posts(self) -> None:
        rng = self.rng
        for kind in MALFORMED:
            topic = rng.choice(TOPICS)
            site = english_site(self.seed, topic, rng.randrange(self.sites))
            score = rng.randint(3, 40) if kind == "string_score" else karma(rng, 0.7)
            title = render(rng.choice(topic.titles), rng, {**generic_pools(rng), **topic.pools})
            url = f"{site.scheme}://{site.host}/{rng.choice(topic.sections)}/{self.tok()}"
            self.drafts.append(Draft(url, title, rng.choice(topic.subreddits), score, "malformed", malformed=kind))

    def finish(self, window: tuple[int, int]) -> None:
        """Flag NSFW posts, make sure a zero and a negative score exist, set creation times in order."""
        rng = self.rng
        valid = [d for d in self.drafts if d.category != "malformed"]
        for d in valid:
            d.over_18 = rng.random() < 0.03
        for d in rng.sample(valid, 2):
            d.over_18 = True
        low = [d for d in valid if d.score < 3]
        if low and not any(d.score == 0 for d in valid):
            rng.choice(low).score = 0
        if low and not any(d.score < 0 for d in valid):
            rng.choice([d for d in low if d.score != 0] or low).score = -rng.randint(1, 5)
        if not any(_EMOJI.search(d.title) for d in valid):
            first = next(d for d in valid if d.page_kind == "article")
            first.title += " " + next(t.emoji for t in TOPICS if t.name == "cycling")
        for d in self.drafts:
            d.created = rng.randrange(*window)
        self.drafts.sort(key=lambda d: d.created)


def block_posts(seed: int, block: int, n_blocks: int, sites_per_topic: int, pages: list[Page],
                first_sequence: int) -> list[tuple[Draft, str, str]]:
    """(draft, id, line) for the block's submissions, sorted by creation time."""
    poster = _Poster(seed, block, sites_per_topic)
    for page in pages:
        if page.link_mode == "posted":
            poster.page_posts(page)
    poster.self_posts()
    poster.media_posts()
    poster.wikipedia_posts()
    poster.dead_posts()
    poster.malformed_posts()
    span = T_END - T_START
    poster.finish((T_START + block * span // n_blocks, T_START + (block + 1) * span // n_blocks))
    rng = poster.rng
    out = []
    for n, draft in enumerate(poster.drafts):
        post_id = base36(ID_BASE + (first_sequence + n) * 7 + rng.randrange(7))
        author = "[deleted]" if rng.random() < 0.03 else username(rng)
        readable = draft.malformed not in ("truncated", "garbage", "empty_line")  # a title a reader can see
        draft.tags = [f"category:{draft.category}", *draft.tags, *classify(draft.url)]
        draft.tags += _title_tags(draft.title) if readable else []
        if draft.malformed:
            draft.tags.append(f"malformed:{draft.malformed}")
        else:
            draft.tags += [t for t, hit in (("low_karma", draft.score < 3), ("score_zero", draft.score == 0),
                                            ("score_negative", draft.score < 0), ("nsfw", draft.over_18)) if hit]
        out.append((draft, post_id, to_line(draft, post_id, author, rng)))
    return out
