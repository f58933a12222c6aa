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

import bisect
import gc
import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gistquiz.errors import DeckError, DeckFileError

if TYPE_CHECKING:
    from gistquiz.deck_cache import DeckCache
    from gistquiz.exercise_card import Exercise

METADATA_KEYS = ("id", "tags", "demo", "type")
CARD_TYPES = ("basic", "reversed", "typed", "exercise")
MAX_DECK_BYTES = 64 * 1024 * 1024

_META = re.compile(r"[ \t]*([A-Za-z][\w-]*)[ \t]*:(?:[ \t]+(.*)|[ \t]*)$")
_OPTION = re.compile(r"[ \t]*[-*+][ \t]+\[([ xX])\][ \t]*(.*)$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})", re.MULTILINE)
_HEADING = re.compile(r"^##(?=[ \t]|$)", re.MULTILINE)
_TITLE = re.compile(r"^# (.*)$", re.MULTILINE)
_TAG_SEP = re.compile(r"[,\s]+")
_QUESTION_END = re.compile(r"^[ \t]*\?[ \t]*$", re.MULTILINE)
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


@dataclass(slots=True, unsafe_hash=True)
class Card:
    """One thing to review. A note (a ``##`` section) makes one or more cards.

    Treat it as immutable. (Not ``frozen=True`` only because a frozen dataclass's ``__init__`` costs
    six times as much, and a 100,000-card deck makes 100,000 of them.)
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


@dataclass
class Deck:
    """One deck file, parsed: its cards, and the problems found in it (``file:line: what is wrong``)."""

    key: str
    """Identity of the deck: its file name without ``.md``, lower-cased."""
    title: str
    description: str
    path: str
    cards: list[Card] = field(default_factory=list)
    errors: list[DeckError] = field(default_factory=list)
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
    return Deck(key, key, "", shown, errors=[DeckError(shown, line, message)], source=source)


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
        return Deck(key, key, "", path, errors=[err.error], source=source)
    parser = _Parser(path, key, set(known_demos) if known_demos is not None else None)
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


class _Section(NamedTuple):
    """One ``##`` note of a deck file as the parser first splits it, before it becomes cards."""

    heading: str
    line: int
    body: str
    """Everything after the heading line, up to the next card."""


