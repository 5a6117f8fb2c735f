"""Word pools shared by every generator: people, places, dates, quantities, site and user names.

Town names are built from two invented halves, so the place vocabulary grows with the combinations
rather than with a list of real places.
"""

from __future__ import annotations

import random

FIRST_NAMES = (
    "Aisha", "Alba", "Amir", "Anton", "Bea", "Bram", "Caleb", "Carmen", "Cyril", "Dalia", "Dev", "Edith",
    "Elias", "Esme", "Farid", "Flora", "Gareth", "Greta", "Hana", "Hugo", "Idris", "Ines", "Isla", "Jonah",
    "Juno", "Kai", "Kenji", "Lars", "Leona", "Lior", "Mabel", "Malik", "Mara", "Milo", "Nadia", "Nell",
    "Niamh", "Noor", "Olek", "Orla", "Otis", "Pia", "Priya", "Quinn", "Rafe", "Rosa", "Rupert", "Saoirse",
    "Selim", "Soren", "Tamsin", "Teo", "Thea", "Tomasz", "Una", "Vera", "Viktor", "Wren", "Yara", "Yusuf",
    "Zadie", "Zeke", "Agnes", "Barnaby", "Cosima", "Dermot", "Effie", "Florian", "Gwen", "Hamish",
    "Ingrid", "Jasper", "Kit", "Lorna", "Magnus", "Odile", "Petra", "Ravi", "Sunniva", "Tobias",
)

SURNAMES = (
    "Abernethy", "Achterberg", "Baptiste", "Blackwood", "Brennan", "Castellano", "Chowdhury", "Dalgleish",
    "Devereux", "Eriksen", "Fairweather", "Fenwick", "Gallagher", "Grimaldi", "Haddad", "Holloway",
    "Ishikawa", "Jablonski", "Kavanagh", "Kowalczyk", "Lindqvist", "Lockhart", "Mbeki", "Merriweather",
    "Nakamura", "Novak", "Okafor", "Ollerenshaw", "Pemberton", "Quintero", "Radcliffe", "Rosenthal",
    "Sandoval", "Szabo", "Thackeray", "Trevelyan", "Underhill", "Valdivia", "Varga", "Whitcombe",
    "Winterbottom", "Yilmaz", "Zielinski", "Ashdown", "Bellweather", "Coulthard", "Drummond", "Esterhazy",
)

_TOWN_HEADS = (
    "Ash", "Bram", "Cald", "Dun", "Elm", "Fern", "Gos", "Hal", "Ket", "Lind", "Marl", "Nether", "Ox",
    "Pen", "Rook", "Sal", "Thorn", "Wend", "Yar", "Brack", "Cor", "Dray", "Hollin", "Kirk", "Lang",
    "Mistle", "Quarr", "Sedge", "Tarn", "Whin",
)
_TOWN_TAILS = (
    "bury", "combe", "ford", "ham", "ley", "mouth", "stead", "wick", "ton", "bridge", "field", "thorpe",
    "by", "well", "hythe", "marsh", "gate", "holme",
)

MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SEASONS = ("spring", "summer", "autumn", "winter", "early spring", "late summer", "midwinter")
SMALL = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve")
DURATIONS = (
    "twenty minutes", "half an hour", "forty minutes", "an hour", "ninety minutes", "two hours",
    "a long afternoon", "three evenings", "a whole weekend", "fifteen minutes",
)


def town(rng: random.Random) -> str:
    return rng.choice(_TOWN_HEADS) + rng.choice(_TOWN_TAILS)


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def number(rng: random.Random) -> str:
    return str(rng.randint(3, 95))


def big_number(rng: random.Random) -> str:
    return f"{rng.randint(120, 4800):,}"


def year(rng: random.Random) -> str:
    return str(rng.randint(1968, 2018))


def generic_pools(rng: random.Random) -> dict[str, object]:
    """Pools every template may use; a friend's name and a home town are fixed per document."""
    return {
        "name": (rng.choice(FIRST_NAMES),) * 3 + (rng.choice(FIRST_NAMES),),
        "town": (town(rng),) * 3 + (town(rng),),
        "month": MONTHS,
        "weekday": WEEKDAYS,
        "season": SEASONS,
        "small": SMALL,
        "dur": DURATIONS,
        "num": number,
        "big": big_number,
        "year": year,
        "surname": SURNAMES,
    }


_USER_WORDS = (
    "quiet", "kettle", "fern", "lantern", "copper", "moss", "velvet", "gravel", "thistle", "harbor",
    "marble", "pixel", "otter", "cobalt", "saffron", "walnut", "ember", "drizzle", "pepper", "sparrow",
    "tundra", "maple", "nimbus", "quill", "rustic", "salt", "tidal", "umber", "willow", "zephyr",
)


def username(rng: random.Random) -> str:
    a, b = rng.sample(_USER_WORDS, 2)
    style = rng.randrange(5)
    if style == 0:
        return f"{a}_{b}"
    if style == 1:
        return f"{a.title()}{b.title()}{rng.randint(1, 99)}"
    if style == 2:
        return f"throwaway_{rng.randint(1000, 9999)}"
    if style == 3:
        return f"{rng.choice(FIRST_NAMES).lower()}_{b}_{rng.randint(70, 99)}"
    return f"{a}-{b}-{rng.randint(1, 9)}"
