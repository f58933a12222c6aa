"""Notes in, deck text out: read the notes, apply the rules, and keep only cards the deck parser accepts.

Every proposed card is rendered on its own and parsed back with
:func:`gistquiz.deck.parse_deck` before it goes into the deck, so whatever the
notes hold (braces, ``## `` lines, comments, task boxes), the deck written has
no errors; a card that would have one is left out and its lines reported.
Cards that come out the same (a statement written twice) are merged, keeping
both lines in the comment.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePath

from gistquiz.deck import Card, Kind, parse_deck
from gistquiz.deck_writer import Note, render, render_note
from gistquiz.notes_import import lines as lines_mod
from gistquiz.notes_import import rules

_CHECK_PATH = "imported.md"
_ALNUM = re.compile(r"[^\W_]")
_DUPLICATE = re.compile(r"duplicate card: same text as the card on line (\d+)")


@dataclass
class Conversion:
    title: str
    text: str
    """The deck file, empty when no card was made."""
    notes: list[Note]
    kinds: Counter[str] = field(default_factory=Counter)
    """Cards by kind (a reversed note makes two cards, a cloze note one per deletion)."""
    unused: list[int] = field(default_factory=list)
    """Lines with words on them that made no card."""
    n_lines: int = 0
    to_self: list[int] = field(default_factory=list)
    """TODO / FIXME lines, reminders and questions to oneself, skipped on purpose."""

    @property
    def n_cards(self) -> int:
        return sum(self.kinds.values())


def convert(data: bytes | str, name: str, title: str | None = None) -> Conversion:
    """The deck for the notes in ``data`` (the notes file's bytes or text); ``name`` is used in messages.

    Raises
    ------
    NotesError
        When ``data`` is not a notes file (binary, not UTF-8, too large).
    """
    shown = " ".join(PurePath(name).name.split()) or "notes"
    """In the cards' comments: the file's name; messages give the path as the user gave it."""
    text = lines_mod.decode(data, name) if isinstance(data, bytes) else data
    if isinstance(data, str) and len(data.encode("utf-8", "surrogatepass")) > lines_mod.MAX_NOTES_BYTES:
        raise lines_mod.NotesError(lines_mod.too_large(name, len(data.encode("utf-8", "surrogatepass"))))
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    notes = lines_mod.read(text)
    proposed = rules.drafts(notes.sections)
    deck_title = " ".join((title or notes.title or PurePath(shown).stem).split()) or "My notes"

    first = [_note(d, shown, d.lines, [d.tag] if d.tag else [], notes.changes) for d in proposed.drafts]
    checked = _parse_each(deck_title, first)
    if checked is None:  # a note upset the deck as a whole (none is expected): check each on its own
        checked = [(_usable(_cards_alone(note)), None) for note in first]

    kept: list[tuple[rules.Draft, list[int], list[str]]] = []
    index_of: dict[int, int] = {}
    """Position in ``first`` -> position in ``kept``."""
    by_key: dict[str, int] = {}
    kinds: Counter[str] = Counter()
    dropped: list[int] = []
    for i, (draft, (cards, same_as)) in enumerate(zip(proposed.drafts, checked, strict=True)):
        same = index_of.get(same_as) if same_as is not None else None
        if same is None and cards:
            same = next((by_key[c.key] for c in cards if c.key in by_key), None)
        if same is not None:
            _, merged_lines, tags = kept[same]
            merged_lines += [n for n in draft.lines if n not in merged_lines]
            if draft.tag and draft.tag not in tags:
                tags.append(draft.tag)
            continue
        if not cards:
            dropped += draft.lines
            continue
        index_of[i] = len(kept)
        for c in cards:
            by_key[c.key] = len(kept)
            kinds[c.kind.value] += 1
        kept.append((draft, list(draft.lines), [draft.tag] if draft.tag else []))

    final = _annotated([_note(d, shown, ls, tags, notes.changes) for d, ls, tags in kept], text)
    final, kinds, lost = _whole_deck_checked(deck_title, final, [ls for _, ls, _ in kept], kinds)
    used = {n for _, ls, _ in kept for n in ls} - set(lost)
    unused = sorted(set(proposed.unused + dropped + notes.skipped + lost) - used)
    description = _description(shown, notes.n_lines, unused, notes.to_self) if final else ""
    deck_text = render(deck_title, description, final) if final else ""
    return Conversion(deck_title, deck_text, final, kinds, unused, notes.n_lines, notes.to_self)


def _annotated(notes: list[Note], notes_text: str) -> list[Note]:
    """Each note with its suspected misspellings, its nearest bundled card and that card's demo, in its comment.

    Nothing is corrected or asserted: the comment tells the learner what to check.
    """
    if not notes:
        return notes
    from gistquiz import cloze
    from gistquiz.notes_import import bundled_match, spelling

    texts = [f"{n.front}\n{cloze.plain(n.back)}" for n in notes]
    vocab = spelling.vocabulary(notes_text)
    matches = bundled_match.nearest(texts)
    out = []
    for note, text, match in zip(notes, texts, matches, strict=True):
        comment, demo = note.comment, note.demo
        suspects = spelling.suspects(text, vocab)
        if suspects:
            comment += "; check spelling: " + ", ".join(f"{s.word} ({s.term}?)" for s in suspects)
        if match.misconception is not None:
            comment += (
                f"; may repeat a common mistake: compare the bundled card '{match.misconception.front}'"
                f" ({match.misconception.note_id})"
            )
        if match.nearest is not None and match.nearest != match.misconception:
            comment += f"; nearest bundled card: '{match.nearest.front}' ({match.nearest.note_id})"
        linked = match.misconception or match.nearest
        if demo is None and linked is not None and linked.demo:
            demo = linked.demo
        out.append(dataclasses.replace(note, comment=comment, demo=demo))
    return out


def _whole_deck_checked(title: str, notes: list[Note], lines: list[list[int]], kinds: Counter[str]):
    """Parse the whole deck once more; a note in trouble there (none is expected) is left out, not written.

    Each note was checked alone, so this only guards against what notes could do to each other.
    """
    if not notes:
        return notes, kinds, []
    deck = parse_deck(render(title, "", notes), _CHECK_PATH)
    if not deck.errors:
        return notes, kinds, []
    heading_lines = _heading_lines(notes)
    bad = {max(0, bisect.bisect_right(heading_lines, e.line) - 1) for e in deck.errors}
    keep = [i for i in range(len(notes)) if i not in bad]
    kept_notes = [notes[i] for i in keep]
    recount = Counter(c.kind.value for c in parse_deck(render(title, "", kept_notes), _CHECK_PATH).cards)
    return kept_notes, recount, [n for i in bad if i < len(lines) for n in lines[i]]


def _note(draft: rules.Draft, shown: str, lines: list[int] | tuple[int, ...], tags, changes) -> Note:
    comment = f"{shown} {_line_list(lines)}"
    made = []
    for n in sorted(lines):
        made += [c for c in changes.get(n, ()) if c not in made]
    if made:
        comment += "; changed: " + ", ".join(made)
    kind = "basic" if draft.type == "cloze" else draft.type
    return Note(draft.front, draft.back, type=kind, tags=tuple(tags), comment=comment)


def _parse_each(title: str, notes: list[Note]):
    """Parse all notes as one deck: for each note, its usable cards and the note it repeats (or None).

    None when the deck has a problem other than a repeated card.
    """
    if not notes:
        return []
    deck = parse_deck(render(title, "", notes), _CHECK_PATH)
    starts = _heading_lines(notes)
    cards: list[list[Card]] = [[] for _ in notes]
    for card in deck.cards:
        cards[bisect.bisect_right(starts, card.line) - 1].append(card)
    same_as: list[int | None] = [None] * len(notes)
    for err in deck.errors:
        m = _DUPLICATE.match(err.message)
        if m is None:
            return None
        same_as[bisect.bisect_right(starts, err.line) - 1] = bisect.bisect_right(starts, int(m.group(1))) - 1
    return [(_usable(c) if same is None else None, same) for c, same in zip(cards, same_as, strict=True)]


def _heading_lines(notes: list[Note]) -> list[int]:
    """The line of each note's heading in ``render(title, "", notes)``: a title line, a blank line before each."""
    out, line = [], 2
    for note in notes:
        out.append(line + 1)
        line += 1 + render_note(note).count("\n")
    return out


def _cards_alone(note: Note) -> list[Card] | None:
    deck = parse_deck(render("check", "", [note]), _CHECK_PATH)
    return None if deck.errors else deck.cards


def _usable(cards: list[Card] | None) -> list[Card] | None:
    """The cards, or None if there are none or one has an empty side."""
    if not cards:
        return None
    for card in cards:
        back = card.cloze_text if card.kind is Kind.CLOZE else card.back
        if not _has_word(card.front) or not _has_word(back):
            return None
    return cards


def _line_list(lines) -> str:
    """``line 12``, ``lines 41-44``, ``lines 14, 57``."""
    nums = sorted(set(lines))
    if len(nums) == 1:
        return f"line {nums[0]}"
    spans: list[list[int]] = []
    for n in nums:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return "lines " + ", ".join(f"{a}-{b}" if b > a else f"{a}" for a, b in spans)


def _description(shown: str, n_lines: int, unused: list[int], to_self: list[int]) -> str:
    text = textwrap.fill(
        f"Made from {shown} ({n_lines} lines) by `gistquiz import-notes`: an offline heuristic that reads the "
        'notes\' shape (headings, bullets, "X : Y", "X is Y", "why ...?"), not their meaning. Every card uses '
        "the notes' own words; the comment under each card names the lines it came from and any word changed "
        "(a small table of abbreviations), any word that looks like a misspelt term, and the bundled card on the "
        "same topic (its demo is linked). Check each card against those lines, then reword, merge or delete it, "
        "and run `gistquiz check` on this file.",
        width=100,
        break_on_hyphens=False,
    )
    if unused:
        text += f"\n\nLines that made no card: {_some(unused)}."
    if to_self:
        text += f"\n\nSkipped as notes to yourself (TODO, FIXME, reminders, questions to look up): {_some(to_self)}."
    return text


def _some(lines: list[int]) -> str:
    return ", ".join(map(str, lines[:30])) + (", ..." if len(lines) > 30 else "")


def _has_word(text: str) -> bool:
    return _ALNUM.search(text) is not None