class _Parser:
    def __init__(self, path: str, key: str, known_demos: set[str] | None):
        self.path = path
        self.key = key
        self.known_demos = known_demos
        self.errors: list[DeckError] = []
        self.soft_errors: list[DeckError] = []
        """Problems that leave the card usable (an unknown demo name)."""

    def error(self, line: int, message: str) -> None:
        self.errors.append(DeckError(self.path, line, message))

    def parse(self, text: str, source: str) -> Deck:
        title, title_line, description, sections = self.split(text)
        deck = Deck(self.key, title or self.key, description, self.path, source=source)
        if not text.strip():
            self.error(1, "empty deck file: write a '# Title' line and cards that start with '## '")
        elif not sections:
            self.error(title_line or 1, "no cards: each card starts with a '## ' heading (its front)")
        seen_ids: dict[str, int] = {}
        seen_keys: dict[str, int] = {}
        for section in sections:
            for card in self.cards_of(section, seen_ids):
                first = seen_keys.setdefault(card.key, card.line)
                if first != card.line:
                    self.error(card.line, f"duplicate card: same text as the card on line {first}")
                    break
                deck.cards.append(card)
        deck.errors = sorted(self.errors + self.soft_errors)
        return deck

    def split(self, text: str) -> tuple[str, int, str, list[_Section]]:
        """Title, its line, description and the ``##`` sections, skipping fenced code.

        Works on the whole text with a few regex scans rather than line by line:
        a 100,000-card deck is half a million lines.
        """
        fenced = _fenced_spans(text) if ("```" in text or "~~~" in text) else []
        heads = [m.start() for m in _HEADING.finditer(text)]
        if fenced:
            heads = [h for h in heads if not _inside(h, fenced)]
        first_head = heads[0] if heads else len(text)
        title, title_line, description = "", 0, ""
        for m in _TITLE.finditer(text, 0, first_head):
            if not _inside(m.start(), fenced):
                title = m.group(1).strip()
                title_line = text.count("\n", 0, m.start()) + 1
                description = _strip_comments(text[m.end() : first_head]).strip()
                break
        sections = []
        line = text.count("\n", 0, first_head) + 1
        for i, start in enumerate(heads):
            end = heads[i + 1] if i + 1 < len(heads) else len(text)
            eol = text.find("\n", start, end)
            heading_end = eol if eol != -1 else end
            body = text[heading_end + 1 : end] if eol != -1 else ""
            sections.append(_Section(text[start + 2 : heading_end].strip(), line, body))
            line += text.count("\n", start, end)
        return title, title_line, description, sections

    def cards_of(self, s: _Section, seen_ids: dict[str, int]) -> list[Card]:
        n_errors = len(self.errors)
        meta, rest, rest_line = self.metadata(s)
        front = s.heading
        if not (_strip_comments(front) if "<!--" in front else front).strip():
            self.error(s.line, "card has an empty front: write the question after '## '")
        note_type = meta["type"][0].lower() if "type" in meta else "basic"
        # A line holding only "?" (outside code) ends a multi-line front.
        if note_type != "exercise" and "?" in rest and (q := _question_end(rest)):
            front = f"{front}\n\n{rest[: q.start()].strip()}".strip()
            rest_line += rest.count("\n", 0, q.end()) + 1
            rest = rest[q.end() + 1 :]
        body_text = _strip_comments(rest) if "<!--" in rest else rest
        back = body_text.strip()
        if note_type not in CARD_TYPES:
            hint = (
                "; cloze and multiple-choice cards are recognised from their text, so drop the type line"
                if note_type in ("cloze", "choice")
                else ""
            )
            self.error(meta["type"][1], f"unknown type '{note_type}' (use one of: {', '.join(CARD_TYPES)}){hint}")
        note_id = None
        if "id" in meta:
            note_id, line = meta["id"]
            if not _ID.match(note_id):
                self.error(line, f"bad id '{note_id}': use letters, digits, '-', '_' and '.'")
            elif note_id in seen_ids:
                self.error(line, f"duplicate id '{note_id}' (first used on line {seen_ids[note_id]})")
            else:
                seen_ids[note_id] = line
        tags = tuple(filter(None, _TAG_SEP.split(meta["tags"][0]))) if "tags" in meta else ()
        demo = None
        if "demo" in meta:
            demo, line = meta["demo"]
            if not demo:
                self.error(line, "empty demo name")
            elif self.known_demos is not None and demo not in self.known_demos:
                # Reported, but the card stays: a renamed demo must not take cards (and history) away.
                self.soft_errors.append(DeckError(self.path, line, _unknown_demo(demo, self.known_demos)))
                demo = None

        if note_type == "exercise":  # code holds "[" and "{{" freely: no options, no cloze
            return self.exercise_card(s, front, body_text, rest_line, tags, demo, note_id, n_errors)
        options, explanation = _options(body_text) if "[" in body_text else ((), "")
        if "{{" in body_text:
            from gistquiz import cloze  # only a deck with cloze notes pays for it (a cached deck never does)

            deletions = cloze.find(body_text, rest_line, self.path)
            self.errors += deletions.errors
            numbers = deletions.numbers
        else:
            numbers = []
        if options and numbers:
            self.error(s.line, "a card is either multiple choice or cloze, not both")
        elif options:
            kind = Kind.CHOICE
            if note_type != "basic":
                self.error(meta["type"][1], f"a multiple-choice card cannot be '{note_type}'")
            if len(options) < 2:
                self.error(s.line, "multiple choice needs at least two options")
            if not any(o.correct for o in options):
                self.error(s.line, "multiple choice has no correct option: mark one with '- [x]'")
        elif numbers:
            kind = Kind.CLOZE
            if note_type != "basic":
                self.error(meta["type"][1], f"a cloze card cannot be '{note_type}'")
        else:
            kind = _KINDS.get(note_type, Kind.BASIC)
            if not back:
                self.error(s.line, f"card '{_short(front)}' has no answer: write it under the heading")
            elif kind is Kind.TYPED and not Card("", "", kind, front, back, s.line).answers:
                self.error(s.line, "typed card needs its answer on the first line of the back")
        if len(self.errors) > n_errors:
            return []

        base = f"{self.key}:{note_id}" if note_id else f"{self.key}:~{_digest(front, back)}"
        d, n = self.key, s.line
        if kind is Kind.CHOICE:
            return [Card(base, d, kind, front, explanation, n, tags, demo, options, note_id=note_id)]
        if kind is Kind.CLOZE:
            return [Card(f"{base}/c{i}", d, kind, front, back, n, tags, demo, (), back, i, note_id) for i in numbers]
        if kind is Kind.REVERSED:
            return [
                Card(base, d, kind, front, back, n, tags, demo, note_id=note_id),
                Card(f"{base}/rev", d, kind, back, front, n, tags, demo, note_id=note_id),
            ]
        return [Card(base, d, kind, front, back, n, tags, demo, note_id=note_id)]

    def exercise_card(
        self, s: _Section, front: str, body: str, body_line: int, tags, demo, note_id, n_errors: int
    ) -> list[Card]:
        from gistquiz.exercise import parse_blocks  # only decks with exercises pay for it

        task, exercise, after, problems = parse_blocks(body, body_line)
        for line, message in problems:
            self.error(s.line if line == body_line else line, message)  # "needs a block": at the heading
        if len(self.errors) > n_errors or exercise is None:
            return []
        front = f"{front}\n\n{task}".strip()
        base = f"{self.key}:{note_id}" if note_id else f"{self.key}:~{_digest(front, exercise.starter + after)}"
        kind = Kind.EXERCISE
        return [Card(base, self.key, kind, front, after, s.line, tags, demo, note_id=note_id, exercise=exercise)]

    def metadata(self, s: _Section) -> tuple[dict[str, tuple[str, int]], str, int]:
        """``key: value`` lines right under the heading; the rest of the body and its first line."""
        meta: dict[str, tuple[str, int]] = {}
        body, pos, n = s.body, 0, s.line + 1
        if not body or body[0] == "\n":  # the common case: a blank line, no metadata
            return meta, body, n
        end = len(body)
        while pos < end:
            eol = body.find("\n", pos)
            if eol == -1:
                eol = end
            m = _META.match(body, pos, eol)
            if not m:
                break
            name, value = m.group(1).lower(), (m.group(2) or "").strip()
            if name not in METADATA_KEYS:
                self.error(
                    n,
                    f"unknown metadata key '{m.group(1)}' (known: {', '.join(METADATA_KEYS)}); "
                    "leave a blank line after the heading if this is answer text",
                )
            elif name in meta:
                self.error(n, f"'{name}' given twice (first on line {meta[name][1]})")
            else:
                meta[name] = (value, n)
            pos, n = eol + 1, n + 1
        return meta, body[pos:], n


