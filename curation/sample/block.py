"""One block of 100 pages: every planted kind in fixed proportions, duplicate clusters kept inside it.

Blocks are the unit of streaming: the generator holds one block in memory, writes it, and moves on.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

from curation.sample import binary
from curation.sample.articles import write_article
from curation.sample.charsets import localise
from curation.sample.document import Document
from curation.sample.foreign import foreign_titles, write_foreign
from curation.sample.languages import LANGUAGES
from curation.sample.lexicon import town
from curation.sample.lowquality import (
    write_cookie_policy,
    write_js_required,
    write_list_heavy,
    write_long_lines,
    write_lorem_ipsum,
    write_short,
    write_symbol_table,
)
from curation.sample.neardup import near_copy
from curation.sample.page import Page
from curation.sample.pages import (
    app_shell_page,
    binary_page,
    error_page,
    html_page,
    page_url,
    pdf_page,
    redirect_page,
    related_titles,
)
from curation.sample.sites import Site, english_site, foreign_site, mirror_site, shop_site, wiki_site
from curation.sample.spam import write_seo, write_spam
from curation.sample.topics import TOPICS, Topic
from curation.sample.toxic import write_toxic
from curation.sample.urls import base36, token

PAGES_PER_BLOCK = 100
UNLINKED_PER_BLOCK = 8  # crawl extras no post links to
DECK = (
    ("article", 51), ("wikipedia", 1), ("foreign", 14), ("spam", 3), ("seo", 2), ("exact_dup", 3), ("near_dup", 4),
    ("toxic", 3), ("short", 2), ("list_heavy", 2), ("symbol_table", 2), ("lorem_ipsum", 1), ("js_required", 1),
    ("cookie_policy", 1), ("long_lines", 1), ("pdf", 1), ("image", 2), ("json", 1), ("not_found", 2),
    ("server_error", 1), ("redirect", 2),
)
assert sum(n for _, n in DECK) == PAGES_PER_BLOCK
_HEADER_MODES = ("header", "meta", "meta_http_equiv", "none")
LEGACY_FOREIGN = (("ru", "koi8-r"), ("ru", "windows-1251"), ("ja", "shift_jis"), ("zh", "gb2312"), ("zh", "gbk"))
EXACT_CLUSTERS = (3, 2)  # cluster sizes, original included: 2 + 1 copies
NEAR_CLUSTERS = (2, 4)  # 1 + 3 copies
LANG_SUBREDDITS = {
    "fr": ("france", "Quebec"), "de": ("de", "Austria"), "es": ("spain", "mexico"), "it": ("italy",),
    "pt": ("portugal", "brasil"), "nl": ("thenetherlands", "belgium"), "ru": ("russia", "Pikabu"),
    "ja": ("japan", "newsokur"), "zh": ("China", "China_irl"),
}
GENERAL_SUBREDDITS = ("TrueReddit", "InternetIsBeautiful", "DepthHub", "Foodforthought", "longreads", "bestof")
_QUALITY = {"spam": 0.12, "seo": 0.12, "toxic": 0.45, "not_found": 0.6, "server_error": 0.6, "redirect": 0.8,
            "pdf": 0.7, "image": 0.7, "json": 0.7}
_LOW_QUALITY = ("short", "list_heavy", "symbol_table", "lorem_ipsum", "js_required", "cookie_policy", "long_lines")


@dataclass
class BlockContext:
    seed: int
    block: int
    sites_per_topic: int


def _article_variant(slot: int, block: int) -> tuple[str, str, str | None]:
    """(charset, declaration, served Content-Type) of article ``slot``. The three windows-1252 pages and the
    iso-8859-1 one take the four declaration modes between them, rotating over blocks."""
    def mode(k: int) -> str:
        return _HEADER_MODES[(block + k) % len(_HEADER_MODES)]

    variants = {
        0: ("windows-1252", mode(0), "text/html"),
        1: ("windows-1252", mode(1), "text/html"),
        2: ("windows-1252", mode(2), "text/html"),
        3: ("windows-1252", "header_lies", "text/html"),
        4: ("iso-8859-1", mode(3), "text/html"),
        5: ("utf-8", "meta", "text/plain"),
        6: ("utf-8", "meta", "application/octet-stream"),
        7: ("utf-8", "meta", None),
    }
    return variants.get(slot, ("utf-8", "both", "text/html"))


class _Block:
    def __init__(self, ctx: BlockContext) -> None:
        self.ctx = ctx
        self.rng = random.Random(f"{ctx.seed}:pages:{ctx.block}")
        self.pages: list[Page] = []
        self.articles: list[tuple[Page, Document, Site, Topic]] = []

    def tok(self) -> str:
        return token(self.ctx.block * PAGES_PER_BLOCK + len(self.pages))

    def site(self, topic: Topic) -> Site:
        return english_site(self.ctx.seed, topic, int(self.ctx.sites_per_topic * self.rng.random() ** 2))

    def add(self, page: Page, subreddits: tuple[str, ...], quality: float = 0.85, emoji: str = "") -> Page:
        page.subreddits, page.quality, page.emoji = subreddits, quality, emoji
        self.pages.append(page)
        return page

    def article(self, slot: int) -> None:
        rng = self.rng
        topic = rng.choice(TOPICS)
        doc = write_article(rng, topic)
        site = self.site(topic)
        charset, declaration, served = _article_variant(slot, self.ctx.block)
        localise(doc, charset, rng)
        url = page_url(site, rng, doc.title, self.tok())
        page = html_page(rng, doc, site, url, "article", related_titles(rng, topic, rng.randint(4, 8)),
                         charset, declaration, served)
        self.add(page, topic.subreddits + GENERAL_SUBREDDITS, emoji=topic.emoji)
        self.articles.append((page, doc, site, topic))

    def wikipedia(self) -> None:
        rng = self.rng
        topic = next(t for t in TOPICS if t.name == "local history")
        doc = write_article(rng, topic)
        doc.title, doc.author = town(rng), None
        url = f"https://en.wikipedia.org/wiki/{doc.title}"
        page = html_page(rng, doc, wiki_site("en.wikipedia.org"), url, "wikipedia", [], comments=False)
        self.add(page, ("todayilearned", "wikipedia", "history"), quality=0.9)

    def foreign(self, lang: str, charset: str, declaration: str) -> None:
        rng = self.rng
        doc = write_foreign(rng, lang)
        bank = LANGUAGES[lang]
        site = foreign_site(self.ctx.seed, bank, rng.randrange(self.ctx.sites_per_topic))
        url = page_url(site, rng, doc.title, self.tok())
        page = html_page(rng, doc, site, url, "foreign", foreign_titles(rng, lang, 3), charset, declaration)
        self.add(page, LANG_SUBREDDITS[lang])

    def on_english_site(self, kind: str, doc: Document, quality: float, subreddits: tuple[str, ...]) -> None:
        rng = self.rng
        topic = rng.choice(TOPICS)
        site = self.site(topic)
        url = page_url(site, rng, doc.title, self.tok())
        if kind == "js_required":
            page = app_shell_page(site, url, doc)
        else:
            page = html_page(rng, doc, site, url, kind, related_titles(rng, topic, 4), comments=kind == "toxic")
        self.add(page, subreddits or topic.subreddits, quality)

    def shop(self, kind: str, doc: Document) -> None:
        rng = self.rng
        site = shop_site(self.ctx.seed, rng.randrange(10 * self.ctx.sites_per_topic), doc.title.split(" Online")[0])
        url = page_url(site, rng, doc.title, self.tok())
        page = html_page(rng, doc, site, url, kind, [], comments=False)
        self.add(page, ("deals", "shopping", "BuyItForLife"), _QUALITY[kind])

    def duplicates(self) -> None:
        rng = self.rng
        plain = [a for a in self.articles[8:] if a[0].link_mode == "posted"]
        originals = iter(plain)
        for size in EXACT_CLUSTERS:
            page, doc, site, topic = next(originals)
            for _ in range(size - 1):
                mirror = mirror_site(self.ctx.seed, rng.randrange(self.ctx.sites_per_topic))
                url = page_url(mirror, rng, doc.title, self.tok())
                copy = dataclasses.replace(page, url=url, kind="exact_dup", duplicate_of=page.url, jaccard=1.0)
                self.add(copy, page.subreddits, emoji=page.emoji)
        for size in NEAR_CLUSTERS:
            page, doc, site, topic = next(originals)
            for _ in range(size - 1):
                edited, similarity = near_copy(rng, doc)
                mirror = mirror_site(self.ctx.seed, rng.randrange(self.ctx.sites_per_topic))
                url = page_url(mirror, rng, doc.title, self.tok())
                copy = html_page(rng, edited, mirror, url, "near_dup", related_titles(rng, topic, 5))
                copy.near_duplicate_of, copy.jaccard = page.url, similarity
                self.add(copy, page.subreddits, emoji=page.emoji)
        for page, _, site, _ in (next(originals), next(originals)):  # reached only through a redirect
            page.link_mode = "via_redirect"
            self.redirect(page, site)

    def redirect(self, target: Page, site: Site) -> None:
        rng = self.rng
        if len([p for p in self.pages if p.kind == "redirect"]) == 0:
            source = target.url.replace("https://", "http://", 1) if target.url.startswith("https://") \
                else f"http://{site.host}/?p={rng.randint(100, 99_999)}"
            page = redirect_page(site, source, target.url, 301)
        else:
            host = f"{rng.choice(('snip', 'tiny', 'shrt', 'lnkd'))}.{rng.choice(('link', 'to', 'is'))}"
            short = dataclasses.replace(site, host=host, theme="minimal", server="nginx")
            page = redirect_page(short, f"https://{host}/{self.tok()}", target.url, 302)
        page.post_title = target.title
        self.add(page, target.subreddits, _QUALITY["redirect"], target.emoji)

    def media(self) -> None:
        rng = self.rng
        topic = rng.choice(TOPICS)
        site = self.site(topic)
        pdf = pdf_page(rng, site, write_article(rng, topic, 250), self.tok())
        pdf.post_title = f"{pdf.title} [PDF]"
        self.add(pdf, topic.subreddits, _QUALITY["pdf"])
        reddit_media = dataclasses.replace(site, host="i.redd.it", server="snooserv")
        png_url = f"https://i.redd.it/{base36(rng.getrandbits(64))}.png"
        self.add(binary_page(reddit_media, png_url, "image", "image/png", binary.png(rng)), topic.subreddits, 0.7)
        gif_url = f"{site.scheme}://{site.host}/media/{self.tok()}-loop.gif"
        self.add(binary_page(site, gif_url, "image", "image/gif", binary.gif(rng)), topic.subreddits, 0.7)
        api = site.host.removeprefix("www.")
        json_url = f"https://api.{api}/v1/posts?page={rng.randint(2, 9)}&per_page=5&t={self.tok()}"
        body = binary.json_body(rng, related_titles(rng, topic, 5))
        self.add(binary_page(site, json_url, "json", "application/json; charset=utf-8", body), topic.subreddits, 0.7)
        for status in (404, 404, 500):
            title = related_titles(rng, topic, 1)[0]  # the article that used to live here
            page = error_page(site, page_url(site, rng, title, self.tok()), status)
            page.post_title = title
            self.add(page, topic.subreddits, _QUALITY["not_found"])


def build_block(ctx: BlockContext) -> list[Page]:
    """The block's pages in crawl order, link modes set."""
    b = _Block(ctx)
    rng = b.rng
    for slot in range(dict(DECK)["article"]):
        b.article(slot)
    b.wikipedia()
    for lang in LANGUAGES:
        b.foreign(lang, "utf-8", rng.choice(("both", "both", "header", "meta")))
    for k, (lang, charset) in enumerate(LEGACY_FOREIGN):
        b.foreign(lang, charset, _HEADER_MODES[(k + ctx.block) % len(_HEADER_MODES)])
    for _ in range(3):
        b.shop("spam", write_spam(rng))
    for _ in range(2):
        b.shop("seo", write_seo(rng))
    b.duplicates()
    for _ in range(3):
        b.on_english_site("toxic", write_toxic(rng), _QUALITY["toxic"], ("rant", "offmychest", "unpopularopinion"))
    writers = {"short": write_short, "list_heavy": write_list_heavy, "symbol_table": write_symbol_table,
               "lorem_ipsum": write_lorem_ipsum, "js_required": write_js_required,
               "cookie_policy": write_cookie_policy, "long_lines": write_long_lines}
    for kind in _LOW_QUALITY:
        for _ in range(dict(DECK)[kind]):
            b.on_english_site(kind, writers[kind](rng), 0.5, ())
    b.media()
    assert len(b.pages) == PAGES_PER_BLOCK, len(b.pages)
    # Crawl extras come from the HTML kinds; media pages stay linked so every media post type is in each block.
    eligible = [p for p in b.pages if p.link_mode == "posted" and p.status == 200
                and p.kind not in ("redirect", "wikipedia", "pdf", "image", "json")]
    for page in rng.sample(eligible, UNLINKED_PER_BLOCK):
        page.link_mode = "unlinked"
    rng.shuffle(b.pages)
    return b.pages
