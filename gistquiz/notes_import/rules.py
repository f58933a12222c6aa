"""The heuristics that turn the notes' statements into cards, using only the notes' own words.

Tried in this order on each statement; the first that fits makes its cards:

===========================  =========================================================================
the notes say                the card
===========================  =========================================================================
``why X? Y`` (any question)  basic: ``Why X?`` / ``Y`` (or the bullets under it)
``If A, B``                  basic: ``If A …?`` / ``B``
``A when B``                 basic: ``When B?`` / ``A``
``To ...`` under a heading   basic: ``Why <heading>?`` / ``To ...``
``X : Y``, ``X :- Y``        a definition when X is a short term (reversed when it reads both ways:
                             Y does not contain X and is not a list of a few words), else basic X / Y
``X -> Y``                   cloze over Y's key term: ``X -> {{c1::Y}}``
``X is Y``, ``X has Y``...   cloze over the key term of what follows the verb, or reversed for
                             ``X is a Y``; a bullet that starts with the verb takes the heading as its X
``a = b, c = d``             two statements: each on its own
a line with bullets under    cloze over the bullets (2 to 8 short ones), else "name the parts" (basic)
bullets with no verb         under a heading: one is its definition, several are its parts
any other statement          cloze over its key term (4 words or more), the heading as its front
===========================  =========================================================================

A cloze hides only a key term (:mod:`.key_terms`: a number, a named method, a
short noun phrase); where there is none, the card asks "X is …" and shows the
rest as the answer. A statement is never merged with its neighbour: an indented
``-> note`` and a ``why X? Y`` line are cards of their own.

A statement that fits none (or whose card would be awkward: a subject that is
only "it" or "this", an empty side) makes no card and is reported, because a
few well-formed cards are worth more than many broken ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from gistquiz.notes_import.key_terms import key_term, key_terms_of_list
from gistquiz.notes_import.lines import Section, Statement

MAX_CLOZE_ITEMS = 8
MAX_CLOZE_ITEM_WORDS = 16
MAX_TERM_WORDS = 5
MAX_REVERSED_WORDS = 30

_WORD = re.compile(r"\w+")
_PIVOT = re.compile(
    # Not after a hyphen: "k-means" is a name, not "k" followed by the verb "means".
    r"(?<![\w-])(?:can be|could be|will be|is|are|was|were|has|have|includes?|contains?|removes?|helps|makes"
    r"|deals? with|plays|(?:dont|doesnt|don't|doesn't|do not|does not) need|won't|doesn't|don't|does not|do not"
    r"|cannot|can't|gives|reduces|increases|avoids|prevents|uses|requires|needs|means|doing|playing|acts as)\b",
    re.IGNORECASE,
)
_PAIR = re.compile(r"\s(?:=|:|->)\s")
_DECLARATIVE_WORDS = 4
"""A line of at least this many words that no other rule fits is still a statement: its key term is hidden."""
_QUESTION = re.compile(r"^((?:why|what|how|when|which|who|where|whom|whose)\b[^?]*\?)\s*(.*)$", re.IGNORECASE)
_IF = re.compile(r"^if\s+([^,]*\w[^,]*),\s*(.*\w.*)$", re.IGNORECASE)
_WHEN_FIRST = re.compile(r"^when\s+([^,]*\w[^,]*),\s*(.*\w.*)$", re.IGNORECASE)
_WHEN = re.compile(r"\s+when\s+", re.IGNORECASE)
_PURPOSE = re.compile(r"^to\s+\w", re.IGNORECASE)
_SEPARATOR = re.compile(r"\s*(:-|(?<!:):(?=\s)|(?<=\s)=(?=\s)|(?<=\s)[-–—](?=\s)|->|=>|→|⇒)\s*")
_ENUM_SPLIT = re.compile(r"\s*(?:,|\||;|&|\bor\b|\band\b)\s*", re.IGNORECASE)
_ARTICLE = re.compile(r"^(?:a|an|the)\s", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)(?<=[.!])\s+(?=[A-Z(\"'*])")
_TRAILING = re.compile(r"[\s.;,!]+$")
_FENCE_START = re.compile(r"^([ \t]{0,3})(`{3}|~{3})", re.MULTILINE)
_ALNUM = re.compile(r"[^\W_]")
_STOP = frozenset(["a", "an", "the", "of", "in", "on", "to", "and", "or", "for", "with", "at", "by", "from", "as"])
_PRONOUNS = frozenset(
    [
        "it",
        "this",
        "that",
        "these",
        "those",
        "they",
        "there",
        "he",
        "she",
        "we",
        "you",
        "i",
        "which",
        "who",
        "one",
        "its",
    ]
)


@dataclass(frozen=True)
class Draft:
    """A card the rules propose: the notes' words, and the lines they came from."""

    front: str
    back: str
    type: str
    """basic, reversed or cloze (then ``back`` holds the ``{{cN::...}}`` markup)."""
    lines: tuple[int, ...]
    tag: str
    position: int
    """The source line that orders the cards like the notes."""


