"""The special tokens a tokenizer reserves for the model families the trainer supports.

They take the first ids, in a fixed order (end-of-text, pad, mask, cls, sep, the T5 sentinels, then
any extra ones), so the same settings always give the same ids and ``manifest.json`` stays stable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: named roles, in id order; ``unk`` is listed for trainers that ask, a byte-level BPE never needs one
ROLES = ("eos", "pad", "mask", "cls", "sep")
SENTINEL_FORMAT = "<extra_id_{}>"  # T5's spelling (Raffel et al. 2020), what T5 tokenizers use


@dataclass(frozen=True)
class SpecialTokens:
    """Special token strings; ``None`` leaves a role out (and the later ids move down)."""

    eos: str
    pad: str | None = None
    mask: str | None = None
    cls: str | None = None
    sep: str | None = None
    sentinels: int = 0
    extra: tuple[str, ...] = field(default_factory=tuple)

    def sentinel_tokens(self) -> list[str]:
        return [SENTINEL_FORMAT.format(i) for i in range(self.sentinels)]

    def ordered(self) -> list[str]:
        """Every special token in id order: roles, sentinels, extras."""
        named = [t for t in (self.eos, self.pad, self.mask, self.cls, self.sep) if t is not None]
        return named + self.sentinel_tokens() + list(self.extra)

    def roles(self) -> dict[str, str | None]:
        return {"eos": self.eos, "pad": self.pad, "mask": self.mask, "cls": self.cls, "sep": self.sep}

    def problems(self) -> str | None:
        """Why this set cannot be used (an empty or repeated token), or None."""
        tokens = self.ordered()
        if any(not t for t in tokens):
            return "special tokens must not be empty strings"
        seen: set[str] = set()
        for t in tokens:
            if t in seen:
                return f"special token {t!r} is listed twice"
            seen.add(t)
        return None
