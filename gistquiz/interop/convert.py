"""From Anki notes to gistquiz deck files: what an import will write, worked out before anything is written.

Decks
    Each Anki deck that holds notes becomes one deck file, because a deck is
    what gistquiz reviews, lists and counts. ``Parent::Child`` is written to
    ``parent--child.md`` with the title ``Parent::Child``. ``-o FILE.md``
    names the file when there is a single deck; ``-o FOLDER`` puts the files
    there; the default is the user's decks folder.
Identity
    Every note gets ``id: anki-<GUID>`` (see :mod:`gistquiz.interop.anki_model`),
    so importing the same notes again gives the same card keys: the deck file
    is replaced (``--force``) and the review history stays attached. A text
    export without a GUID column uses the note's first field, as Anki does to
    find duplicates.
Media
    A picture or sound that the package holds is copied to ``<deck>.media/``
    beside the deck file and linked; one it lacks becomes a
    ``(missing media: name)`` line.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from gistquiz import cloze
from gistquiz.deck import Card, deck_key, parse_deck
from gistquiz.deck_writer import Note, render, render_note
from gistquiz.errors import UserError
from gistquiz.interop import originals
from gistquiz.interop.anki_model import (
    Layout,
    NoteType,
    SourceNote,
    classify,
    guid_to_id,
    render_card,
    unshown_fields,
    valid_id,
)
from gistquiz.interop.anki_text import TextFormatError
from gistquiz.interop.html_md import html_to_markdown, missing_media, plain_to_markdown

_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}
)
_IMAGE = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".avif", ".tif", ".tiff", ".ico"})
_CLOZE_MARK = re.compile(r"\{\{c\d+::(.*?)(?:::(.*?))?\}\}", re.DOTALL)


@dataclass
class PlannedDeck:
    name: str
    """The Anki deck's name (``Parent::Child``)."""
    path: Path
    notes: list[Note] = field(default_factory=list)
    keys: dict[tuple[int, int], str] = field(default_factory=dict)
    """(Anki note id, card ordinal) -> gistquiz card key, for the review history."""
    media: dict[str, str] = field(default_factory=dict)
    """Safe media name -> file name as the fields wrote it, to copy into :attr:`media_dir`."""
    text: str = ""
    cards: int = 0
    fingerprints: dict[str, str] = field(default_factory=dict)
    sources: dict[str, SourceNote] = field(default_factory=dict)
    """gistquiz note id -> the Anki note (from a package) it was made of, kept beside the deck."""
    originals: str = ""
    """The text of the deck's ``.anki.json`` (see :mod:`gistquiz.interop.originals`); empty: none."""

    @cached_property
    def key(self) -> str:
        return deck_key(self.path)

    @property
    def media_dir(self) -> Path:
        return originals.media_folder(self.path)


@dataclass
class ImportPlan:
    decks: list[PlannedDeck]
    messages: list[str] = field(default_factory=list)
    """What the user should know: note types read as basic, notes skipped."""

    @property
    def cards(self) -> int:
        return sum(d.cards for d in self.decks)


# --------------------------------------------------------------------------- where the decks go


def deck_file_stem(name: str) -> str:
    """A file name (without ``.md``) for an Anki deck name: ``Spanish::Verbs`` -> ``spanish--verbs``."""
    parts = [re.sub(r"\W+", "-", p.strip().lower()).strip("-_") for p in name.split("::")]
    stem = "--".join(p for p in parts if p)[:80].rstrip("-") or "anki"
    if stem.upper() in _WINDOWS_RESERVED:
        stem += "-deck"
    return stem