@dataclass(frozen=True)
class _Piece:
    """A sentence of a statement (or the whole of it), with its lines."""

    text: str
    lines: tuple[int, ...]
    indent: int
    children: tuple[Statement, ...] = ()
    bulleted: bool = False


@dataclass
class Result:
    drafts: list[Draft]
    unused: list[int]
    """Lines of statements that made no card."""


def drafts(sections: Iterable[Section]) -> Result:
    out: list[Draft] = []
    unused: list[int] = []
    for section in sections:
        made, missed = _section_drafts(section)
        out += made
        unused += missed
    out.sort(key=lambda d: d.position)
    return Result(out, sorted(unused))


def slug(text: str, limit: int = 30) -> str:
    """A tag made of a heading's words: ``* Batch Normalization :`` -> ``batch-normalization``."""
    s = "-".join(w for w in _WORD.findall(text.lower()) if w.strip("_"))
    if len(s) > limit:
        s = s[:limit].rsplit("-", 1)[0] or s[:limit]
    return s.strip("-_")


def _section_drafts(section: Section) -> tuple[list[Draft], list[int]]:
    tag = slug(section.heading)
    out: list[Draft] = []
    unused: list[int] = []
    head = _Piece(section.heading, (section.line,), section.indent) if section.heading else None
    if section.inline is not None and head is not None:
        inline = _piece(section.inline)
        made = _definition(head.text, inline.text, _join(head, inline), tag, section.line)
        if made is None and _has_word(inline.text):
            made = [_basic(head.text, inline.text, _join(head, inline), tag, section.line)]
        out += made or []
    runs: list[list[_Piece]] = [[]]
    """Verb-less lines under the heading, in runs of consecutive ones."""
    other_subjects = False
    """Whether some statement here has a subject of its own rather than the heading."""
    for st in section.statements:
        for piece in _pieces(st):
            made = _statement(piece, section, tag)
            if made is None and not piece.children and not _sole_statement(section, st):
                made = _declarative(piece, section, tag)
            if made is not None:
                out += made
                other_subjects = other_subjects or section.line not in made[0].lines
                runs.append([])
            elif head is not None and (section.is_block or piece.indent > section.indent):
                runs[-1].append(piece)
            else:
                unused += piece.lines
                runs.append([])
    nouns = [p for run in runs for p in run]
    if head is not None and len(nouns) == 1 and not other_subjects:
        # The one verb-less line under a heading that all else here is about: the heading's definition.
        made = _definition(head.text, nouns[0].text, _join(head, nouns[0]), tag, nouns[0].lines[0])
        out += made or []
        unused += [] if made else list(nouns[0].lines)
        return out, unused
    for run in runs:
        # Consecutive bullets without verbs are the heading's parts; a lone line or a sentence is not.
        bullets = [p for p in run if p.bulleted]
        made = None
        if head is not None and len(bullets) >= 2:
            made = _parts(head.text, [p.text for p in bullets], _parts_lines(head, bullets), tag, bullets[0].lines[0])
        elif head is not None and section.is_block and len(run) == 1 and bullets and _first(section, bullets[0]):
            # A verb-less first bullet, before the statements: what the heading is ("RNN: Recurrent Unit").
            made = _definition(head.text, bullets[0].text, _join(head, bullets[0]), tag, bullets[0].lines[0])
        unused += [n for p in run if not made or not p.bulleted for n in p.lines]
        out += made or []
    return out, unused


