"""Read a notes file: its lines classified, continuation lines joined, grouped under their headings.

Terse study notes have a shape even when their grammar is loose: a heading
(``* Deep NN :``, ``*) RNN :``, ``[Batch Normalization Significance]``, a line
underlined with ``---``, a Markdown ``#``), bullets (``-``, ``->``, ``=>``, ``*``),
lines indented under a bullet that continue it, and bullets indented under a
line that list its parts. This module recovers that shape and nothing more:
the words are left for :mod:`.rules`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from gistquiz.notes_import import MAX_NOTES_BYTES, words

MAX_LINE_CHARS = 2000
"""A longer line is data, not a note: it is skipped (and reported)."""

_FENCE = re.compile(r"^(```|~~~)")
_UNDERLINE = re.compile(r"[-=]{2,}")
_RULE = re.compile(r"(?:\*\s*){3,}|(?:_\s*){3,}")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
_BRACKET_HEADING = re.compile(r"^\[([^\[\]]*\w[^\[\]]*)\]$")
_MARKER = re.compile(r"^(\*\)|->|=>|→|⇒|[-*+•]|\d{1,3}[.)]|[a-z]\))(?:\s+|$)(.*)$")
_HEADING_COLON = re.compile(r"^(.*?\w.*?)\s*:-?\s*$")
_HEADING_INLINE = re.compile(r"^(.*?\w.*?)\s*:-\s*(.*\w.*)$")
_JOINERS = re.compile(r"(?:[,&(;+]|\b(?:and|or|of|to|the|a|an|with|for|in|on|as|by|that|which))$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?]$")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TRAILING_EMPHASIS = re.compile(r"\s+[-!=~]+$")
_DASH_ARROW = re.compile(r"\s+[-–—]\s+(->|=>|→|⇒)\s")
"""``PCA - -> center first``: a dash before an arrow adds nothing."""
_JOINER_ONLY = {"&", "+", "and", "or"}
_ARROWS = ("->", "=>", "→", "⇒")
_SELF_NOTE = re.compile(
    r"^(?:todo|fixme|xxx|tbd|note to self|ask\b|look up\b|check\b|revisit\b)|\?\?|\((?:ask|check|todo)\b[^)]*\)\s*$",
    re.IGNORECASE,
)
"""TODO / FIXME lines, reminders and questions to oneself ("??", "(ask TA)"): not facts to learn."""
_QUESTION_START = re.compile(r"^(?:why|what|how|when|which|who|where)\b[^?]*\?", re.IGNORECASE)
_STATEMENT_SEPARATOR = re.compile(r"\s(?::-?|=|->|=>)\s")
_ALNUM = re.compile(r"[^\W_]")


class NotesError(Exception):
    """A notes file that cannot be read (binary, not UTF-8, too large): one line, shown as is."""


class Kind(StrEnum):
    BLANK = "blank"
    HEADING = "heading"
    ITEM = "item"
    """A bulleted or numbered line."""
    TEXT = "text"
    UNDERLINE = "underline"
    """``---`` or ``===``: a heading's underline or, after a blank line, a rule."""
    RULE = "rule"
    SELF = "self"
    """A TODO, FIXME, reminder or question to oneself: skipped, and listed as such in the deck's description."""
    CONNECTOR = "connector"
    """Punctuation drawn between lines (``\\``, ``|``, ``↓``): ignored."""
    SKIP = "skip"
    """Code, tables, over-long lines: not notes."""


@dataclass(frozen=True)
class Line:
    number: int
    kind: Kind
    indent: int
    text: str
    """The content without its bullet, whitespace collapsed, the :mod:`.words` table applied."""
    marker: str = ""
    inline: str = ""
    """A heading's definition on the same line: ``*) BLUE Score :- specialized metric ...``."""
    changes: tuple[str, ...] = ()


@dataclass
class Statement:
    """One bullet or line of the notes with its continuation lines, and the bullets listed under it."""

    parts: list[Line]
    indent: int
    marker: str = ""
    children: list[Statement] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.parts[0].text if len(self.parts) == 1 else " ".join(p.text for p in self.parts)

    @property
    def lines(self) -> tuple[int, ...]:
        return tuple(p.number for p in self.parts)

    @property
    def changes(self) -> tuple[str, ...]:
        return _union(p.changes for p in self.parts)