def deck_paths(names: list[str], output: Path | None, decks_dir: Path, label: str) -> dict[str, Path]:
    """Where each deck's file goes. ``output``: a ``.md`` file (one deck only) or a folder."""
    if output is not None and output.suffix.lower() == ".md" and not output.is_dir():
        if len(names) > 1:
            shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
            raise UserError(
                f"{label} holds {len(names)} decks ({shown}): give -o a folder, "
                "or leave -o out to write them to your decks folder"
            )
        return {names[0]: output}
    folder = output if output is not None else decks_dir
    paths: dict[str, Path] = {}
    taken: set[str] = set()
    for name in names:
        stem = base = deck_file_stem(name)
        n = 1
        while stem in taken:
            n += 1
            stem = f"{base}-{n}"
        taken.add(stem)
        paths[name] = folder / f"{stem}.md"
    return paths


# --------------------------------------------------------------------------- notes


def plan(notes: list[SourceNote], paths: dict[str, Path], media: dict[str, str], source: str) -> ImportPlan:
    """Turn Anki notes into the deck files an import writes (rendered and checked, not yet written).

    ``media`` maps the file names fields use to safe names the package can supply.
    """
    decks = {name: PlannedDeck(name, path) for name, path in paths.items()}
    layouts: dict[NoteType, Layout] = {}
    other: Counter[NoteType] = Counter()
    occlusions = 0
    skipped: list[str] = []
    too_few: Counter[str] = Counter()
    seen_ids: dict[tuple[str, str], SourceNote] = {}
    repeated: list[str] = []
    for note in notes:
        deck = decks[note.deck]
        layout = layouts.get(note.notetype)
        if layout is None:
            layout = layouts[note.notetype] = classify(note.notetype)
        if len(note.fields) < max(layout.needs, 2 if layout.kind != "cloze" else 1):
            if note.line:
                raise TextFormatError(
                    f"{source}:{note.line}: a '{note.notetype.name}' note needs {layout.needs} fields, "
                    f"this row has {len(note.fields)}"
                )
            too_few[note.notetype.name] += 1
            continue
        if is_occlusion(note):
            occlusions += 1
        elif layout.kind in ("other", "template") or (note.notetype.templates and layout.id_field is None):
            other[note.notetype] += 1
        converted = _convert(note, layout, media_link(deck, media))
        if isinstance(converted, str):
            skipped.append(f"{_where(note)} ({converted})")
            continue
        gq_note, suffixes = converted
        gq_note.id = _note_id(note, layout, gq_note)
        first = seen_ids.setdefault((deck.name, gq_note.id), note)
        if first is not note:
            repeated.append(f"{_where(note)} repeats {_where(first)}")
            continue
        gq_note.tags = tuple(t.replace(",", "_") for t in note.tags if t.replace(",", ""))
        if layout.kind == "other":
            gq_note.comment = f"Anki note type '{note.notetype.name}': its first two fields"
        deck.notes.append(gq_note)
        if note.nid and note.notetype.id and note.guid:
            deck.sources[gq_note.id] = note
        for ord_, suffix in suffixes.items():
            deck.keys[(note.nid, ord_)] = f"{deck.key}:{gq_note.id}{suffix}"
    messages = []
    if occlusions:
        messages.append(
            f"{occlusions} image occlusion note{'s' * (occlusions != 1)} imported as basic cards "
            "(the header and the image in front): gistquiz cannot mask regions of an image"
        )
    for nt, n in sorted(other.items(), key=lambda item: item[0].name):
        messages += _custom_type_messages(nt, n)
    for name, n in sorted(too_few.items()):
        messages.append(f"skipped {n} note{'s' * (n != 1)} of note type '{name}': it has fewer than two fields")
    if skipped:
        messages.append(_skipped(skipped, "note", ""))
    if repeated:
        messages.append(_skipped(repeated, "repeated note", ""))
    result = ImportPlan([d for d in decks.values() if d.notes], messages)
    if not result.decks:
        why = f" ({messages[0]})" if messages else ""
        raise UserError(f"{source}: none of its {len(notes)} notes can be imported{why}")
    dropped = [item for d in result.decks for item in _render(d, source)]
    if dropped:
        result.messages.append(_skipped(dropped, "note", " gistquiz cannot read"))
    result.decks = [d for d in result.decks if d.cards]
    if not result.decks:
        raise UserError(f"{source}: none of its notes can be imported ({result.messages[-1]})")
    return result