def _declarative(p: _Piece, section: Section, tag: str) -> list[Draft] | None:
    """A plain statement no other rule fits ("BPE merges the most frequent pair ..."): a cloze over its key term."""
    plain = re.sub(r"\([^()]*\)", "", p.text)
    words = _words(plain)
    if len(words) < _DECLARATIVE_WORDS or _is_enumeration(p.text) or _ARTICLE.match(p.text):
        return None  # too short to be a statement, a list, or a noun phrase ("A layer in NN, ...")
    if words[0] in _PRONOUNS and not section.heading:
        return None  # "This is the key idea": about nothing the notes name
    answer, tail = _answer_and_tail(p.text)
    split = key_term(answer, context=section.heading)
    if split is None or not _cloze_safe(split.term) or not _has_word(split.before + split.after):
        return None
    body = f"{_literal(split.before)}{{{{c1::{split.term}}}}}{_literal(split.after)}{tail}"
    front = section.heading or _trim(split.before) or _trim(p.text)
    lines = _join(_head_piece(section), p) if section.heading else p.lines
    return [Draft(front, body, "cloze", lines, tag, p.lines[0])]


def _first(section: Section, p: _Piece) -> bool:
    return bool(section.statements) and section.statements[0].lines[0] == p.lines[0]


def _sole_statement(section: Section, st: Statement) -> bool:
    """The only line under a heading: the heading's definition (``## Dropout`` / ``Randomly zeroes units``)."""
    return bool(section.heading) and len(section.statements) == 1 and section.statements[0] is st


def _parts_lines(head: _Piece, items: list[_Piece]) -> tuple[int, ...]:
    return tuple(sorted({*head.lines, *(n for p in items for n in p.lines)}))


def _pieces(st: Statement) -> Iterator[_Piece]:
    """The statement, split into sentences when it has several and no bullets under it."""
    text = st.text
    pairs = _pairs(text) if not st.children else None
    if pairs:
        for pair in pairs:
            yield _Piece(pair, st.lines, st.indent, (), bool(st.marker))
        return
    if st.children or not _SENTENCE.search(text):
        yield _Piece(text, st.lines, st.indent, tuple(st.children), bool(st.marker))
        return
    offsets = []
    pos = 0
    for part in st.parts:
        offsets.append((pos, part.number))
        pos += len(part.text) + 1
    start = 0
    for m in [*_SENTENCE.finditer(text), None]:
        end = m.start() if m else len(text)
        lines = tuple(n for i, (off, n) in enumerate(offsets) if off < end and _part_end(offsets, i, len(text)) > start)
        yield _Piece(text[start:end], lines, st.indent, (), bool(st.marker))
        start = m.end() if m else end


def _pairs(text: str) -> list[str] | None:
    """``high bias = underfit, high variance = overfit``: two statements on one line, each split on its own "="."""
    if len(_PAIR.findall(text)) < 2:
        return None
    parts = [p.strip() for p in re.split(r"[,;]\s+", text)]
    if len(parts) < 2 or not all(len(_PAIR.findall(p)) == 1 for p in parts):
        return None
    return parts


def _part_end(offsets: list[tuple[int, int]], i: int, total: int) -> int:
    return offsets[i + 1][0] if i + 1 < len(offsets) else total


def _piece(st: Statement) -> _Piece:
    return _Piece(st.text, st.lines, st.indent, tuple(st.children), bool(st.marker))


def _statement(p: _Piece, section: Section, tag: str) -> list[Draft] | None:
    """Cards for one statement, or None when no rule fits (a bare noun phrase, say)."""
    text = p.text
    if not _has_word(text):
        return None
    if m := _QUESTION.match(text):
        question, answer = m.group(1), m.group(2)
        if p.children:
            answer = _bullets(c.text for c in p.children)
            return [_basic(_capital(question), answer, _lines_with(p, p.children, deep=False), tag, p.lines[0])]
        return [_basic(_capital(question), answer, p.lines, tag, p.lines[0])] if _has_word(answer) else None
    if p.children:
        return _list(p, tag)
    if m := _IF.match(text):
        return [_basic(f"If {m.group(1)} …?", _capital(m.group(2)), p.lines, tag, p.lines[0])]
    if m := _WHEN_FIRST.match(text):
        return [_basic(f"When {_trim(m.group(1))}?", _capital(m.group(2)), p.lines, tag, p.lines[0])]
    if (m := _first_outside(_WHEN, text)) and _has_word(text[: m.start()]) and _has_word(text[m.end() :]):
        return [_basic(f"When {_trim(text[m.end() :])}?", text[: m.start()], p.lines, tag, p.lines[0])]
    if _PURPOSE.match(text) and section.is_block:
        head = _head_piece(section)
        return [_basic(f"Why {section.heading}?", _capital(text), _join(head, p), tag, p.lines[0])]
    if m := _first_outside(_SEPARATOR, text):
        left, right, sep = text[: m.start()].strip(), text[m.end() :].strip(), m.group(1)
        if _has_word(left) and _has_word(right):
            if sep in ("->", "=>", "→", "⇒"):
                return [_cloze_after(f"{left} {sep}", right, p.lines, tag, p.lines[0], section.heading)]
            made = _definition(left, right, p.lines, tag, p.lines[0])
            if made is not None:
                return made
            if sep not in ("-", "–", "—"):
                return [_basic(_trim(left), right, p.lines, tag, p.lines[0])]
    if split := _pivot(text, subject_needed=True):
        subject, verb, rest = split
        if verb.lower() in ("is", "are") and _ARTICLE.match(rest) and len(_words(subject)) <= 4:
            made = _definition(subject, rest, p.lines, tag, p.lines[0])
            if made is not None:
                return made
        return [_cloze_after(f"{subject} {verb}", rest, p.lines, tag, p.lines[0], section.heading)]
    if section.is_block and (split := _pivot(text, subject_needed=False)) and not split[0]:
        _, verb, rest = split
        head = _head_piece(section)
        lines = _join(head, p)
        return [_cloze_after(f"{section.heading} {verb.lower()}", rest, lines, tag, p.lines[0], section.heading)]
    return None


