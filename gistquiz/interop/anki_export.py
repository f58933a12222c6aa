"""Export gistquiz decks for Anki: an ``.apkg`` (with ``genanki``) or Anki's plain-text format.

Each gistquiz note (a ``##`` section) becomes one Anki note of one of
gistquiz's own note types (``gistquiz basic``, ``reversed``, ``typed``,
``cloze``, ``multiple choice``): Anki has no multiple-choice cards, so that one
is a front/back card whose front lists the options. Own note types, rather than
Anki's stock ones, because Anki renames imported stock types anyway, and
because they carry what a round trip needs: every field in HTML converted from
the Markdown, plus an ``Id`` field holding the card's ``id:``.

GUIDs are derived from the card's identity, so exporting again and importing
into Anki updates the notes instead of adding copies: a note imported from Anki
(``id: anki-...``) gets its original GUID back; any other note gets
``genanki.guid_for("gistquiz", key)`` of its key (``deck:id``, or
``deck:~hash`` for a card without an ``id:``, whose key already survives
changes of case, punctuation and spacing).

With the review store at hand (``gistquiz export`` always has it), a reworded
card without an ``id:`` keeps the GUID it was first exported with: through its
re-linked history (the store's links), or, for a card never answered, by
matching it to the note that disappeared from the deck as re-linking does.
And each note's modification time is when its content last changed (recorded
in the store the first time an export sees it changed), not the time of the
export: Anki updates a note on import only if the package's copy is newer, so
exporting an unchanged deck again changes nothing in Anki, edits made there
included.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from gistquiz import cloze
from gistquiz.card_text import fenced, front_text
from gistquiz.deck import Card, Deck, Kind, normalize
from gistquiz.errors import UserError
from gistquiz.interop import originals
from gistquiz.interop.anki_model import (
    GQ_BASIC,
    GQ_CHOICE,
    GQ_CLOZE,
    GQ_FIELDS,
    GQ_REVERSED,
    GQ_TYPED,
    classify,
    id_to_guid,
)
from gistquiz.interop.anki_text import TextRow, write_text
from gistquiz.interop.convert import PlannedDeck, media_link, short
from gistquiz.interop.html_md import MediaOut, inline_to_html, markdown_to_html
from gistquiz.interop.template_edit import edited_fields

MODEL_IDS = {
    GQ_BASIC: 1752046101,
    GQ_REVERSED: 1752046102,
    GQ_TYPED: 1752046103,
    GQ_CLOZE: 1752046104,
    GQ_CHOICE: 1752046105,
}
"""Fixed, so that Anki recognises the note types on every later import."""

CSS = """.card { font-family: sans-serif; font-size: 20px; text-align: left; color: black; background-color: white; }
.context { color: #666; margin-bottom: 1em; }
.cloze { font-weight: bold; color: blue; }
.nightMode .cloze { color: lightblue; }
"""

_TEMPLATES = {
    GQ_BASIC: [("Card 1", "{{Front}}", "{{FrontSide}}<hr id=answer>{{Back}}")],
    GQ_REVERSED: [
        ("Card 1", "{{Front}}", "{{FrontSide}}<hr id=answer>{{Back}}"),
        ("Card 2", "{{Back}}", "{{FrontSide}}<hr id=answer>{{Front}}"),
    ],
    GQ_TYPED: [
        (
            "Card 1",
            "{{Front}}<br><br>{{type:Answer}}",
            "{{Front}}<hr id=answer>{{type:Answer}}"
            "{{#Also accepted}}<br>Also accepted: {{Also accepted}}{{/Also accepted}}"
            "{{#Explanation}}<br><br>{{Explanation}}{{/Explanation}}",
        )
    ],
    GQ_CLOZE: [
        (
            "Cloze",
            "{{#Context}}<div class=context>{{Context}}</div>{{/Context}}{{cloze:Text}}",
            "{{#Context}}<div class=context>{{Context}}</div>{{/Context}}{{cloze:Text}}",
        )
    ],
    GQ_CHOICE: [
        (
            "Card 1",
            "{{Question}}<br>{{Options}}",
            "{{FrontSide}}<hr id=answer>{{Answer}}{{#Explanation}}<br>{{Explanation}}{{/Explanation}}",
        )
    ],
}


@dataclass(frozen=True)
class ExportNote:
    guid: str
    notetype: str
    fields: tuple[str, ...]
    """HTML, in the order of ``GQ_FIELDS[notetype]``."""
    tags: tuple[str, ...]
    card: Card
    """The note's first card."""
    mod: int | None = None
    """Unix seconds: when the note last changed (None: the time of the export)."""

    @property
    def key(self) -> str:
        return base_key(self.card)

    @property
    def content(self) -> str:
        """A hash of what Anki stores of the note."""
        return hashlib.sha1("\x1f".join((self.notetype, *self.fields, " ".join(self.tags))).encode()).hexdigest()


def base_key(card: Card) -> str:
    """The key of the note a card belongs to (without ``/rev`` or ``/cN``)."""
    return _note_key(card.key)


def _note_key(card_key: str) -> str:
    deck, _, rest = card_key.partition(":")
    return f"{deck}:{rest.partition('/')[0]}"


def note_guid(card: Card) -> str:
    return id_to_guid(card.note_id) or _guid_for(base_key(card))


def deck_id(deck: Deck) -> int:
    """A stable Anki deck id for a gistquiz deck (above 2**30, clear of Anki's default deck 1)."""
    return (1 << 30) + int(hashlib.sha1(f"gistquiz-deck:{deck.key}".encode()).hexdigest()[:12], 16) % (1 << 50)


def export_notes(deck: Deck, media: MediaOut | None = None) -> list[ExportNote]:
    """One Anki note per gistquiz note of the deck, in deck order (images packed where ``media`` names them)."""
    seen: set[str] = set()
    out = []
    for card in deck.cards:
        base = base_key(card)
        if base in seen:
            continue
        seen.add(base)
        out.append(ExportNote(note_guid(card), *_fields(card, media), card.tags, card))
    return out


def stamp(deck: Deck, notes: list[ExportNote], store) -> list[ExportNote]:
    """The notes with GUIDs that follow edits and modification times that change only with the content.

    Records the export in ``store`` (:meth:`gistquiz.store.Store.stamp_exported_notes`). A changed note is
    stamped with the deck file's modification time (the latest the change can have been made), not later
    than now.
    """
    from gistquiz.store import ExportedNote

    records = store.exported_notes(deck.key)
    origins = store.link_origins()
    guids: dict[str, str] = {}
    for n in notes:
        if n.card.note_id is not None:
            continue  # an explicit id: the key, and so the GUID, never changes
        if n.key in records:
            guids[n.key] = records[n.key].guid
        elif n.card.key in origins:  # reworded, its history re-linked: the GUID of its first key
            first = _note_key(origins[n.card.key])
            guids[n.key] = records[first].guid if first in records else _guid_for(first)
    taken = set(guids.values())
    orphans = {k: r for k, r in records.items() if r.guid not in taken and k not in guids}
    fresh = {n.key: n.card.fingerprint for n in notes if n.card.note_id is None and n.key not in guids}
    if orphans and fresh:  # reworded, never answered: matched as re-linking matches histories
        from gistquiz.relink import match

        for old, new, _ in match({k: r.fingerprint for k, r in orphans.items() if r.fingerprint}, fresh):
            guids[new] = orphans[old].guid
    notes = [replace(n, guid=guids.get(n.key, n.guid)) for n in notes]
    try:
        seen_at = min(int(os.path.getmtime(deck.path)), int(time.time()))
    except OSError:
        seen_at = int(time.time())
    rows = [ExportedNote(n.key, n.guid, n.card.fingerprint, n.content, 0) for n in notes]
    recorded = store.stamp_exported_notes(deck.key, rows, seen_at)
    return [replace(n, mod=recorded[n.key].changed_at) for n in notes]


def _guid_for(key: str) -> str:
    import genanki

    return genanki.guid_for("gistquiz", key)


def _fields(card: Card, media: MediaOut | None = None) -> tuple[str, tuple[str, ...]]:
    def h(md: str) -> str:
        return markdown_to_html(md, media)

    note_id = card.note_id or ""
    if card.kind is Kind.CLOZE:
        return GQ_CLOZE, (h(card.cloze_text), h(card.front), note_id)
    if card.kind is Kind.CHOICE:
        options = "<ul>" + "".join(f"<li>{inline_to_html(o.text)}</li>" for o in card.options) + "</ul>"
        right = "<ul>" + "".join(f"<li>{inline_to_html(o.text)}</li>" for o in card.options if o.correct) + "</ul>"
        return GQ_CHOICE, (h(card.front), options, right, h(card.back), note_id)
    if card.kind is Kind.TYPED:
        first, *others = card.answers
        return GQ_TYPED, (h(card.front), h(first), h(" | ".join(others)), h(card.explanation), note_id)
    if card.kind is Kind.EXERCISE and card.exercise:  # Anki cannot run it: task and starter, then the answer
        back = [f"Solution:\n\n{fenced(card.exercise.solution)}"] if card.exercise.solution.strip() else []
        back += [f"Tests:\n\n{fenced(card.exercise.tests)}", card.back]
        return GQ_BASIC, (h(front_text(card)), h("\n\n".join(back).strip()), note_id)
    name = GQ_REVERSED if card.kind is Kind.REVERSED else GQ_BASIC
    return name, (h(card.front), h(card.back), note_id)


# --------------------------------------------------------------------------- .apkg


def models() -> dict[str, Any]:
    import genanki

    return {
        name: genanki.Model(
            MODEL_IDS[name],
            name,
            fields=[{"name": f} for f in GQ_FIELDS[name]],
            templates=[{"name": n, "qfmt": q, "afmt": a} for n, q, a in _TEMPLATES[name]],
            css=CSS,
            model_type=genanki.Model.CLOZE if name == GQ_CLOZE else genanki.Model.FRONT_BACK,
        )
        for name in GQ_FIELDS
    }


class _Note:
    """A ``genanki.Note`` written with its own modification time (genanki gives every note the package's)."""

    def __new__(cls, mod: int | None, **kwargs):
        import genanki

        class Note(genanki.Note):
            def write_to_db(self, cursor, timestamp, deck_id, id_gen):
                super().write_to_db(cursor, timestamp if mod is None else mod, deck_id, id_gen)

        return Note(**kwargs)


def write_apkg(decks: list[Deck], path: Path, store=None, notices: list[str] | None = None) -> int:
    """Write the decks as one package (written next to ``path`` and renamed: never half a file). Returns notes.

    With ``store``, GUIDs follow edits and modification times change only with a note's content (:func:`stamp`).
    ``notices`` gets a line for each note imported from Anki that cannot go back in its own note type.
    """
    import genanki

    kinds: dict[str | int, Any] = dict(models())
    packaged = []
    n = 0
    staging = tempfile.TemporaryDirectory(prefix="gistquiz-export-")
    pack = MediaPack(Path(staging.name))
    for deck in decks:
        d = genanki.Deck(deck_id(deck), deck.title, description=markdown_to_html(deck.description))
        notes = export_notes(deck, pack.resolver(Path(deck.path)))
        kept = originals.read(Path(deck.path))
        for note in stamp(deck, notes, store) if store is not None else notes:
            came = kept.notes.get(note.card.note_id or "")
            edited = came is not None and came.digest != originals.digest(note.card)
            fields_back = None
            if came is not None:
                fields_back = _edited(came, note.card, Path(deck.path), kept.media) if edited else came.fields
            if came is not None and fields_back is not None:  # in its own note type; as it came where not edited
                model = kinds.setdefault(came.notetype.id, _original_model(came.notetype))
                mod = note.mod if edited else came.mod
                tags = list(note.tags if edited else came.tags)
                d.add_note(_Note(mod, model=model, fields=list(fields_back), tags=tags, guid=came.guid))
                pack.add_originals(Path(deck.path), kept.media, came.fields)
            else:
                if came is not None and notices is not None:
                    notices.append(
                        f"{deck.path}:{note.card.line}: '{short(note.card.front)}' was edited beyond the text of"
                        f" its Anki fields: it goes back as a '{note.notetype}' note, not a '{came.notetype.name}'"
                    )
                fields, tags = list(note.fields), list(note.tags)
                d.add_note(_Note(note.mod, model=kinds[note.notetype], fields=fields, tags=tags, guid=note.guid))
            n += 1
        packaged.append(d)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        genanki.Package(packaged, media_files=[str(p) for p in pack.files.values()]).write_to_file(tmp)
        os.replace(tmp, path)
    finally:
        staging.cleanup()
        if os.path.exists(tmp):
            os.unlink(tmp)
    return n


def _edited(came: originals.Original, card: Card, deck_path: Path, media: dict[str, str]) -> tuple[str, ...] | None:
    """An imported note edited in gistquiz, in its own note type: the fields gistquiz reads rewritten, the
    others as they came; ``None`` where gistquiz cannot say which fields its text came from.

    ``media`` (Anki's file name -> the file in the deck's media folder) turns the images the import linked
    back into the ``<img src>`` Anki knows."""
    folder = originals.media_folder(deck_path).name
    names = {f"{folder}/{safe}": name for name, safe in media.items()}

    def h(md: str) -> str:
        return markdown_to_html(md, lambda target: names.get(target.replace("%3C", "<").replace("%3E", ">")))

    layout = classify(came.notetype)
    fields = list(came.fields)
    if layout.kind == "cloze" and card.kind is Kind.CLOZE:
        text, _, extra = card.cloze_text.partition(cloze.EXTRA)
        fields[layout.front] = h(text)
        if layout.extra is not None:
            fields[layout.extra] = h(extra.strip())
    elif layout.kind in ("basic", "reversed", "optional") and card.kind in (Kind.BASIC, Kind.REVERSED):
        fields[layout.front], fields[layout.back] = h(card.front), h(card.back)
    elif layout.kind == "typed" and card.kind is Kind.TYPED and layout.also is None:
        fields[layout.front], fields[layout.back] = h(card.front), h(card.answers[0])
    elif layout.kind == "template":  # a custom note type: the fields whose text the edit changed
        link = media_link(PlannedDeck("", deck_path), media)
        return edited_fields(came.notetype, came.fields, came.digest, card, link, h)
    else:
        return None
    return tuple(fields)


def _original_model(nt):
    """An imported note's own note type, whole: Anki recognises it by its id and structure."""
    import genanki

    return genanki.Model(
        nt.id,
        nt.name,
        fields=[{"name": f} for f in nt.fields],
        templates=[
            {"name": n, "qfmt": q, "afmt": a} for n, (q, a) in zip(nt.template_names, nt.templates, strict=False)
        ],
        css=nt.css,
        model_type=genanki.Model.CLOZE if nt.cloze else genanki.Model.FRONT_BACK,
        sort_field_index=nt.sort_field,
    )


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class MediaPack:
    """The image files an export packs: Anki keeps media in one flat folder, so each gets a unique name."""

    def __init__(self, staging: Path):
        self.staging = staging
        self.files: dict[str, Path] = {}
        """Name in the package -> the file to pack (a copy in ``staging`` when renamed)."""
        self.names: dict[Path, str] = {}

    def add_originals(self, deck_path: Path, media: dict[str, str], fields: tuple[str, ...]) -> None:
        """Pack, under the names Anki gave them, the files an imported note's original fields show."""
        folder = originals.media_folder(deck_path)
        for name, safe in media.items():
            if name not in self.files and any(name in f for f in fields) and (folder / safe).is_file():
                self.files[name] = folder / safe

    def resolver(self, deck_path: Path) -> MediaOut:
        """Anki's name for an image a card of the deck at ``deck_path`` shows (relative to the deck's folder)."""
        root = deck_path.parent.resolve()

        def name_for(target: str) -> str | None:
            if _URL.match(target):  # a web image: Anki shows it from its address
                return target if target.lower().startswith(("http://", "https://")) else None
            path = (root / unquote(target)).resolve()
            if not path.is_relative_to(root):
                raise UserError(f"{deck_path}: image '{target}' is outside the deck's folder: refusing to export it")
            if not path.is_file():
                return None
            if path not in self.names:
                name, n = path.name, 1
                while name in self.files:
                    n += 1
                    name = f"{path.stem}-{n}{path.suffix}"
                if name != path.name:
                    copy = self.staging / name
                    shutil.copyfile(path, copy)
                    self.files[name] = copy
                else:
                    self.files[name] = path
                self.names[path] = name
            return self.names[path]

        return name_for


# --------------------------------------------------------------------------- plain text

# Anki's stock note types, which every collection has (under these names in English Anki; translated in
# others): a text file carries no note types of its own, so gistquiz's Id, Also accepted and Explanation
# fields have nowhere to go.
STOCK_BASIC = "Basic"
STOCK_REVERSED = "Basic (and reversed card)"
STOCK_TYPED = "Basic (type in the answer)"
STOCK_CLOZE = "Cloze"


def stock_fields(card: Card) -> tuple[str, tuple[str, str]]:
    """The note a card belongs to as one of Anki's stock note types: (note type, its two fields in HTML)."""
    h = markdown_to_html
    if card.kind is Kind.CLOZE:
        text, _, extra = card.cloze_text.partition(cloze.EXTRA)
        # A heading made of the text's own words (as the import writes one) repeats it; any other is context.
        redundant = set(normalize(card.front).split()) <= set(normalize(cloze.plain(text)).split())
        context = "" if redundant else f"{h(card.front)}<br><br>"
        return STOCK_CLOZE, (context + h(text), h(extra.strip()))
    if card.kind is Kind.CHOICE:
        _, (question, options, right, explanation, _) = _fields(card)
        return STOCK_BASIC, (f"{question}<br>{options}", right + (f"<br>{explanation}" if explanation else ""))
    if card.kind is Kind.TYPED:
        return STOCK_TYPED, (h(card.front), h(card.answers[0]))  # Anki compares what is typed with all of it
    return STOCK_REVERSED if card.kind is Kind.REVERSED else STOCK_BASIC, (h(card.front), h(card.back))


def text_rows(decks: list[Deck], store=None) -> list[TextRow]:
    rows = []
    for d in decks:
        notes = export_notes(d)
        for n in stamp(d, notes, store) if store is not None else notes:
            notetype, fields = stock_fields(n.card)
            rows.append(TextRow(n.guid, notetype, d.title, fields, n.tags))
    return rows


def write_tsv(decks: list[Deck], out, store=None) -> int:
    return write_text(text_rows(decks, store), out)