def _custom_type_messages(nt: NoteType, n: int) -> list[str]:
    """What an import of ``n`` notes of a custom note type keeps, and what it cannot."""
    notes = f"{n} note{'s' * (n != 1)} of note type '{nt.name}'"
    if not nt.templates:
        return [f"{notes} imported as basic cards from their first two fields"]
    out = []
    if classify(nt).kind == "template":
        out.append(f"{notes} imported as basic cards, as their first card template shows them")
    if len(nt.templates) > 1 and classify(nt).kind == "template":
        out.append(f"{notes}: its other {len(nt.templates) - 1} card template(s) were not kept")
    unshown = unshown_fields(nt)
    if unshown:
        names = ", ".join(f"'{f}'" for f in unshown)
        out.append(f"{notes}: field{'s' * (len(unshown) != 1)} {names}, shown on no card, not kept")
    return out


def _where(note: SourceNote) -> str:
    if note.line:
        return f"line {note.line}"
    front = short(html_to_markdown(note.fields[0])) if note.fields and note.fields[0].strip() else ""
    ident = f"GUID {note.guid}" if note.guid else f"id {note.nid}"
    return f"note '{front}' ({ident})" if front else f"note {ident}"


def _skipped(items: list[str], what: str, why: str) -> str:
    more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
    return f"skipped {len(items)} {what}{'s' * (len(items) != 1)}{why}: {items[0]}{more}"


def _render(deck: PlannedDeck, source: str) -> list[str]:
    """Render the deck and read it back; a note the parser rejects (a nested cloze, say) is left out and reported."""
    description = f"Imported from Anki: {Path(source).name}, deck '{deck.name}'."
    dropped: list[str] = []
    for _ in range(2):
        head = render(deck.name, description, [])
        parts, starts, line = [head], [], head.count("\n") + 1
        for note in deck.notes:
            chunk = "\n" + render_note(note)
            starts.append(line + 1)
            parts.append(chunk)
            line += chunk.count("\n")
        deck.text = "".join(parts)
        parsed = parse_deck(deck.text, str(deck.path))
        if not parsed.errors:
            break
        bad = {bisect.bisect_right(starts, e.line) - 1: e for e in parsed.errors}
        for i in sorted(bad, reverse=True):
            if i >= 0:
                note = deck.notes.pop(i)
                dropped.append(f"'{short(note.front)}' ({bad[i].message})")
        if not deck.notes:
            deck.cards, deck.keys = 0, {}
            return dropped
    else:
        raise UserError(f"{source}: cannot import: the written deck would not read back ({parsed.errors[0]})")
    by_key = {c.key: c for c in parsed.cards}
    deck.keys = {k: v for k, v in deck.keys.items() if v in by_key}
    deck.fingerprints = {k: c.fingerprint for k, c in by_key.items()}
    deck.cards = len(parsed.cards)
    if deck.sources:
        first: dict[str, Card] = {}
        for card in parsed.cards:
            if card.note_id in deck.sources:
                first.setdefault(card.note_id, card)
        kept = {i: (deck.sources[i], originals.digest(c)) for i, c in first.items()}
        deck.originals = originals.dumps(kept, deck.media)
    return dropped