def _list(p: _Piece, tag: str) -> list[Draft] | None:
    """A line with bullets under it: one card over the bullets, and one for each bullet's own bullets."""
    lead = _trim(re.sub(r"\s*:-?\s*$", "", p.text))
    if not _has_word(lead):
        return None
    items = [_piece(c) for c in p.children]
    out = _parts(lead, [i.text for i in items], _lines_with(p, p.children, deep=False), tag, p.lines[0]) or []
    for item in items:
        if item.children:
            out += _list(item, tag) or []
    return out or None


def _parts(front: str, items: list[str], lines, tag, position) -> list[Draft] | None:
    items = [i for i in items if _has_word(i)]
    if not items:
        return None
    if len(items) == 1:
        return [_basic(front, items[0], lines, tag, position)]
    if len(items) <= MAX_CLOZE_ITEMS and all(len(_words(i)) <= MAX_CLOZE_ITEM_WORDS for i in items):
        rows = [_cloze_item(item, k) for k, item in enumerate(items, start=1)]
        if all(rows):
            return [Draft(_trim(front), "\n".join(f"- {r}" for r in rows), "cloze", tuple(lines), tag, position)]
    return [_basic(front, _bullets(items), lines, tag, position)]


def _cloze_item(item: str, k: int) -> str | None:
    """``Hidden Layers doing {{c1::kinda Featurization tasks}}``: a long bullet hides what follows its verb."""
    answer, tail = _answer_and_tail(item)
    if len(_words(answer)) <= 4:
        return f"{{{{c{k}::{answer}}}}}{tail}" if _cloze_safe(answer) else None
    lead = ""
    if pivot := _pivot(answer, subject_needed=True):
        subject, verb, answer = pivot
        lead = f"{_literal(subject)} {verb} "
    split = key_term(answer, context=lead)
    if split is None or not _cloze_safe(split.term):
        return None
    return f"{lead}{_literal(split.before)}{{{{c{k}::{split.term}}}}}{_literal(split.after)}{tail}"


def _definition(term: str, text: str, lines, tag, position) -> list[Draft] | None:
    """``X : Y`` with a short term X: reversed when it reads both ways, else basic. None if X is no term."""
    term = _trim(term)
    if not _is_term(term) or not _has_word(text):
        return None
    both_ways = (
        not set(_words(term)) <= set(_words(text))
        and not _is_enumeration(text)
        and len(_words(text)) <= MAX_REVERSED_WORDS
        and not _is_enumeration(term)
    )
    return [Draft(term, _literal(text), "reversed" if both_ways else "basic", tuple(sorted(set(lines))), tag, position)]