def _options(body: str) -> tuple[tuple[Option, ...], str]:
    """Task-list options of a multiple-choice card, and the text after them."""
    options: list[Option] = []
    rest: list[str] = []
    for line in body.split("\n"):
        m = _OPTION.match(line) if not rest else None
        if m:
            options.append(Option(m.group(2).strip(), m.group(1) != " "))
        elif options and (rest or line.strip()):
            rest.append(line)
        elif not options and line.strip():
            return (), ""
    return tuple(options), "\n".join(rest).strip()


_KINDS = {"basic": Kind.BASIC, "reversed": Kind.REVERSED, "typed": Kind.TYPED, "exercise": Kind.EXERCISE}


def _fenced_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of fenced code blocks; an unclosed fence runs to the end."""
    spans = []
    opened: re.Match[str] | None = None
    for m in _FENCE.finditer(text):
        if opened is None:
            opened = m
        elif m.group(1)[0] == opened.group(1)[0] and len(m.group(1)) >= len(opened.group(1)):
            spans.append((opened.start(), m.end()))
            opened = None
    if opened is not None:
        spans.append((opened.start(), len(text)))
    return spans


def _question_end(text: str) -> re.Match[str] | None:
    """The first line holding only "?" that is not inside fenced code."""
    fenced = _fenced_spans(text) if ("```" in text or "~~~" in text) else []
    return next((m for m in _QUESTION_END.finditer(text) if not _inside(m.start(), fenced)), None)


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    # The spans are sorted and disjoint: a binary search keeps a deck of many code blocks linear.
    i = bisect.bisect_right(spans, (pos, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


def _strip_comments(text: str) -> str:
    """Drop HTML comments, keeping their line breaks so that line numbers stay right.

    The same as replacing ``<!--.*?-->`` (DOTALL), in one pass: the regex searched to the end of the text
    again from every unclosed ``<!--``, quadratic in 20,000 of them. An unclosed comment is kept as text
    (as the regex left it), and so is everything after it: no later ``<!--`` can be closed either.
    """
    if "<!--" not in text:
        return text
    out: list[str] = []
    pos = 0
    while (start := text.find("<!--", pos)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            break
        out += (text[pos:start], "\n" * text.count("\n", start, end))
        pos = end + 3
    out.append(text[pos:])
    return "".join(out)


def _digest(front: str, back: str) -> str:
    return hashlib.sha1(f"{normalize(front)}\x1f{normalize(back)}".encode()).hexdigest()[:12]


def _short(text: str, n: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _unknown_demo(name: str, known: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown demo '{name}' ({hint}known: {', '.join(sorted(known)) or 'none'})"
