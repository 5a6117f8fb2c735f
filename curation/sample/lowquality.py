"""Pages that the C4, Gopher and FineWeb rules are meant to drop, one builder per rule they exercise."""

from __future__ import annotations

import random
import string

from curation.sample.document import Document, Section
from curation.sample.lexicon import MONTHS, WEEKDAYS, generic_pools
from curation.sample.template import render


def write_short(rng: random.Random) -> Document:
    """Fewer than 50 words of main text (Gopher: at least 50 words)."""
    pools = generic_pools(rng)
    title = render(rng.choice(("[Gallery|Quick] update", "Closed on {weekday}", "[New|More] photos")), rng, pools)
    lines = (
        "Photos from {weekday}'s [ride|walk|meet-up] are now up in the gallery.",
        "[Thanks|Cheers] to everyone who came along!",
        "The [shop|club room|office] is closed on {weekday} for [repairs|a private event].",
        "Back [next week|soon] with more.",
    )
    text = " ".join(render(t, rng, pools) for t in rng.sample(lines, rng.randint(1, 3)))
    return Document(title=title, sections=[Section(None, [text])], topic="short")


_CHECKLIST = (
    "passport", "phone charger", "spare socks", "rain jacket", "sun cream", "toothbrush", "head torch",
    "first aid kit", "water bottle", "snacks", "paper map", "notebook", "pen", "spare batteries", "tent pegs",
    "sleeping bag", "camping mat", "stove", "gas canister", "matches", "pocket knife", "mug", "spork",
    "tea bags", "bin bags", "duct tape", "cable ties", "sunglasses", "warm hat", "gloves", "towel",
    "flip-flops", "earplugs", "eye mask", "travel pillow", "padlock", "bank card", "some cash", "tickets",
    "house keys", "bike lock", "reading book", "plasters", "insect spray", "hand gel", "tissues", "umbrella",
)


def write_list_heavy(rng: random.Random) -> Document:
    """Almost every line a bullet (Gopher: at most 90% of lines may start with a bullet)."""
    title = render("[Packing|Camping|Weekend] checklist ({month})", rng, {"month": MONTHS})
    items = rng.sample(_CHECKLIST, rng.randint(30, 45))
    return Document(title=title, sections=[Section(None, ["Checklist:"], items=items)], topic="list")


def write_symbol_table(rng: random.Random) -> Document:
    """A price table: mostly numbers, currency signs and '#' (Gopher: 80% of words need a letter)."""
    rows = [["#", "SKU", "£", "$", "€", "%", "qty"]]
    for n in range(rng.randint(40, 70)):
        gbp = rng.randint(100, 9999) / 100
        rows.append([f"#{n + 1}", f"{rng.randint(1000, 9999)}-{rng.randint(10, 99)}", f"£{gbp:.2f}",
                     f"${gbp * 1.27:.2f}", f"€{gbp * 1.14:.2f}", f"-{rng.randint(5, 60)}%", f"x{rng.randint(1, 48)}"])
    title = f"Price list {rng.choice(MONTHS)} 2019 ..."
    return Document(title=title, sections=[Section(None, ["..."], table=rows)], topic="table")


_SYLLABLES = ("lo", "rem", "ta", "mor", "vel", "qua", "res", "lin", "dor", "sen", "pra", "tum", "vix", "cel",
              "nos", "bra", "fi", "ul", "mag", "ten", "si", "bo", "ca", "dun", "er", "pul", "ra", "tis")


def _pseudo_latin(rng: random.Random, words: int) -> str:
    out = []
    for i in range(words):
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3)))
        out.append(word + ("." if i % rng.randint(7, 12) == 6 else ""))
    return " ".join(out).capitalize() + "."


def write_lorem_ipsum(rng: random.Random) -> Document:
    """Placeholder text from an unfinished theme (C4: drop pages containing "lorem ipsum")."""
    paragraphs = ["Lorem ipsum " + _pseudo_latin(rng, rng.randint(40, 70)) for _ in range(rng.randint(2, 4))]
    title = rng.choice(("Sample Page", "Hello world!", "Page title here", "Your headline"))
    return Document(title=title, sections=[Section(None, paragraphs)], topic="placeholder")


def write_js_required(rng: random.Random) -> Document:
    """The noscript text of a client-rendered app (C4: drop lines mentioning javascript)."""
    text = rng.choice((
        "JavaScript is required to use this site. Please enable JavaScript in your browser and reload the page.",
        "You need to enable JavaScript to run this app.",
        "This page requires JavaScript. Turn it on in your browser settings to continue.",
    ))
    return Document(title="Loading…", sections=[Section(None, [text])], topic="app-shell")


_POLICY = (
    "This website uses cookies to give you the best experience.",
    "By continuing to browse the site you agree to our use of cookies.",
    "Cookies are small text files stored on your device when you visit a website.",
    "We use cookies to remember your preferences and to understand how visitors use the site.",
    "Some cookies are set by third parties, such as analytics and advertising services.",
    "You can change your cookie settings at any time in your browser.",
    "Blocking some types of cookies may affect your experience of the site.",
    "For more information please read our privacy policy and our terms of use.",
    "This cookie policy was last updated on {day} {month} {year}.",
    "If you have questions about this cookie policy, please contact us.",
)


def write_cookie_policy(rng: random.Random) -> Document:
    """A page that is only a cookie notice (C4: drop lines about cookies, privacy policy, terms of use)."""
    pools = {"day": lambda r: str(r.randint(1, 28)), "month": MONTHS, "year": lambda r: str(r.randint(2016, 2018))}
    sentences = [render(s, rng, pools) for s in _POLICY]
    sections = [
        Section(None, [" ".join(sentences[:3])]),
        Section("How we use cookies", [" ".join(sentences[3:7])]),
        Section("Managing cookies", [" ".join(sentences[7:])]),
    ]
    return Document(title="Cookie policy", sections=sections, topic="policy")


def write_long_lines(rng: random.Random) -> Document:
    """A tag cloud run on into one huge line and an inline data blob with a single 1,500-character word."""
    pools = generic_pools(rng)
    tags = []
    for _ in range(rng.randint(350, 550)):
        tags.append(render(rng.choice(("{town}", "{weekday}", "{month} {year}", "{surname}", "tag{num}")), rng, pools).lower())
    blob = "".join(rng.choice(string.ascii_letters + string.digits + "+/") for _ in range(rng.randint(1500, 2500)))
    title = f"Archive index: {rng.choice(WEEKDAYS)} edition"
    return Document(title=title, sections=[Section(None, [" ".join(tags)], preformatted=blob)], topic="index")