def _cloze_after(lead: str, rest: str, lines, tag, position, context: str = "") -> Draft:
    """``lead {{c1::rest}}``, with the lead as the card's front; basic when ``rest`` cannot be a cloze."""
    answer, tail = _answer_and_tail(rest)
    items = key_terms_of_list(answer) if _is_enumeration(answer) else None
    if items and all(_cloze_safe(i.term) for i in items):
        hidden = "".join(f"{_literal(i.before)}{{{{c1::{i.term}}}}}{_literal(i.after)}" for i in items)
        body = f"{_literal(lead)} {hidden}{tail}"
        return Draft(f"{lead} …", body, "cloze", tuple(sorted(set(lines))), tag, position)
    split = key_term(answer, context=f"{context} {lead}")
    if split is not None and _cloze_safe(split.term):
        body = f"{_literal(lead)} {_literal(split.before)}{{{{c1::{split.term}}}}}{_literal(split.after)}{tail}"
        return Draft(f"{lead} …", body, "cloze", tuple(sorted(set(lines))), tag, position)
    return _basic(f"{lead} …", rest, lines, tag, position)


def _basic(front: str, back: str, lines, tag, position) -> Draft:
    return Draft(front, _literal(back), "basic", tuple(sorted(set(lines))), tag, position)


def _pivot(text: str, subject_needed: bool) -> tuple[str, str, str] | None:
    """(subject, verb, rest) at the first verb outside brackets that has words after it."""
    for m in _PIVOT.finditer(text):
        if _in_brackets(text, m.start()):
            continue
        subject, rest = text[: m.start()].strip(), text[m.end() :].strip()
        if not _has_word(re.sub(r"\([^()]*\)", "", rest)):
            continue  # "pruning helps (like dropout)": nothing said outside the aside
        if not subject:
            return None if subject_needed else ("", m.group(0), rest)
        if not subject_needed:
            return None
        content = [w for w in _words(subject) if w not in _STOP]
        if not content or all(w in _PRONOUNS for w in content):
            return None
        return subject, m.group(0), rest
    return None


def _first_outside(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    return next((m for m in pattern.finditer(text) if not _in_brackets(text, m.start())), None)


def _in_brackets(text: str, pos: int) -> bool:
    """Whether ``pos`` is inside "(...)" or "[...]", so that "(which is common ...)" is not read as the verb."""
    before = text[:pos]
    return before.count("(") + before.count("[") > before.count(")") + before.count("]")


def _is_term(text: str) -> bool:
    w = _words(text)
    content = [x for x in w if x not in _STOP]
    return (
        0 < len(w) <= MAX_TERM_WORDS
        and bool(content)
        and not all(x in _PRONOUNS for x in content)
        and _pivot(text, subject_needed=True) is None
        and _pivot(text, subject_needed=False) is None
    )


def _is_enumeration(text: str) -> bool:
    """A few short items (``Rotate, Scale Shear, ...``): not a definition to ask backwards."""
    pieces = [p for p in _ENUM_SPLIT.split(text) if _has_word(p)]
    return len(pieces) >= 2 and all(len(_words(p)) <= 3 for p in pieces)


def _answer_and_tail(rest: str) -> tuple[str, str]:
    """A cloze answer without its closing punctuation or a closing aside "(...)": those stay outside the braces."""
    m = _TRAILING.search(rest)
    answer, tail = (rest[: m.start()], rest[m.start() :].rstrip()) if m else (rest, "")
    if answer.endswith(")"):
        start = answer.rfind("(")
        while start > 0 and _in_brackets(answer, start):
            start = answer.rfind("(", 0, start)
        if start > 0 and _has_word(answer[:start]):
            answer, tail = answer[:start].rstrip(), " " + answer[start:] + tail
    return answer, tail


def _cloze_safe(answer: str) -> bool:
    return _has_word(answer) and not any(s in answer for s in ("{", "}", "::"))


def _literal(text: str) -> str:
    """Text that the deck parser reads as text: never a cloze deletion, never the start of a code block."""
    return _FENCE_START.sub(r"\1\\\2", text.replace("{{", "{\\{"))


def _bullets(items: Iterable[str]) -> str:
    return "\n".join(f"- {i}" for i in items)


def _head_piece(section: Section) -> _Piece:
    return _Piece(section.heading, (section.line,), section.indent)


def _join(a: _Piece, b: _Piece) -> tuple[int, ...]:
    return tuple(sorted({*a.lines, *b.lines}))


def _lines_with(p: _Piece, children: Iterable[Statement], deep: bool = True) -> tuple[int, ...]:
    lines = set(p.lines)
    for c in children:
        lines.update(c.lines)
        if deep:
            lines.update(_lines_with(_piece(c), c.children))
    return tuple(sorted(lines))


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _has_word(text: str) -> bool:
    return _ALNUM.search(text) is not None


def _trim(text: str) -> str:
    return text.strip().rstrip(":;,-").strip()


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