@dataclass
class Section:
    """The statements under one heading (or under none, before the first heading or after a rule)."""

    heading: str = ""
    line: int = 0
    indent: int = 0
    bulleted: bool = False
    """A ``* X :`` heading: an unbulleted line at its indent or less, after a blank line, ends its block."""
    inline: Statement | None = None
    statements: list[Statement] = field(default_factory=list)
    changes: tuple[str, ...] = ()

    @property
    def is_block(self) -> bool:
        """A heading that heads what follows (``* Deep NN :``), not a one-line definition (``* X :- Y``)."""
        return bool(self.heading) and self.inline is None


@dataclass
class Notes:
    title: str
    sections: list[Section]
    skipped: list[int]
    """Lines that are not notes (code, tables, over-long lines)."""
    to_self: list[int]
    """TODO / FIXME lines, reminders and questions to oneself."""
    n_lines: int
    changes: dict[int, tuple[str, ...]]
    """The :mod:`.words` changes made on each line that has any."""


def decode(data: bytes, name: str) -> str:
    """The notes' text, or a :class:`NotesError` saying why these bytes are not a notes file."""
    if len(data) > MAX_NOTES_BYTES:
        raise NotesError(too_large(name, len(data)))
    nul = data.find(b"\x00")
    if nul != -1:
        raise NotesError(f"{name}: a binary file (a NUL byte at offset {nul}), not text notes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise NotesError(
            f"{name}:{line}: not UTF-8 text (byte 0x{data[err.start]:02x}); save the notes as UTF-8"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def too_large(name: str, size: int) -> str:
    return f"{name}: too large for a notes file ({size / 2**20:.1f} MiB; the limit is {MAX_NOTES_BYTES // 2**20} MiB)"


def read(text: str) -> Notes:
    """The notes' title (a heading on their first line), sections and skipped lines."""
    text = _HTML_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text) if "<!--" in text else text
    lines = _title_line(_resolve(classify(text.split("\n"))))
    first = next((ln for ln in lines if ln.kind not in (Kind.BLANK, Kind.SKIP, Kind.CONNECTOR)), None)
    title = first.text if first is not None and first.kind is Kind.HEADING and not first.inline else ""
    skipped = [ln.number for ln in lines if ln.kind is Kind.SKIP]
    to_self = [ln.number for ln in lines if ln.kind is Kind.SELF]
    n_lines = text.count("\n") + (not text.endswith("\n"))
    sections = group(lines)
    if title and sections and sections[0].line == first.number and sum(bool(s.heading) for s in sections) > 1:
        # The title names the whole deck: what follows it is not about the title as a term.
        sections[0] = Section(statements=sections[0].statements)
    changes = {ln.number: ln.changes for ln in lines if ln.changes}
    return Notes(title, [s for s in sections if s.heading or s.statements], skipped, to_self, n_lines, changes)


def classify(raw_lines: list[str]) -> list[Line]:
    """Each line's kind, indent, bullet and cleaned text, one line at a time."""
    out: list[Line] = []
    in_fence = False
    for number, raw in enumerate(raw_lines, start=1):
        expanded = raw.expandtabs(4)
        s = expanded.strip()
        indent = len(expanded) - len(expanded.lstrip())
        if _FENCE.match(s):
            in_fence = not in_fence
            out.append(Line(number, Kind.SKIP, indent, ""))
        elif in_fence or len(s) > MAX_LINE_CHARS or (s.startswith("|") and s.endswith("|") and len(s) > 1):
            out.append(Line(number, Kind.SKIP if s else Kind.BLANK, indent, ""))
        elif not s:
            out.append(Line(number, Kind.BLANK, indent, ""))
        else:
            out.append(_classify_one(number, indent, s))
    return out


