"""The only words the importer changes: an explicit table of abbreviations and one of misspellings.

Everything else on a card is the notes' own text. Each table is small on
purpose: a change is made only where the meaning is not in doubt, and each
card's comment lists the changes made in it, so the user can see and undo them.

Misspellings are fixed only for words that are not English words and have one
obvious correction (most of them are spelled right elsewhere in the same
notes). A misspelling that is itself a word, such as "BLUE" for the BLEU score
or "Covariance" for "covariate shift", is left alone: changing it would be a
correction of fact, which is the user's to make.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ABBREVIATIONS: dict[str, str] = {
    "ie": "i.e.",
    "esp": "especially",
    "Distb": "distribution",
    "Diff": "different",
    "Val": "value",
}
"""Shorthand from the seed notes (``gist-dl-notes.txt``), matched as whole words, case-sensitively
(``IE`` and ``ESP`` are other things)."""

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

MISSPELLINGS: dict[str, str] = {
    "understanfing": "understanding",
    "layeer": "layer",
    "Signnificance": "Significance",
    "immprove": "improve",
    "Dese": "Dense",  # the notes write "Dense layers" a few lines further on
    "MaxPoolinngg": "MaxPooling",  # spelled "MaxPooling" earlier in the same list
    "mesaurement": "measurement",
}
"""Non-words from the seed notes with one obvious correction, matched as whole words."""

REPLACEMENTS: dict[str, str] = {**ABBREVIATIONS, **GREEK, **MISSPELLINGS}

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
