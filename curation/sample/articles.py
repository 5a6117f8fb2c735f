"""English articles: a title, an intro and headed sections of 3-8 sentence paragraphs.

Sentences are drawn without replacement from the topic's templates and the generic ones, so one article
never repeats a template (Gopher's duplicate n-gram checks look inside a document).
"""

from __future__ import annotations

import random

from curation.sample import generic
from curation.sample.document import Document, Section
from curation.sample.lexicon import generic_pools, person
from curation.sample.template import render
from curation.sample.topics import TOPICS, Topic

# An opener is only put before a sentence whose first word may be lower-cased without harm.
_LOWERABLE = frozenset((
    "the", "a", "an", "my", "our", "this", "that", "these", "there", "it", "when", "if", "for", "during",
    "in", "on", "at", "by", "after", "before", "since", "some", "many", "most", "none", "nothing", "every",
    "each", "small", "tiny", "reading", "writing", "not", "one", "two", "all", "what", "once", "whatever",
    "however", "money", "budget", "cost", "people", "friends", "visitors", "beginners", "paying",
    "learning", "playing", "keeping", "walking", "running", "practising", "recording", "using", "short",
    "old", "early", "cold", "good", "decent", "plain", "local", "frost", "light", "dew",
))

_LIST_INTROS = (
    "[What I|Things I] [keep|carry|use] [most|every week|without fail]:",
    "[A short|My short|The] [checklist|list] [for|before] [every|each] session:",
    "[Things|Items] [worth|I would call] [having|essential]:",
)
_LIST_ITEMS = (
    "[a|one] [decent|reliable|plain] {tool}", "[spare|extra] {things}", "a notebook for {skill}",
    "[patience|time] for {problem}", "[a|one] [clear|simple] plan for {goal}", "a [friend|partner] like {name}",
)


class _SentenceDeck:
    """Templates of one article, each used at most once; a topic template comes up about half the time."""

    def __init__(self, rng: random.Random, topic: Topic) -> None:
        self.rng = rng
        self.topic_deck = rng.sample(topic.sentences, len(topic.sentences))
        self.generic_deck = rng.sample(generic.SENTENCES, len(generic.SENTENCES))
        self.openers = rng.sample(generic.OPENERS, len(generic.OPENERS))
        self.tails = rng.sample(generic.TAILS, len(generic.TAILS))

    def draw(self, pools: dict) -> str:
        rng = self.rng
        if not self.topic_deck and not self.generic_deck:  # only very long articles get here
            self.generic_deck = rng.sample(generic.SENTENCES, len(generic.SENTENCES))
        use_topic = self.topic_deck and (rng.random() < 0.5 or not self.generic_deck)
        template = (self.topic_deck if use_topic else self.generic_deck).pop()
        sentence = render(template, rng, pools)
        first = sentence.split(" ", 1)[0]
        if self.openers and rng.random() < 0.18 and (first == "I" or first.lower() in _LOWERABLE):
            head = render(self.openers.pop(), rng, pools)
            sentence = f"{head} {sentence if first == 'I' else sentence[0].lower() + sentence[1:]}"
        if self.tails and rng.random() < 0.1 and sentence.endswith(".") and ";" not in sentence:
            sentence = sentence[:-1] + render(self.tails.pop(), rng, pools).rstrip(".") + "."
            sentence = sentence[0].upper() + sentence[1:]
        return sentence


def _paragraph(deck: _SentenceDeck, rng: random.Random, pools: dict) -> str:
    count = rng.choices((3, 4, 5, 6, 7, 8), weights=(3, 5, 5, 4, 2, 1))[0]
    return " ".join(deck.draw(pools) for _ in range(count))


def _headings(rng: random.Random, topic: Topic, pools: dict) -> list[str]:
    templates = rng.sample(topic.headings, len(topic.headings)) + rng.sample(generic.HEADINGS, 6)
    seen: list[str] = []
    for template in templates:
        heading = render(template, rng, pools)
        if heading.lower() not in {h.lower() for h in seen}:
            seen.append(heading)
    return seen


def write_article(rng: random.Random, topic: Topic | None = None, target_words: int | None = None) -> Document:
    """An original article of roughly ``target_words`` words (250-1200 when not given)."""
    topic = topic or rng.choice(TOPICS)
    target = target_words or int(rng.triangular(250, 1200, 900))
    pools = {**generic_pools(rng), **topic.pools}
    titles = topic.titles * 2 + generic.TITLES
    title = render(rng.choice(titles), rng, pools).rstrip(".")
    deck = _SentenceDeck(rng, topic)
    sections = [Section(None, [_paragraph(deck, rng, pools)])]
    words = len(title.split()) + len(sections[0].paragraphs[0].split())
    headings = _headings(rng, topic, pools)
    with_list = rng.random() < 0.2
    while words < target - 40 and headings:
        section = Section(headings.pop(0))
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            paragraph = _paragraph(deck, rng, pools)
            section.paragraphs.append(paragraph)
            words += len(paragraph.split())
            if words >= target - 40:
                break
        if with_list:
            with_list = False
            section.paragraphs.append(render(rng.choice(_LIST_INTROS), rng, pools))
            items = rng.sample(_LIST_ITEMS, rng.randint(3, 5))
            section.items = [render(item, rng, pools) for item in items]
        words += len(section.heading.split()) if section.heading else 0
        sections.append(section)
    return Document(title=title, sections=sections, topic=topic.name, author=person(rng))
