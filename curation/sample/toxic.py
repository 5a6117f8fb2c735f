"""Hostile, insulting, profane rants, written for this project to trip a toxicity filter.

They insult people for what they post or do (moderators, neighbours, app makers, "you"), never for who
they are: no slurs and no protected group is targeted.
"""

from __future__ import annotations

import random

from curation.sample.document import Document, Section
from curation.sample.template import render

_TITLES = (
    "[Rant|Vent]: I am [done|finished] with [this forum|these people|my neighbour]",
    "[Sick|Tired] of [idiots|morons] [ruining|wrecking] [everything|this sub]",
    "[Screw|To hell with] [this update|these moderators|this app]",
)
_SENTENCES = (
    "You are [an absolute idiot|a complete moron|a pathetic clown], and [every|each] [comment|post] you [write|make] [proves|shows] it [again|all over again].",
    "[Shut up|Shut your mouth] and [stop|quit] [wasting|ruining] everyone's time with your [stupid|idiotic|brainless] [garbage|crap|nonsense].",
    "[Honestly|Frankly], [screw|to hell with] the [moderators|admins] of this [damn|stupid] [forum|site]; they are [useless|spineless] [idiots|clowns] who could not run a [bake sale|lemonade stand].",
    "What the [hell|fuck] is wrong with you [people|lot]?",
    "I [hate|despise] [every|each] [one|single one] of you [smug|arrogant] [jerks|losers] who [reply|comment] before reading.",
    "This is the [dumbest|stupidest|most idiotic] [thing|garbage] I have ever [read|seen], and whoever [wrote|posted] it should be [ashamed|embarrassed].",
    "[Go to hell|Piss off|Get lost], [you|all you] [worthless|pathetic] [trolls|idiots].",
    "My [idiot|moron] neighbour [parked|left] his [stupid|ugly] van across my drive again, and I swear I am going to [lose it|scream at the bastard].",
    "You [bloody|damn] [fool|idiot], [nobody|no one] [asked|cares about] your [worthless|garbage] opinion.",
    "[Fuck|Screw] this [shitty|crappy] [update|app|game]; the [idiots|morons] who [made|designed] it [should be fired|deserve to be fired].",
    "Every [single|damn] day the same [clueless|brain-dead] [idiots|losers] [post|spam] the same [garbage|crap] here.",
    "[Seriously|Honestly], what a [pathetic|useless|worthless] [loser|waste of space] you are; [get a life|grow up].",
    "I am [sick|tired] of [your|this] [bullshit|crap], you [arrogant|smug] [prick|jerk|asshole].",
    "Anyone who [believes|swallows] this [crap|garbage] is [dumber|stupider] than a [bag of rocks|box of hair].",
    "[Thanks for nothing|Great job], [genius|Einstein]; you [broke|ruined] it [again|for everyone], you [clumsy|careless] [idiot|moron].",
    "[Keep|Take] your [stupid|idiotic] [advice|opinions] to yourself, [dickhead|jackass], before you [embarrass|humiliate] yourself [again|even more].",
)


def write_toxic(rng: random.Random) -> Document:
    deck = rng.sample(_SENTENCES, len(_SENTENCES))
    paragraphs = []
    for _ in range(rng.randint(2, 4)):
        count = min(len(deck), rng.randint(3, 5))
        paragraphs.append(" ".join(render(deck.pop(), rng, {}) for _ in range(count)))
        if len(deck) < 3:
            break
    return Document(title=render(rng.choice(_TITLES), rng, {}), sections=[Section(None, paragraphs)], topic="rant")
