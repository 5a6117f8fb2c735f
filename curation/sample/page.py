"""One fetched URL: what goes into the WARC (status, headers, body) and its ground truth."""

from __future__ import annotations

from dataclasses import dataclass, field

STATUS_TEXT = {200: "OK", 301: "Moved Permanently", 302: "Found", 404: "Not Found", 500: "Internal Server Error"}


@dataclass
class Page:
    url: str
    kind: str
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)  # without Date: the WARC writer adds it
    body: bytes = b""
    title: str = ""
    lang: str | None = "en"
    charset: str | None = None  # the encoding the body really uses
    declaration: str | None = None  # where the charset is stated: see charsets.DECLARATIONS
    topic: str | None = None
    main_text: str | None = None  # not stored in the truth file, used to measure similarity
    duplicate_of: str | None = None
    near_duplicate_of: str | None = None
    jaccard: float | None = None
    redirect_to: str | None = None
    link_mode: str = "posted"  # "posted", "unlinked" (a crawl extra) or "via_redirect"
    quality: float = 0.85  # chance that a post linking here scores 3 or more
    subreddits: tuple[str, ...] = ()
    emoji: str = ""
    post_title: str = ""  # what a submission linking here is called, when the page has no fitting title

    @property
    def content_type(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "content-type"), None)

    def truth(self) -> dict:
        return {
            "url": self.url,
            "kind": self.kind,
            "status": self.status,
            "content_type": self.content_type,
            "lang": self.lang,
            "charset": self.charset,
            "charset_declared": self.declaration,
            "topic": self.topic,
            "title": self.title,
            "main_text_words": len(self.main_text.split()) if self.main_text else 0,
            "duplicate_of": self.duplicate_of,
            "near_duplicate_of": self.near_duplicate_of,
            "jaccard": None if self.jaccard is None else round(self.jaccard, 4),
            "redirect_to": self.redirect_to,
            "link_mode": self.link_mode,
        }