def _classify_one(number: int, indent: int, s: str) -> Line:
    first = s[0]
    if first in "-=" and _UNDERLINE.fullmatch(s.replace(" ", "")):
        return Line(number, Kind.UNDERLINE, indent, "")
    if first in "*_" and _RULE.fullmatch(s):
        return Line(number, Kind.RULE, indent, "")
    if not _ALNUM.search(s):
        kind = Kind.TEXT if s.lower() in _JOINER_ONLY else Kind.CONNECTOR
        return Line(number, kind, indent, s if kind is Kind.TEXT else "")
    if first == "#" and (m := _MD_HEADING.match(s)):
        return _heading(number, indent, m.group(1))
    if first == "[" and (m := _BRACKET_HEADING.match(s)):
        return _heading(number, indent, m.group(1))
    if (m := _MARKER.match(s)) and m.group(2):
        marker, rest = m.group(1), m.group(2)
        if _SELF_NOTE.search(rest):
            return Line(number, Kind.SELF, indent, "")
        if marker in ("*", "*)") and (_HEADING_COLON.match(rest) or _HEADING_INLINE.match(rest)):
            return _heading(number, indent, rest, marker)
        return _line(number, Kind.ITEM, indent, rest, marker)
    if _SELF_NOTE.search(s):
        return Line(number, Kind.SELF, indent, "")
    return _line(number, Kind.TEXT, indent, s)


def _heading(number: int, indent: int, text: str, marker: str = "") -> Line:
    """A heading line; ``marker`` is the bullet of a ``* X :`` heading, whose block ends at its own indent."""
    inline = ""
    if m := _HEADING_INLINE.match(text):
        text, inline = m.group(1), m.group(2)
    elif m := _HEADING_COLON.match(text):
        text = m.group(1)
    text = _tidy(text.strip("*_ "))
    if not _ALNUM.search(text):
        return _line(number, Kind.TEXT, indent, text + (f" {inline}" if inline else ""))
    cleaned = words.clean(text)
    inline_cleaned = words.clean(_tidy(inline)) if inline else words.Cleaned("", ())
    changes = _union([cleaned.changes, inline_cleaned.changes])
    return Line(number, Kind.HEADING, indent, cleaned.text, marker, inline_cleaned.text, changes)


def _line(number: int, kind: Kind, indent: int, text: str, marker: str = "") -> Line:
    cleaned = words.clean(_tidy(text))
    return Line(number, kind, indent, cleaned.text, marker, "", cleaned.changes)


def _tidy(text: str) -> str:
    """Collapse whitespace, drop trailing emphasis (``--!``), defuse ``<!--`` (a deck reads it as a comment)."""
    text = _DASH_ARROW.sub(r" \1 ", _TRAILING_EMPHASIS.sub("", " ".join(text.split())))
    return text.replace("<!--", "<!- -")


def _resolve(lines: list[Line]) -> list[Line]:
    """Decide what needs a neighbour: an underline makes the line above a heading, or is a rule;
    a short unbulleted line right after a rule is a heading."""
    out: list[Line] = []
    for ln in lines:
        prev = out[-1] if out else None
        if ln.kind is Kind.UNDERLINE:
            if prev is not None and prev.kind is Kind.TEXT and prev.number == ln.number - 1:
                out[-1] = _heading(prev.number, prev.indent, prev.text)
                if out[-1].kind is Kind.HEADING:
                    out[-1] = _merge_changes(out[-1], prev.changes)
                out.append(Line(ln.number, Kind.CONNECTOR, ln.indent, ""))
                continue
            if prev is not None and prev.kind is Kind.HEADING and prev.number == ln.number - 1:
                out.append(Line(ln.number, Kind.CONNECTOR, ln.indent, ""))
                continue
            ln = Line(ln.number, Kind.RULE, ln.indent, "")
        elif (
            ln.kind is Kind.TEXT
            and _after_rule(out)
            and len(ln.text.split()) <= 6
            and not _SENTENCE_END.search(ln.text)
        ):
            heading = _heading(ln.number, ln.indent, ln.text)
            ln = _merge_changes(heading, ln.changes) if heading.kind is Kind.HEADING else ln
        out.append(ln)
    return out


