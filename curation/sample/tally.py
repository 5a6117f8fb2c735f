"""Counting what was planted, for the manifest."""

from __future__ import annotations

from collections import Counter

from curation.sample.page import Page
from curation.sample.submission import Draft

ENGLISH_TEXT_KINDS = ("article", "wikipedia", "exact_dup", "near_dup")


def _nest(counter: Counter) -> dict:
    """{"media:pdf": 3, "self": 9} -> {"media": {"pdf": 3}, "self": 9}, keys sorted."""
    out: dict = {}
    for key in sorted(counter):
        head, _, tail = key.partition(":")
        if tail:
            out.setdefault(head, {})[tail] = counter[key]
        else:
            out[head] = counter[key]
    return out


class Tally:
    def __init__(self) -> None:
        self.pages: dict[str, Counter] = {k: Counter() for k in (
            "kind", "lang", "charset", "charset_declared", "content_type", "status", "link_mode", "reach")}
        self.words: Counter = Counter()
        self.near_jaccard: list[float] = []
        self.clusters: Counter = Counter()
        self.post_tags: Counter = Counter()
        self.lines: Counter = Counter()
        self.karma3_posts = 0
        self.karma3_urls = 0
        self.karma3_pages = 0

    def page(self, page: Page, karma3: bool) -> None:
        """``karma3``: a parseable post with an integer score >= 3 links to this URL."""
        truth = page.truth()
        media_type = (truth["content_type"] or "none").split(";")[0].strip()
        for key, value in (("kind", page.kind), ("lang", page.lang or "none"), ("charset", page.charset or "binary"),
                           ("charset_declared", page.declaration or "binary"), ("content_type", media_type),
                           ("status", str(page.status)), ("link_mode", page.link_mode)):
            self.pages[key][value] += 1
        self.words[page.kind] += truth["main_text_words"]
        if page.near_duplicate_of:
            self.near_jaccard.append(page.jaccard or 0.0)
        self.karma3_pages += karma3
        # How a WebText-style harvest (links with karma >= 3) reaches the page.
        reach = "karma3_link" if karma3 else {"posted": "low_karma_links_only"}.get(page.link_mode, page.link_mode)
        self.pages["reach"][reach] += 1

    def cluster(self, kind: str, size: int) -> None:
        self.clusters[f"{kind}:{size}"] += 1

    def posts(self, block: list[tuple[Draft, str, str]], files: list[str]) -> None:
        urls = set()
        for (draft, _, _), file in zip(block, files, strict=True):
            self.post_tags.update(draft.tags)
            self.lines[file] += 1
            if not draft.malformed and draft.category != "self" and draft.score >= 3:
                self.karma3_posts += 1
                urls.add(draft.canonical or draft.url)
        self.karma3_urls += len(urls)  # URLs never repeat across blocks: each carries a block-unique token

    def summary(self) -> dict:
        english = sum(self.words[k] for k in ENGLISH_TEXT_KINDS)
        jaccard = self.near_jaccard or [0.0]
        return {
            "pages": {
                "total": sum(self.pages["kind"].values()),
                **{f"by_{k}": dict(sorted(v.items())) for k, v in self.pages.items()},
                "main_text_words": {"english_articles": english, "by_kind": dict(sorted(self.words.items()))},
                "duplicate_clusters": _nest(self.clusters),
                "near_duplicate_jaccard": {"min": round(min(jaccard), 4), "max": round(max(jaccard), 4),
                                           "mean": round(sum(jaccard) / len(jaccard), 4)},
                "linked_by_karma3_post": self.karma3_pages,
            },
            "posts": {
                "lines": sum(self.lines.values()),
                "by_file": dict(sorted(self.lines.items())),
                "tags": _nest(self.post_tags),
                "karma3_link_posts": self.karma3_posts,
                "karma3_distinct_urls": self.karma3_urls,
            },
        }
