"""The topic banks behind the English articles: one module per topic, all original text.

Each topic fills the slots the generic templates use (see ``curation.sample.generic``) and adds its own
sentences, headings and titles, so an article mixes topic knowledge with general discourse.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Topic:
    name: str
    subreddits: tuple[str, ...]
    emoji: str
    site_words: tuple[str, ...]  # halves for invented domain names
    sections: tuple[str, ...]  # URL and breadcrumb sections
    titles: tuple[str, ...]
    headings: tuple[str, ...]
    sentences: tuple[str, ...]
    pools: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _load() -> tuple[Topic, ...]:
    from curation.sample.topics import (
        astronomy,
        baking,
        birdwatching,
        chess,
        cooking,
        cycling,
        gardening,
        home_repair,
        local_history,
        music_practice,
        personal_finance,
        photography,
        programming,
        running,
        travel,
    )

    modules = (
        cooking, gardening, cycling, astronomy, programming, home_repair, travel, personal_finance,
        music_practice, birdwatching, local_history, chess, running, photography, baking,
    )
    return tuple(m.TOPIC for m in modules)


TOPICS: tuple[Topic, ...] = _load()
