"""URL spelling: slugs, ids, and the variants under which one page gets posted more than once."""

from __future__ import annotations

import random
import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

_DIGITS36 = "0123456789abcdefghijklmnopqrstuvwxyz"

# Each variant names a different spelling of the same page; a URL normaliser should undo every one.
VARIANTS = ("utm", "fbclid", "gclid", "upper_host", "default_port", "fragment", "trailing_slash")


def base36(number: int) -> str:
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = _DIGITS36[digit] + out
        if not number:
            return out


def token(index: int) -> str:
    """A short unique path token; 7919 is prime, so distinct indices give distinct tokens."""
    return base36(index * 7919 + 46_656)


def slugify(text: str, limit: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-")
    return slug or "post"


def variant_applies(url: str, variant: str) -> bool:
    path = urlsplit(url).path
    if variant == "trailing_slash":
        return not re.search(r"\.\w{2,4}$", path)  # "/a.html/" is a different resource
    return True


def apply_variant(url: str, variant: str, rng: random.Random) -> str:
    parts = urlsplit(url)
    query = parts.query
    extra = {
        "utm": f"utm_source={rng.choice(('reddit', 'newsletter', 'twitter'))}&utm_medium={rng.choice(('social', 'email', 'referral'))}"
        + rng.choice(("", f"&utm_campaign=spring{rng.randint(1, 9)}")),
        "fbclid": f"fbclid=IwAR{base36(rng.getrandbits(80))}",
        "gclid": f"gclid=Cj0KCQ{base36(rng.getrandbits(70))}",
    }.get(variant)
    if extra:
        query = f"{query}&{extra}" if query else extra
    netloc, path, fragment = parts.netloc, parts.path, parts.fragment
    if variant == "upper_host":
        netloc = netloc.upper() if rng.random() < 0.5 else ".".join(p.capitalize() for p in netloc.split("."))
    elif variant == "default_port":
        netloc = f"{netloc}:{443 if parts.scheme == 'https' else 80}"
    elif variant == "fragment":
        fragment = rng.choice(("comments", "section-2", "top", "more", "respond"))
    elif variant == "trailing_slash":
        path = path[:-1] if path.endswith("/") else path + "/"
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def reddit_domain(url: str) -> str:
    """The `domain` field of a submission: the lower-cased host without "www." or a port."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host
