"""A tiny template language for the sample's original prose.

``[a|b|c]`` picks one alternative (``[very |]`` makes a word optional; alternatives nest) and ``{slot}``
is filled from a pool of phrases. ``{noun2}`` draws from the ``noun`` pool but differs from ``{noun}``; a
slot named twice in one template gets the same value both times, so a sentence can refer back to its own
subject, and ``{Noun}`` capitalises the value. A slot value may itself be a template.
Alternatives every few words are what keep two articles built from the same templates apart: two renders
of one template rarely share a word 5-gram.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

# "a" before a vowel sound; "u" words such as "unit" or "useful" keep "a".
_ARTICLE = re.compile(r"\b([Aa]) (?=[aeiAEI]|o(?!ne)|u(?!s|n[iy]|ti|r[aeiou]))")
_SLOT = re.compile(r"\{([A-Za-z_]+?)(\d?)\}")

Pool = Sequence[str] | Callable[[random.Random], str]
Node = str | tuple  # literal text, ("slot", name, suffix, capitalised) or ("alt", (nodes, ...))


def pick(rng: random.Random, pool: Pool) -> str:
    return pool(rng) if callable(pool) else rng.choice(pool)


def _parse(text: str, start: int, closing: str) -> tuple[list[list[Node]], int]:
    """Parse from ``start`` up to ``closing`` ("]" or end of text); returns the "|"-separated branches."""
    branches: list[list[Node]] = [[]]
    literal: list[str] = []
    i = start

    def flush() -> None:
        if literal:
            branches[-1].append("".join(literal))
            literal.clear()

    while i < len(text):
        char = text[i]
        if char == "[":
            flush()
            inner, i = _parse(text, i + 1, "]")
            branches[-1].append(("alt", tuple(tuple(b) for b in inner)))
            continue
        if char == "]" and closing == "]":
            flush()
            return branches, i + 1
        if char == "|" and closing == "]":
            flush()
            branches.append([])
        elif char == "{" and (match := _SLOT.match(text, i)):
            flush()
            name, suffix = match.group(1), match.group(2)
            branches[-1].append(("slot", name.lower(), suffix, name[:1].isupper()))
            i = match.end()
            continue
        else:
            literal.append(char)
        i += 1
    flush()
    return branches, i


@lru_cache(maxsize=4096)
def compile_template(template: str) -> tuple[Node, ...]:
    branches, _ = _parse(template, 0, "")
    return tuple(branches[0])


def _expand(nodes: tuple[Node, ...], rng: random.Random, pools: Mapping[str, Pool], chosen: dict[str, str],
            out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif node[0] == "alt":
            _expand(rng.choice(node[1]), rng, pools, chosen, out)
        else:
            _, name, suffix, capitalised = node
            key = name + suffix
            if key not in chosen:
                taken = {v for k, v in chosen.items() if k.rstrip("0123456789") == name}
                value = pick(rng, pools[name])
                for _ in range(6):  # a numbered twin should differ from its sibling
                    if value not in taken:
                        break
                    value = pick(rng, pools[name])
                if "[" in value or "{" in value:
                    inner: list[str] = []
                    _expand(compile_template(value), rng, pools, chosen, inner)
                    value = "".join(inner)
                chosen[key] = value
            value = chosen[key]
            out.append(value[:1].upper() + value[1:] if capitalised else value)


def render(template: str, rng: random.Random, pools: Mapping[str, Pool], english: bool = True) -> str:
    """Expand ``template``; for English also fix "a"/"an". The first letter is capitalised."""
    out: list[str] = []
    _expand(compile_template(template), rng, pools, {}, out)
    text = "".join(out)
    if english:
        text = _ARTICLE.sub(lambda m: m.group(1) + "n ", text)
    text = re.sub(r" {2,}", " ", text).replace(" ,", ",").replace(" .", ".").strip()
    return text[:1].upper() + text[1:]
