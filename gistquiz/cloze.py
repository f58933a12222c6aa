"""Cloze deletions in Anki's syntax: ``{{c1::answer}}`` and ``{{c1::answer::hint}}``.

Each number makes one card; deletions that share a number are hidden together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gistquiz.errors import DeckError

_START = re.compile(r"\{\{c(\d+)::")
_NEAR_MISS = re.compile(r"\{\{c\d+:(?!:)")
MAX_NUMBER = 9999
"""The largest cloze number: bounds what ``int()`` is asked to read (Python refuses over 4,300 digits)."""


@dataclass(frozen=True)
class Deletion:
    number: int
    answer: str
    hint: str
    start: int
    end: int
    """``text[start:end]`` is the whole ``{{c1::...}}``."""


@dataclass
class Found:
    deletions: list[Deletion] = field(default_factory=list)
    errors: list[DeckError] = field(default_factory=list)

    @property
    def numbers(self) -> list[int]:
        return sorted({d.number for d in self.deletions}) if self.deletions else []


def find(text: str, first_line: int = 1, path: str = "") -> Found:
    """Every deletion in ``text``, and a located error for each malformed one."""
    found = Found()
    if "{{" not in text:
        return found

    line_at = _LineCounter(text, first_line)
    pos = 0
    while (m := _START.search(text, pos)) is not None:
        close = text.find("}}", m.end())
        nested = _START.search(text, m.end(), close if close != -1 else len(text))
        if close == -1:
            found.errors.append(DeckError(path, line_at(m.start()), f"unclosed cloze '{m.group(0)}…': add '}}}}'"))
            break
        if nested:
            # Only the text already scanned is looked at again, so a hostile line stays linear to check.
            opened = text[m.start() : nested.start()]
            column = m.start() - text.rfind("\n", 0, m.start())
            if "}" in opened:  # "{{c1::x} ... {{c2::": the first one's end lost a brace, it is not nested
                shown = _shorten(opened[: opened.index("}") + 1])
                message = f"cloze '{shown}' (column {column}) is not closed: end it with '}}}}'"
                found.errors.append(DeckError(path, line_at(m.start()), message))
            else:
                message = (
                    f"nested clozes are not supported (or '{_shorten(opened)}' at column {column} is not closed: "
                    "end it with '}}')"
                )
                found.errors.append(DeckError(path, line_at(nested.start()), message))
            pos = close + 2
            continue
        answer, _, hint = text[m.end() : close].partition("::")
        number = _number(m.group(1))
        if not answer.strip():
            found.errors.append(DeckError(path, line_at(m.start()), f"empty cloze '{text[m.start() : close + 2]}'"))
        elif number > MAX_NUMBER:
            shown = m.group(1) if len(m.group(1)) <= 12 else m.group(1)[:12] + "…"
            found.errors.append(
                DeckError(path, line_at(m.start()), f"cloze number c{shown} is too large: use c1 to c{MAX_NUMBER}")
            )
        elif number < 1:
            found.errors.append(DeckError(path, line_at(m.start()), "cloze numbers start at c1"))
        else:
            found.deletions.append(Deletion(number, answer.strip(), hint.strip(), m.start(), close + 2))
        pos = close + 2
    line_at = _LineCounter(text, first_line)
    for miss in _NEAR_MISS.finditer(text):
        found.errors.append(
            DeckError(path, line_at(miss.start()), f"'{miss.group(0)}' looks like a cloze: write '{{{{cN::text}}}}'")
        )
    return found


def _number(digits: str) -> int:
    """The value of a run of digits, or ``MAX_NUMBER + 1`` for any longer number (never a huge int)."""
    digits = digits.lstrip("0")
    return int(digits or "0") if len(digits) <= len(str(MAX_NUMBER)) else MAX_NUMBER + 1


class _LineCounter:
    """Line numbers of offsets asked for in increasing order, counting each newline once.

    Counting from the start for every error made a body of 100,000 bad clozes take time quadratic in its
    size. An offset before the last one (not expected) counts again from the start: still correct.
    """

    def __init__(self, text: str, first_line: int):
        self.text, self.first_line = text, first_line
        self.offset, self.line = 0, first_line

    def __call__(self, offset: int) -> int:
        if offset < self.offset:
            self.offset, self.line = 0, self.first_line
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line


def _render(text: str, number: int, hidden: bool) -> str:
    out: list[str] = []
    pos = 0
    for d in find(text).deletions:
        out.append(text[pos : d.start])
        if d.number != number:
            out.append(d.answer)
        elif hidden:
            out.append(f"**[{d.hint or '...'}]**")
        else:
            out.append(f"**{d.answer}**")
        pos = d.end
    out.append(text[pos:])
    return "".join(out)


EXTRA = "\n\n---\n"
"""A rule after a blank line: what follows is shown with the answer only (Anki's "Back Extra")."""


def question(text: str, number: int) -> str:
    """The text with deletion ``number`` blanked (``[...]`` or ``[hint]``), the others shown; no answer-only part."""
    return _render(text.partition(EXTRA)[0], number, hidden=True)


def answer(text: str, number: int) -> str:
    """The full text with deletion ``number`` in bold."""
    return _render(text, number, hidden=False)


def answers(text: str, number: int) -> list[str]:
    """What a learner must type for deletion ``number``, in order."""
    return [d.answer for d in find(text).deletions if d.number == number]


def plain(text: str) -> str:
    """The text with every deletion shown as its answer, no markup."""
    return _render(text, 0, hidden=False)


def _shorten(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
