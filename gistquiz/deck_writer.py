"""Write cards as a deck file: the inverse of :mod:`gistquiz.deck`, for importers and templates.

``parse_deck(render(title, description, notes))`` gives back the notes' fronts,
backs, kinds, tags, ids and demos: text that would be read as markup (a line
starting with ``## ``, a lone ``?``, a leading ``key:`` line) is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from gistquiz.deck_parser import _fenced_spans

_HEADING_LIKE = re.compile(r"^(#{1,2})(?=[ \t]|$)", re.MULTILINE)
_LONE_QUESTION = re.compile(r"^([ \t]*)\?([ \t]*)$", re.MULTILINE)
_OPTION_LIKE = re.compile(r"^([ \t]*[-*+][ \t]+)\[([ xX])\]", re.MULTILINE)


@dataclass
class Note:
    """One card as an importer sees it (a reversed note makes two cards, a cloze note one per number)."""

    front: str
    back: str = ""
    type: str = "basic"
    """basic, reversed or typed; a cloze note is a basic note whose back holds ``{{cN::...}}``."""
    id: str | None = None
    tags: tuple[str, ...] = ()
    demo: str | None = None
    options: list[tuple[str, bool]] = field(default_factory=list)
    """(text, correct) for a multiple-choice card; ``back`` is then the explanation."""
    comment: str = ""
    """Put under the card as an HTML comment, e.g. where it came from."""


def render(title: str, description: str, notes: Iterable[Note]) -> str:
    parts = [f"# {_one_line(title)}\n"]
    if description.strip():
        parts.append(f"\n{_escape_body(description.strip())}\n")
    for note in notes:
        parts.append("\n" + render_note(note))
    return "".join(parts)


def render_note(note: Note) -> str:
    first, _, rest = note.front.strip().partition("\n")
    lines = [f"## {_one_line(first) or '(no question)'}"]
    if note.id:
        lines.append(f"id: {note.id}")
    if note.tags:
        lines.append(f"tags: {', '.join(note.tags)}")
    if note.demo:
        lines.append(f"demo: {note.demo}")
    if note.type != "basic":
        lines.append(f"type: {note.type}")
    if note.comment:
        lines.append(f"<!-- {note.comment.replace('--', '- -')} -->")
    lines.append("")
    if rest.strip():
        lines += [_escape_body(rest.strip()), "?"]
    if note.options:
        lines += [f"- [{'x' if ok else ' '}] {_one_line(text)}" for text, ok in note.options]
        if note.back.strip():
            lines += ["", _escape_body(note.back.strip())]
    else:
        back = _escape_body(note.back.strip())
        # A list of [x] items would make a multiple-choice card, and {{c1:: a cloze: keep them text.
        if _OPTION_LIKE.match(back):  # only a body that starts with options is read as multiple choice
            back = _OPTION_LIKE.sub(lambda m: m.group(1) + "\\[" + m.group(2) + "]", back)
        if note.type != "basic":
            back = back.replace("{{c", "{\\{c")
        lines.append(back)
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _escape_body(text: str) -> str:
    """Body text that the parser reads back as text, never as a new card or the end of a front.

    Fenced code is left alone: the parser does not look inside it. (Metadata needs no escape: a blank
    line always separates it from the body.)
    """
    out, pos = [], 0
    for start, end in _fenced_spans(text):
        out += [_escape_prose(text[pos:start]), text[start:end]]
        pos = end
    out.append(_escape_prose(text[pos:]))
    return "".join(out)


def _escape_prose(text: str) -> str:
    text = _HEADING_LIKE.sub(lambda m: "\\" + m.group(1), text)
    return _LONE_QUESTION.sub(lambda m: f"{m.group(1)}\\?{m.group(2)}", text)
