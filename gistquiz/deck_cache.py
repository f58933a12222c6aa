"""The parse cache: each deck file's parsed cards and problems, kept as JSON so that a big collection
whose files did not change opens without parsing them again.

One entry per deck file, in ``<data folder>/cache/decks/``, named by a hash of the file's path. An
entry is used only when everything a parse depends on is what it was when the entry was written:

- the file's path (as shown in messages), size, modification time (ns) and a BLAKE2b hash of its bytes
  (the bytes read now, so an edit that keeps the size and lands in the same mtime tick is still seen);
- where the deck was found (``source``) and the demo names known (an unknown ``demo:`` is a problem);
- the entry format, the gistquiz version and a hash of the parser's own source files (so a parser
  changed in a checkout without a new version number never serves an old parse);
- a hash of the entry's body, so that a torn or corrupted file is a miss, not wrong cards.

Anything else (a missing, unreadable, truncated or foreign entry) is a miss: the file is parsed afresh
and its entry written again. Nothing is unpickled: the body is plain JSON, decoded into the same
:class:`~gistquiz.deck.Card` values a parse makes. Writing is best effort (a read-only data folder
just means parsing each time).

The cards are stored by column (every card's key, then every front, ...), with tags, options and
exercises numbered in small tables: a 10,000-card deck decodes with one ``json.loads`` and a ``map``
over the columns, at about a quarter of the cost of building the same cards row by row.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from contextlib import suppress
from functools import cache
from itertools import repeat
from pathlib import Path
from typing import Any

from gistquiz import __version__
from gistquiz.deck import Card, Deck, Kind, Option, gc_paused, parse_deck
from gistquiz.errors import DeckError

FORMAT = 1
"""The entry layout; raise it when the layout changes."""
_KINDS = {k.value: k for k in Kind}
_PARSER_SOURCES = (
    "deck.py",
    "deck_parser.py",
    "cloze.py",
    "exercise.py",
    "exercise_card.py",
    "errors.py",
    "deck_cache.py",
)
CARD_FIELDS = Card._fields
"""The columns an entry stores, in the order ``Card()`` takes them (all but ``deck``, which is the deck's key)."""


class DeckCache:
    """Parsed decks under ``folder``, one JSON file per deck file."""

    def __init__(self, folder: Path, write: bool = True):
        self.folder = folder
        self.write = write
        """False: a fresh parse is not stored (a read-only look at the data folder, see ``home_view``)."""

    def parse(
        self, data: bytes, stat: os.stat_result, path: str, known_demos: Iterable[str] | None, source: str
    ) -> Deck:
        """``parse_deck(data, path, known_demos, source)``, from the cache when its entry still holds."""
        names = None if known_demos is None else sorted(known_demos)
        key = entry_key(data, stat, path, names, source)
        entry = self.folder / f"{hashlib.blake2b(path.encode(), digest_size=16).hexdigest()}.json"
        deck = _load(entry, key)
        if deck is None:
            deck = parse_deck(data, path, known_demos=names, source=source)
            if self.write:
                _store(entry, key, deck)
        return deck


def entry_key(data: bytes, stat: os.stat_result, path: str, demos: list[str] | None, source: str) -> dict[str, Any]:
    """Everything an entry must match to stand for the parse of ``data``."""
    return {
        "format": FORMAT,
        "gistquiz": __version__,
        "parser": parser_hash(),
        "path": path,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "blake2b": hashlib.blake2b(data).hexdigest(),
        "source": source,
        "demos": demos,
    }


@cache
def parser_hash() -> str:
    """A hash of the source files that decide what a parse yields."""
    here = Path(__file__).parent
    h = hashlib.blake2b()
    for name in _PARSER_SOURCES:
        try:
            h.update((here / name).read_bytes())
        except OSError:  # no source files (a frozen build): the version number alone must do
            h.update(name.encode())
    return h.hexdigest()


# ----------------------------------------------------------------- reading and writing an entry


def _load(entry: Path, key: dict[str, Any]) -> Deck | None:
    """The deck an entry holds, or ``None`` for any entry that does not match ``key`` exactly."""
    try:
        with entry.open("rb") as f:
            head, body = f.readline(), f.read()
    except OSError:
        return None
    try:
        header = json.loads(head)
        if header.get("key") != key or header.get("body") != hashlib.blake2b(body).hexdigest():
            return None
        with gc_paused():
            return decode(json.loads(body), key["path"], key["source"])
    except Exception:  # a damaged entry, whatever its damage: the file is parsed afresh
        return None


def _store(entry: Path, key: dict[str, Any], deck: Deck) -> None:
    body = json.dumps(encode(deck), ensure_ascii=False, separators=(",", ":")).encode()
    header = json.dumps({"key": key, "body": hashlib.blake2b(body).hexdigest()}, separators=(",", ":")).encode()
    made = [d for d in (entry.parent.parent, entry.parent) if not d.is_dir()]
    tmp = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=f".{entry.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(header + b"\n" + body)
        os.replace(tmp, entry)  # atomic: a reader sees the old entry or the new one, never half of one
    except OSError:  # a read-only or full disk: parse each time, and leave the data folder as it was
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        for folder in reversed(made):
            with suppress(OSError):
                folder.rmdir()


def encode(deck: Deck) -> dict[str, Any]:
    """A deck as JSON values: the cards by column, tuples of tags, options and exercises numbered in tables."""
    tables: dict[str, dict[Any, int]] = {"tags": {(): 0}, "options": {(): 0}, "exercise": {None: 0}}
    columns: dict[str, list[Any]] = {name: [] for name in CARD_FIELDS if name != "deck"}
    for card in deck.cards:
        for name, column in columns.items():
            value = getattr(card, name)
            if name in tables:
                value = tables[name].setdefault(value, len(tables[name]))
            elif name == "kind":
                value = value.value
            column.append(value)
    ex = [None] + [[e.starter, e.tests, e.solution, e.tests_line] for e in list(tables["exercise"])[1:]]
    return {
        "key": deck.key,
        "title": deck.title,
        "description": deck.description,
        "errors": [[e.path, e.line, e.message] for e in deck.errors],
        "cards": columns,
        "tags": list(tables["tags"]),
        "options": [[[o.text, o.correct] for o in options] for options in tables["options"]],
        "exercise": ex,
    }


def decode(body: dict[str, Any], path: str, source: str) -> Deck:
    """The deck :func:`encode` stored. Raises (anything) on a body that is not one it wrote."""
    c = body["cards"]
    n = len(c["key"])
    if any(len(column) != n for column in c.values()) or len(c) != len(CARD_FIELDS) - 1:
        raise ValueError("columns of different lengths")  # map() would stop at the shortest, silently
    tags = [tuple(t) for t in body["tags"]]
    options = [tuple(Option(text, correct) for text, correct in o) for o in body["options"]]
    exercise = [None] + [_exercise(*e) for e in body["exercise"][1:]]
    cards = list(
        map(
            Card,
            c["key"],
            repeat(body["key"]),
            map(_KINDS.__getitem__, c["kind"]),
            c["front"],
            c["back"],
            c["line"],
            map(tags.__getitem__, c["tags"]),
            c["demo"],
            map(options.__getitem__, c["options"]),
            c["cloze_text"],
            c["cloze_index"],
            c["note_id"],
            map(exercise.__getitem__, c["exercise"]),
        )
    )
    errors = [DeckError(where, line, message) for where, line, message in body["errors"]]
    return Deck(body["key"], body["title"], body["description"], path, cards, errors, source)


def _exercise(starter: str, tests: str, solution: str, tests_line: int):
    from gistquiz.exercise_card import Exercise  # only decks with exercises pay for the import, as in the parser

    return Exercise(starter, tests, solution, tests_line)
