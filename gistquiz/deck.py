"""The deck format: a Markdown file a person writes in any editor.

A deck looks like this (the README has the full description)::

    # Deep learning, the gist               <- the deck's title
    Cards from my notes.                     <- its description (optional)

    ## Why does batch normalization speed up training?     <- a card; the heading is its front
    tags: batchnorm                          <- optional metadata lines right under the heading
    demo: batchnorm

    Each layer sees inputs with a similar distribution from batch to batch...   <- the back

A card's body decides its kind: a list of ``- [x]`` / ``- [ ]`` options makes a
multiple-choice card, ``{{c1::...}}`` deletions make cloze cards (one per number),
and ``type: reversed`` or ``type: typed`` ask both ways or for a typed answer.
``type: exercise`` makes a coding exercise: the task, then fenced ``python``
(starter), ``python tests`` and ``python solution`` blocks (see :mod:`gistquiz.exercise`).

Deck files are data: nothing here executes them, and ``demo:`` is only a name
checked against the known demos.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gistquiz.errors import DeckError, DeckFileError

if TYPE_CHECKING:
    from gistquiz.deck_cache import DeckCache
    from gistquiz.exercise_card import Exercise

MAX_DECK_BYTES = 64 * 1024 * 1024

_WORD = re.compile(r"\w+")
_ASCII_NON_WORD = str.maketrans({chr(i): " " for i in range(128) if not (chr(i).isalnum() or chr(i) == "_")})


class Kind(StrEnum):
    BASIC = "basic"
    REVERSED = "reversed"
    TYPED = "typed"
    CLOZE = "cloze"
    CHOICE = "choice"
    EXERCISE = "exercise"


class Option(NamedTuple):
    """One choice of a multiple-choice card, as the deck lists it (``- [x]`` marks a right one)."""

    text: str
    correct: bool


class Card(NamedTuple):
    """One thing to review. A note (a ``##`` section) makes one or more cards.

    A named tuple: immutable and hashable at a tuple's cost. (A frozen dataclass's ``__init__`` cost six
    times a slotted one's, and a 100,000-card deck makes 100,000 of them; creating either dataclass took
    0.55 ms in the first screen's imports, the named tuple 0.1 ms.)
    """

    key: str
    """Stable identity: ``deck:id`` or ``deck:~hash``, plus ``/rev`` or ``/cN`` for sibling cards."""
    deck: str
    kind: Kind
    front: str
    """Markdown shown first (for cloze cards: the note's heading, a context line)."""
    back: str
    """Markdown shown on reveal."""
    line: int
    """Line of the card's heading in the deck file."""
    tags: tuple[str, ...] = ()
    demo: str | None = None
    options: tuple[Option, ...] = ()
    cloze_text: str = ""
    """The note's text with all ``{{cN::...}}`` markup, for cloze cards."""
    cloze_index: int = 0
    note_id: str | None = None
    """The explicit ``id:`` of the note, if any."""
    exercise: Exercise | None = None
    """An exercise card's starter, tests and solution (``front`` holds the task, ``back`` the text after)."""

    @property
    def answers(self) -> tuple[str, ...]:
        """Accepted answers of a typed card: the back's first line, split on ``|``."""
        first = self.back.strip().splitlines()[0] if self.back.strip() else ""
        return tuple(a.strip() for a in first.split("|") if a.strip())

    @property
    def explanation(self) -> str:
        """A typed card's back after its answer line."""
        lines = self.back.strip().splitlines()
        return "\n".join(lines[1:]).strip()

    @property
    def fingerprint(self) -> str:
        """Normalised words of the card, for re-linking history after an edit."""
        return normalize(f"{self.front} {self.cloze_text or self.back}")


class Deck(NamedTuple):
    """One deck file, parsed: its cards, and the problems found in it (``file:line: what is wrong``).

    A named tuple, as Card is: the dataclass it was took 0.3-0.6 ms to create, before the first screen's
    deck table could be filled. A change (a second deck of the same name is emptied) is a ``_replace``.
    """

    key: str
    """Identity of the deck: its file name without ``.md``, lower-cased."""
    title: str
    description: str
    path: str
    cards: list[Card]
    errors: list[DeckError]
    source: str = ""
    """Where the deck was found: "bundled", "user", or a folder given with ``--decks``."""

    @property
    def ok(self) -> bool:
        return not self.errors


def normalize(text: str) -> str:
    """Lower-case words only: edits of case, punctuation and spacing keep a card's identity.

    The words are ``\\w+`` runs; ASCII text takes a faster path (a translation table) with the same result.
    """
    if text.isascii():
        return " ".join(text.lower().translate(_ASCII_NON_WORD).split())
    return " ".join(_WORD.findall(text.lower()))


def deck_key(path: str | Path) -> str:
    return Path(path).name.removesuffix(".md").lower()


def read_deck(
    path: str | Path, known_demos: Iterable[str] | None = None, source: str = "", cache: DeckCache | None = None
) -> Deck:
    """Read and parse one deck file. Never raises for a problem in the file: see ``Deck.errors``.

    With a ``cache``, a file whose bytes (and everything else the parse depends on) did not change since
    its last parse is not parsed again (see :mod:`gistquiz.deck_cache`).
    """
    p = Path(path)
    shown = str(path)
    try:
        with p.open("rb") as f:
            st = os.fstat(f.fileno())  # the size and mtime of the very file read, for the cache's key
            if st.st_size > MAX_DECK_BYTES:
                return _failed(p, shown, 1, f"file too large ({st.st_size // 2**20} MiB; the limit is 64 MiB)", source)
            data = f.read()
    except OSError as err:
        return _failed(p, shown, 1, f"cannot read: {err.strerror or err}", source)
    if cache is not None:
        return cache.parse(data, st, shown, known_demos, source)
    return parse_deck(data, shown, known_demos=known_demos, source=source)


def _failed(p: Path, shown: str, line: int, message: str, source: str) -> Deck:
    key = deck_key(p)
    return Deck(key, key, "", shown, [], [DeckError(shown, line, message)], source)


def decode(data: bytes, path: str) -> str:
    """Text of a deck file: UTF-8 with or without a BOM, any line ending.

    Raises
    ------
    DeckFileError
        For bytes that are not UTF-8, at the line of the first bad byte.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise DeckFileError(
            DeckError(path, line, f"not UTF-8 text (byte 0x{data[err.start]:02x}); save the file as UTF-8")
        ) from None
    return _newlines(text)


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def parse_deck(
    data: bytes | str,
    path: str,
    known_demos: Iterable[str] | None = None,
    source: str = "",
) -> Deck:
    """Parse a deck file's contents into cards, collecting every problem found.

    A note with a problem is left out and reported; the deck's other cards stay
    usable. ``known_demos`` of ``None`` skips the check of ``demo:`` names.
    """
    key = deck_key(path)
    try:
        text = decode(data, path) if isinstance(data, bytes) else _newlines(data.removeprefix("\ufeff"))
    except DeckFileError as err:
        return Deck(key, key, "", path, [], [err.error], source)
    from gistquiz.deck_parser import Parser  # here: a deck found in the parse cache needs no parser

    parser = Parser(path, key, set(known_demos) if known_demos is not None else None)
    with gc_paused():
        return parser.parse(text, source)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building many small objects without cycles (cards, notes): its passes
    over them would double the time of a big deck's parse."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
