"""The parser of the deck format (:mod:`gistquiz.deck` describes the format and holds what it parses into).

Its own module so that a deck found in the parse cache (:mod:`gistquiz.deck_cache`) costs no parser: the
first screen's deck load imported these patterns and classes for nothing (about 1 ms of its imports).
"""

from __future__ import annotations

import bisect
import hashlib
import re
from typing import NamedTuple

from gistquiz.deck import Card, Deck, Kind, Option, normalize
from gistquiz.errors import DeckError

METADATA_KEYS = ("id", "tags", "demo", "type")
CARD_TYPES = ("basic", "reversed", "typed", "exercise")

_META = re.compile(r"[ \t]*([A-Za-z][\w-]*)[ \t]*:(?:[ \t]+(.*)|[ \t]*)$")
_OPTION = re.compile(r"[ \t]*[-*+][ \t]+\[([ xX])\][ \t]*(.*)$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})", re.MULTILINE)
_HEADING = re.compile(r"^##(?=[ \t]|$)", re.MULTILINE)
_TITLE = re.compile(r"^# (.*)$", re.MULTILINE)
_TAG_SEP = re.compile(r"[,\s]+")
_QUESTION_END = re.compile(r"^[ \t]*\?[ \t]*$", re.MULTILINE)


class _Section(NamedTuple):
    """One ``##`` note of a deck file as the parser first splits it, before it becomes cards."""

    heading: str
    line: int
    body: str
    """Everything after the heading line, up to the next card."""


class Parser:
    """One deck file's parse: :meth:`parse` gives the deck, collecting every problem on the way."""

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
        cards: list[Card] = []
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
                cards.append(card)
        return Deck(
            self.key, title or self.key, description, self.path, cards, sorted(self.errors + self.soft_errors), source
        )

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
