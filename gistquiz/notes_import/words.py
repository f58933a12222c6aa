"""The only words the importer changes: common abbreviations and Greek letters written as ``{Name}``.

Everything else on a card is the notes' own text. The tables are small on
purpose: a change is made only where the meaning is not in doubt, and each
card's comment lists the changes made in it, so the user can see and undo them.
Misspellings are never corrected, only flagged (:mod:`.spelling`): a correction
can be wrong, and "BLUE" for BLEU is a correction of fact, the learner's to make.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ABBREVIATIONS: dict[str, str] = {
    "ie": "i.e.",
    "eg": "e.g.",
    "esp": "especially",
    "wrt": "with respect to",
}
"""Common Latin and English shorthand, matched as whole words, case-sensitively (``IE`` and ``ESP`` are other
things). One person's own shorthand ("Distb", "Val") is left as written: guessing it is not general."""

GREEK: dict[str, str] = {
    "{Alpha}": "α",
    "{Beta}": "β",
    "{Gamma}": "γ",
    "{Delta}": "δ",
    "{Epsilon}": "ε",
    "{Eta}": "η",
    "{Theta}": "θ",
    "{Lambda}": "λ",
    "{Mu}": "μ",
    "{Sigma}": "σ",
}
"""Greek letters written as ``{Name}``, as the notes write the learning rate ``{Eta}``."""

REPLACEMENTS: dict[str, str] = {**ABBREVIATIONS, **GREEK}

_WORDS = re.compile(
    r"(?<![\w{])(" + "|".join(re.escape(k) for k in sorted(REPLACEMENTS, key=len, reverse=True)) + r")(?![\w}])"
)


@dataclass(frozen=True)
class Cleaned:
    text: str
    changes: tuple[str, ...]
    """``"ie -> i.e."`` for each distinct change made, in order of first use."""


def clean(text: str) -> Cleaned:
    """The text with the table's words replaced, and the list of changes made."""
    changes: list[str] = []

    def swap(m: re.Match[str]) -> str:
        old = m.group(1)
        new = REPLACEMENTS[old]
        note = f"{old} -> {new}"
        if note not in changes:
            changes.append(note)
        return new

    return Cleaned(_WORDS.sub(swap, text), tuple(changes))
