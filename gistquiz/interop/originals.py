"""What an imported Anki note was, kept beside its deck so that exporting it back changes nothing not edited.

``gistquiz import`` writes ``DECK.anki.json`` beside ``DECK.md``: for each note from a package, its GUID, its
modification time, its fields as Anki stored them (HTML, every field, shown by a template or not), its tags,
and a digest of the card gistquiz made of it; and each note type whole (id, name, fields, templates, CSS,
sort field). ``gistquiz export`` writes a note whose card still has that digest exactly as it came, in its
own note type: Anki matches note types by id and structure and finds the note unchanged, with "merge note
types" on or off. An edited note goes out in its own note type too, with the fields its edit changed
rewritten (for a custom note type, see :mod:`gistquiz.interop.template_edit`); only where gistquiz cannot
tell which fields an edit changed does it go out in gistquiz's note types, as any other note.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from gistquiz.deck import Card
from gistquiz.interop.anki_model import NoteType, SourceNote

VERSION = 1


@dataclass(frozen=True)
class Original:
    guid: str
    notetype: NoteType
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    mod: int
    digest: str


@dataclass
class Originals:
    notes: dict[str, Original] = field(default_factory=dict)
    """gistquiz note id -> the Anki note it was imported from."""
    media: dict[str, str] = field(default_factory=dict)
    """File name as Anki's fields write it -> its file in the deck's media folder."""


def path_for(deck_path: Path) -> Path:
    return deck_path.with_name(f"{deck_path.stem}.anki.json")


def media_folder(deck_path: Path) -> Path:
    """Where the import put the deck's pictures and sounds (:attr:`gistquiz.interop.convert.PlannedDeck.media_dir`)."""
    return deck_path.with_name(f"{deck_path.stem}.media")


def digest(card: Card) -> str:
    """What a note's first card says: a changed digest means the note was edited in gistquiz."""
    parts = (card.kind, card.front, card.back, card.cloze_text, *(f"{o.correct}{o.text}" for o in card.options))
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()


def dumps(notes: dict[str, tuple[SourceNote, str]], media: dict[str, str]) -> str:
    """The file's text for ``notes`` (gistquiz note id -> (source note, digest)) and ``media`` (safe -> Anki)."""
    types = {}
    records = {}
    for note_id, (note, dig) in notes.items():
        nt = note.notetype
        types[str(nt.id)] = {
            "name": nt.name,
            "cloze": nt.cloze,
            "fields": list(nt.fields),
            "templates": [[n, q, a] for n, (q, a) in zip(nt.template_names, nt.templates, strict=False)],
            "css": nt.css,
            "sort_field": nt.sort_field,
        }
        records[note_id] = {
            "guid": note.guid,
            "notetype": nt.id,
            "fields": list(note.fields),
            "tags": list(note.tags),
            "mod": note.mod,
            "digest": dig,
        }
    body = {"version": VERSION, "notetypes": types, "notes": records, "media": {a: s for s, a in media.items()}}
    return json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def read(deck_path: Path) -> Originals:
    """The originals kept beside the deck; none if there is no such file or it cannot be read (the export then
    writes every note as gistquiz's own, as it would for any deck)."""
    try:
        body = json.loads(path_for(deck_path).read_text(encoding="utf-8"))
        if body.get("version") != VERSION:
            return Originals()
        types = {}
        for key, t in body["notetypes"].items():
            templates = [tuple(x) for x in t["templates"]]
            types[int(key)] = NoteType(
                t["name"],
                tuple(t["fields"]),
                bool(t["cloze"]),
                tuple((q, a) for _, q, a in templates),
                id=int(key),
                css=t["css"],
                template_names=tuple(n for n, _, _ in templates),
                sort_field=int(t["sort_field"]),
            )
        notes = {
            note_id: Original(
                r["guid"], types[r["notetype"]], tuple(r["fields"]), tuple(r["tags"]), int(r["mod"]), r["digest"]
            )
            for note_id, r in body["notes"].items()
        }
        return Originals(notes, dict(body["media"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return Originals()