def _title_line(lines: list[Line]) -> list[Line]:
    """A short unbulleted first line followed by a blank line names the notes (``PCA & friends -- lecture 9``)."""
    i = next((i for i, ln in enumerate(lines) if ln.kind not in (Kind.BLANK, Kind.CONNECTOR)), None)
    if i is None or i + 1 >= len(lines):
        return lines
    ln = lines[i]
    if (
        ln.kind is Kind.TEXT
        and ln.indent == 0
        and lines[i + 1].kind is Kind.BLANK
        and any(later.kind not in (Kind.BLANK, Kind.CONNECTOR) for later in lines[i + 2 :])
        and not _QUESTION_START.match(ln.text)
        and len(ln.text.split()) <= 8
        and not _SENTENCE_END.search(ln.text)
        and not _STATEMENT_SEPARATOR.search(ln.text)
    ):
        heading = _heading(ln.number, 0, ln.text)
        if heading.kind is Kind.HEADING:
            return [*lines[:i], _merge_changes(heading, ln.changes), *lines[i + 1 :]]
    return lines


def _merge_changes(line: Line, more: tuple[str, ...]) -> Line:
    changes = _union([more, line.changes])
    return Line(line.number, line.kind, line.indent, line.text, line.marker, line.inline, changes)


def _after_rule(out: list[Line]) -> bool:
    for ln in reversed(out):
        if ln.kind is Kind.BLANK:
            continue
        return ln.kind is Kind.RULE
    return False


def group(lines: list[Line]) -> list[Section]:
    """Sections of statements: continuation lines joined, indented bullets attached to the line above them."""
    sections = [Section()]
    stack: list[Statement] = []
    last: Statement | None = None
    broken = True
    """A blank line (or code) since ``last``: the next line cannot continue it."""
    for ln in lines:
        if ln.kind is Kind.CONNECTOR:
            continue
        if ln.kind in (Kind.BLANK, Kind.SKIP, Kind.SELF):
            broken = True
            continue
        if ln.kind in (Kind.HEADING, Kind.RULE):
            section = Section()
            if ln.kind is Kind.HEADING:
                inline = Statement([_as_text(ln)], ln.indent) if ln.inline else None
                section = Section(ln.text, ln.number, ln.indent, bool(ln.marker), inline, changes=ln.changes)
            sections.append(section)
            stack, last, broken = [], None, True
            continue
        if ln.kind is Kind.TEXT and last is not None and not broken and _continues(last, ln):
            last.parts.append(ln)
            continue
        here = sections[-1]
        if ln.kind is Kind.TEXT and broken and here.bulleted and ln.indent <= here.indent:
            sections.append(Section())  # out of the ``* X :`` block: its heading and tag stop here
            stack = []
        while stack and stack[-1].indent >= ln.indent and not _takes_same_indent(stack[-1], ln, broken):
            stack.pop()
        st = Statement([ln], ln.indent, ln.marker)
        own_note = ln.marker in _ARROWS and stack and not stack[-1].text.endswith(":")
        """An indented ``-> note`` says something of its own about the line above: never that line's answer."""
        if stack and not own_note and (ln.kind is Kind.ITEM or stack[-1].text.endswith(":")):
            stack[-1].children.append(st)
        else:
            sections[-1].statements.append(st)
        stack.append(st)
        last, broken = st, False
    return [s for s in sections if s.heading or s.statements]


def _takes_same_indent(lead: Statement, ln: Line, broken: bool) -> bool:
    """``Advantages:`` followed by bullets at its own indent: the bullets are its parts."""
    return (
        ln.kind is Kind.ITEM
        and lead.indent == ln.indent
        and lead.text.endswith(":")
        and (not broken or not lead.children)
    )


def _as_text(heading: Line) -> Line:
    return Line(heading.number, Kind.TEXT, heading.indent, heading.inline, "", "", heading.changes)


def _continues(last: Statement, ln: Line) -> bool:
    """Whether an unbulleted line carries on the statement above it rather than starting its own."""
    prev = last.text
    if prev.endswith(":") or _SENTENCE_END.search(prev):
        return False
    if _QUESTION_START.match(ln.text) or _STATEMENT_SEPARATOR.search(ln.text):
        return False  # "why X? Y" and "X : Y" lines are statements of their own
    return ln.indent > last.indent or bool(_JOINERS.search(prev)) or ln.text[:1].islower() or ln.text in _JOINER_ONLY


def _union(groups) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for g in groups:
        for c in g:
            seen[c] = None
    return tuple(seen)
