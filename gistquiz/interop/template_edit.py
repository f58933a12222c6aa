"""Which fields of a custom Anki note type an edit in gistquiz changed, so the note goes back in its own type.

A note of a custom note type (``Term``, ``Meaning``, ``Example``...) becomes a card whose front and back are
its first card template rendered (:func:`gistquiz.interop.convert.from_template`): field text with the
template's own text around it, in Markdown. An edit of that card is an edit of the text one or more fields
put there. To write it back, each field's place in the card is found by rendering the template with a
marker in that field: the edited card, matched against the marked one, gives the field's new text.

One field at a time first (an edit usually touches one), the field emptied too (its ``{{#F}}`` section then
disappears); then every filled field at once. A solution counts only if rendering the note with it gives
back exactly the edited card; of several (a hint added reads like the term grown by "Hint: ..."), the
smallest change to the fields wins. When none does (the edit rewrote the template's own text, say), there
is no honest way to say which field holds what: ``None``, and the export writes the note in gistquiz's
own note type and says so.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from pathlib import Path

from gistquiz.deck import Card, parse_deck
from gistquiz.deck_writer import Note, render
from gistquiz.interop import originals
from gistquiz.interop.anki_model import NoteType, SourceNote, render_card
from gistquiz.interop.convert import field_converter, from_template
from gistquiz.interop.html_md import Media, MediaOut, markdown_to_html

_MARK = "gqfieldmark{}x"
"""Letters and digits only, so that no conversion escapes or splits it."""


def edited_fields(
    nt: NoteType,
    fields: tuple[str, ...],
    digest: str,
    card: Card,
    media_in: Media,
    media_out: MediaOut | None = None,
) -> tuple[str, ...] | None:
    """The note's fields (HTML) with the edit of ``card`` written into the fields it changed.

    ``fields`` and ``digest`` are the note as it came from Anki and the digest of the card made of it;
    ``media_in``/``media_out`` convert image links as the import did and as the export does.
    """
    conv = field_converter(True, braces=True, media=media_in)
    ordinal = next((o for o in range(len(nt.templates)) if _digest(nt, fields, o, conv) == digest), None)
    if ordinal is None:  # the card is not what this note type renders: nothing to match against
        return None
    target = originals.digest(card)
    shown = _shown(nt, ordinal)

    def works(candidate: tuple[str, ...]) -> bool:
        return _digest(nt, candidate, ordinal, conv) == target

    def html(md: str) -> str:
        return markdown_to_html(md, media_out)

    candidates = []
    for i in shown:
        found = _solve(nt, fields, ordinal, conv, card, [i])
        if found is not None:
            candidates.append(_with(fields, {i: html(found[i])}))
        candidates.append(_with(fields, {i: ""}))
    # Several may give the card: the smallest change to the fields is taken as the edit the learner made.
    working = [c for c in candidates if c != fields and works(c)]
    if working:
        return min(working, key=lambda c: sum(_distance(a, b) for a, b in zip(fields, c, strict=True)))
    filled = [i for i in shown if fields[i].strip()]  # an empty field stays empty: marked, it would show
    if len(filled) > 1:
        found = _solve(nt, fields, ordinal, conv, card, filled)
        before = _solve(nt, fields, ordinal, conv, _card(nt, fields, ordinal, conv), filled)
        if found is not None and before is not None:
            candidate = _with(fields, {i: html(x) for i, x in found.items() if x != before[i]})
            if works(candidate):
                return candidate
    return None


def _distance(a: str, b: str) -> int:
    """Characters deleted and inserted to turn ``a`` into ``b``."""
    if a == b:
        return 0
    matched = sum(block.size for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    return len(a) + len(b) - 2 * matched


def _solve(nt, fields, ordinal, conv, card: Card, which: list[int]) -> dict[int, str] | None:
    """The text ``card`` has where each field of ``which`` goes (the other fields as they came), or None."""
    marked = _with(fields, {i: _MARK.format(i) for i in which})
    template = _card(nt, marked, ordinal, conv)
    if template is None:
        return None
    pattern, seen = [], set()
    for piece in re.split(r"(gqfieldmark\d+x)", _text(template)):
        m = re.fullmatch(r"gqfieldmark(\d+)x", piece)
        if m is None:
            pattern.append(re.escape(piece))
        elif m.group(1) in seen:
            pattern.append(f"(?P=f{m.group(1)})")
        else:
            seen.add(m.group(1))
            pattern.append(f"(?P<f{m.group(1)}>.*?)")
    found = re.fullmatch("".join(pattern), _text(card), re.DOTALL)
    if found is None:
        return None
    return {int(k[1:]): v for k, v in found.groupdict().items()}


def _text(card: Card) -> str:
    return f"{card.kind}\x00{card.front}\x00{card.back}"


def _shown(nt: NoteType, ordinal: int) -> list[int]:
    """Indices of the fields the card template ``ordinal`` shows (its rendering changes with them)."""
    plain = render_card(nt, tuple(_MARK.format(i) for i in range(len(nt.fields))), ordinal)
    sides = "".join((plain.question, plain.answer, *plain.hints, plain.typed or ""))
    typed = nt.fields.index(plain.typed) if plain.typed in nt.fields else None
    return [i for i in range(len(nt.fields)) if _MARK.format(i) in sides or i == typed]


def _with(fields: tuple[str, ...], changes: dict[int, str]) -> tuple[str, ...]:
    return tuple(changes.get(i, f) for i, f in enumerate(fields))


def _card(nt: NoteType, fields: tuple[str, ...], ordinal: int, conv) -> Card | None:
    """The card gistquiz makes of the note (as the import writes it and the deck file reads it back)."""
    made = from_template(SourceNote(None, nt, fields, (), "", ords=frozenset({ordinal})), conv)
    if isinstance(made, str):  # an empty front or back: not a card
        return None
    note, _ = made
    deck = parse_deck(render("deck", "", [Note(note.front, note.back, note.type)]), str(Path("deck.md")))
    return deck.cards[0] if deck.cards and not deck.errors else None


def _digest(nt: NoteType, fields: tuple[str, ...], ordinal: int, conv) -> str | None:
    card = _card(nt, fields, ordinal, conv)
    return None if card is None else originals.digest(card)