def short(text: str, n: int = 40) -> str:
    """One line of at most ``n`` characters, to name a note in a message."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def media_link(deck: PlannedDeck, available: dict[str, str]):
    def link(name: str) -> str:
        safe = available.get(name)
        if safe is None:
            return missing_media(name)
        deck.media[safe] = name
        target = f"{deck.media_dir.name}/{safe}"
        if re.search(r"[\s()<>]", target):
            target = f"<{target.replace('<', '%3C').replace('>', '%3E')}>"
        label = name.replace("[", "(").replace("]", ")")
        return f"![{label}]({target})" if Path(safe).suffix.lower() in _IMAGE else f"[{label}]({target})"

    return link


def field_converter(is_html: bool, braces: bool, media) -> Callable[[str], str]:
    """Markdown for a field (or a rendered template) as the import writes it (``braces``: not a cloze note)."""

    def conv(field_html: str) -> str:
        if not field_html:
            return ""
        text = html_to_markdown(field_html, media) if is_html else plain_to_markdown(field_html, media)
        # Anki shows "{{c1::x}}" literally on a note that is not a cloze; a deck file would read a cloze
        # deletion there. "{\{" is Markdown for the same two braces, and no deletion.
        return text.replace("{{", "{\\{") if braces and "{{" in text else text

    return conv


def _convert(note: SourceNote, layout: Layout, media) -> tuple[Note, dict[int, str]] | str:
    """The gistquiz note for an Anki note and the card key suffix of each Anki card ordinal, or why it is skipped."""
    raw = note.fields
    kind = layout.kind
    conv = field_converter(note.html, braces=kind != "cloze", media=media)

    def md(i: int | None) -> str:
        return conv(raw[i]) if i is not None and i < len(raw) else ""

    if is_occlusion(note):  # not a cloze: its deletions are regions of an image
        return _from_occlusion(note, conv)
    if kind == "template":
        return from_template(note, conv)
    if kind == "cloze":
        text = md(layout.back)
        found = cloze.find(text)
        if found.errors:
            return found.errors[0].message
        numbers = found.numbers
        if not numbers:
            return "a cloze note without {{c1::...}} deletions"
        extra = md(layout.extra)
        # Back Extra is shown with the answer only, as in Anki: after a rule (see cloze.EXTRA).
        body = f"{text}{cloze.EXTRA}\n{extra}" if extra else text
        context = md(layout.context) or _cloze_heading(text)
        return Note(context, body), {n - 1: f"/c{n}" for n in numbers}
    front = _front(md(layout.front))
    if kind == "choice":
        options = _choice(md(layout.options), md(layout.back))
        if options:
            return Note(front, md(layout.explanation), options=options), {0: ""}
        kind = "basic"
    if kind == "typed":
        answer = md(layout.back)
        if layout.also is not None:
            answers = [a for a in [answer, *md(layout.also).split("|")] if a.strip()]
            answer = " | ".join(a.strip() for a in answers)
            explanation = md(layout.explanation)
            back = f"{answer}\n{explanation}" if explanation else answer
        else:
            back = answer
        if not front.strip() or not back.strip() or not back.strip().splitlines()[0].strip():
            return "an empty front or answer"
        return Note(front, back, type="typed"), {0: ""}
    back = md(layout.back)
    if not front.strip() or not back.strip():
        return "an empty front or back"
    reversed_ = kind == "reversed" or (
        kind == "optional"
        and (
            (note.ords is not None and 1 in note.ords)
            or (note.ords is None and (layout.reverse_flag is None or bool(_field(raw, layout.reverse_flag).strip())))
        )
    )
    if reversed_:
        return Note(front, back, type="reversed"), {0: "", 1: "/rev"}
    return Note(front, back), {0: ""}


_OCCLUSION = re.compile(r"\{\{c\d+::image-occlusion:")


def is_occlusion(note: SourceNote) -> bool:
    """An Anki Image Occlusion note (its deletions are rectangles over an image), from a package or a text export."""
    return any("image-occlusion:" in f and _OCCLUSION.search(f) for f in note.fields)


def _from_occlusion(note: SourceNote, conv) -> tuple[Note, dict[int, str]] | str:
    """An Image Occlusion note as a basic card: its header and image in front, its Back Extra and Comments behind.

    gistquiz cannot draw Anki's masks, so the card asks what the image shows; the import says so.
    """
    names = note.notetype.fields

    def field(name: str, default: int) -> str:
        return _field(note.fields, names.index(name) if name in names else default)

    image = next((f for f in note.fields if "<img" in f.lower()), "")
    header = conv(field("Header", 2)).strip()
    front = _front("\n\n".join(p for p in (header or "What does this image show?", conv(image).strip()) if p))
    back = "\n\n".join(p for p in (conv(field("Back Extra", 3)).strip(), conv(field("Comments", 4)).strip()) if p)
    return Note(front, back or OCCLUSION_BACK), {0: ""}


OCCLUSION_BACK = "(an Anki image occlusion: the answers are the regions Anki masks on the image above)"


def from_template(note: SourceNote, conv) -> tuple[Note, dict[int, str]] | str:
    """A note of a custom note type, as its first card shows it: the question as the front, the answer as the back."""
    first = min(note.ords) if note.ords else 0
    shown = render_card(note.notetype, note.fields, first)
    front = conv(shown.question).strip()
    hints = [h for h in (conv(h).strip() for h in shown.hints) if h]
    if hints:  # Anki hides a hint behind a link on the question; a deck has no such link, so it is labelled
        front = "\n\n".join([front or "(no question)", *(f"Hint: {h}" for h in hints)])
    front = _front(front)
    back = conv(shown.answer).strip()
    if shown.typed is not None:
        answer = conv(_field(note.fields, note.notetype.fields.index(shown.typed))).strip()
        if not front.strip() or not answer or "\n" in answer:
            return "an empty front or a typed answer of several lines"
        rest = back.replace(answer, "", 1).strip() if back.startswith(answer) else back
        return Note(front, f"{answer}\n{rest}" if rest else answer, type="typed"), {first: ""}
    if not front.strip() or not back:
        return "an empty front or back"
    return Note(front, back), {first: ""}


def _front(text: str) -> str:
    """A front as a deck file holds it: the heading line, then (after a blank line) the rest.

    A deck file reads a heading followed by more lines as ``heading\n\nrest``, so a line break after the
    first line of an Anki front becomes that paragraph break.
    """
    first, _, rest = text.partition("\n")
    rest = rest.strip("\n")
    if not rest.strip():
        return first
    return f"{first.rstrip(BACKSLASH).rstrip()}\n\n{rest}"


BACKSLASH = "\\"


def _field(raw: tuple[str, ...], i: int | None) -> str:
    return raw[i] if i is not None and i < len(raw) else ""


def _choice(options_md: str, answer_md: str) -> list[tuple[str, bool]]:
    options = [line[2:].strip() for line in options_md.splitlines() if line.startswith("- ")]
    right = {line[2:].strip() for line in answer_md.splitlines() if line.startswith("- ")}
    if len(options) < 2 or not right & set(options):
        return []
    return [(o, o in right) for o in options]


def _cloze_heading(text: str, limit: int = 80) -> str:
    """A heading for a cloze note from Anki, which has none: its first line, every deletion blanked."""
    first = next((line for line in text.splitlines() if line.strip()), "Cloze")
    blanked = _CLOZE_MARK.sub(lambda m: f"[{m.group(2) or '...'}]", first).rstrip("\\ ").strip()
    blanked = " ".join(blanked.split())
    if len(blanked) > limit:
        blanked = blanked[: limit - 1].rsplit(" ", 1)[0] + "…"
    return blanked or "Cloze"


def _note_id(note: SourceNote, layout: Layout, gq_note: Note) -> str:
    if layout.id_field is not None:
        given = _field(note.fields, layout.id_field).strip()
        if valid_id(given):
            return given
    if note.guid:
        made = guid_to_id(note.guid)
        if valid_id(made):
            return made
        return "anki-h" + hashlib.sha1(note.guid.encode()).hexdigest()[:16]
    first = note.fields[0] if note.fields else gq_note.front
    return "note-" + hashlib.sha1(first.strip().encode()).hexdigest()[:12]
