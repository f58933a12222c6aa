"""Anki's note model and how it maps onto gistquiz's cards.

In Anki a *note* holds fields, and its *note type* has templates that make one
or more *cards* from them (``anchors/srs.md``, section 1). gistquiz has one
note per ``##`` section and a fixed set of kinds, so each note type is mapped
to a kind:

=================================  =========================================
Anki note type                     gistquiz
=================================  =========================================
Basic                              basic
Basic (and reversed card)          reversed (basic when the package has only
Basic (optional reversed card)     the first card, or "Add Reverse" is empty)
Basic (type in the answer)         typed
Cloze                              cloze
gistquiz's own note types          what they were exported from
any other                          basic, from its first two fields
=================================  =========================================

Note types are recognised by their English stock names first, then by their
templates (``{{type:...}}``, two one-field fronts, Anki's cloze flag), since
Anki names the stock types in the user's language.

A note's identity is its GUID. gistquiz's ``id:`` allows letters, digits,
``-``, ``_`` and ``.``, so the GUID is written as ``anki-`` followed by the
GUID with every other byte escaped as ``_xx``: the same note always gets the
same id, and exporting it back to Anki gives the GUID back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ID_PREFIX = "anki-"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_ESCAPED = re.compile(r"_([0-9a-f]{2})")
MAX_ID_LENGTH = 200


@dataclass(frozen=True)
class NoteType:
    name: str
    fields: tuple[str, ...]
    cloze: bool = False
    templates: tuple[tuple[str, str], ...] = ()
    """(question format, answer format) of each card template; empty when unknown (text exports)."""
    id: int = 0
    """Anki's note type id (0 when unknown): with the rest below, what a round trip back to Anki needs."""
    css: str = ""
    template_names: tuple[str, ...] = ()
    sort_field: int = 0


@dataclass(frozen=True)
class SourceNote:
    """One Anki note as a package or a text export holds it, before it becomes a gistquiz note."""

    guid: str | None
    notetype: NoteType
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    deck: str
    ords: frozenset[int] | None = None
    """The card ordinals the package holds for the note (``None`` for a text export)."""
    html: bool = True
    line: int = 0
    """Line of the note in a text export."""
    nid: int = 0
    """Anki's note id, in a package."""
    mod: int = 0
    """Anki's modification time of the note (epoch seconds), in a package."""


# --------------------------------------------------------------------------- gistquiz's own note types

GQ_BASIC = "gistquiz basic"
GQ_REVERSED = "gistquiz reversed"
GQ_TYPED = "gistquiz typed"
GQ_CLOZE = "gistquiz cloze"
GQ_CHOICE = "gistquiz multiple choice"

GQ_FIELDS = {
    GQ_BASIC: ("Front", "Back", "Id"),
    GQ_REVERSED: ("Front", "Back", "Id"),
    GQ_TYPED: ("Front", "Answer", "Also accepted", "Explanation", "Id"),
    GQ_CLOZE: ("Text", "Context", "Id"),
    GQ_CHOICE: ("Question", "Options", "Answer", "Explanation", "Id"),
}
"""Fields of the note types ``gistquiz export`` writes. ``Id`` keeps a card's ``id:`` through a round trip."""


@dataclass(frozen=True)
class Layout:
    """Where a note type keeps what gistquiz needs (field indices)."""

    kind: str
    """basic, reversed, optional (reversed if its second card exists), typed, cloze, choice, template (the
    card's first template rendered: see :func:`render_card`) or other (a text export's unknown type: its first two
    fields)."""
    front: int = 0
    back: int = 1
    also: int | None = None
    explanation: int | None = None
    context: int | None = None
    extra: int | None = None
    reverse_flag: int | None = None
    options: int | None = None
    id_field: int | None = None

    @property
    def needs(self) -> int:
        """How many fields a note must have."""
        used = [self.front, self.back, self.also, self.explanation, self.context, self.extra, self.reverse_flag]
        used += [self.options, self.id_field]
        return max(i for i in used if i is not None) + 1


_STOCK = {
    "basic": Layout("basic"),
    "basic (and reversed card)": Layout("reversed"),
    "basic (optional reversed card)": Layout("optional", reverse_flag=2),
    "basic (type in the answer)": Layout("typed"),
}
_GQ = {
    GQ_BASIC: Layout("basic", id_field=2),
    GQ_REVERSED: Layout("reversed", id_field=2),
    GQ_TYPED: Layout("typed", also=2, explanation=3, id_field=4),
    GQ_CLOZE: Layout("cloze", front=1, back=0, context=1, id_field=2),
    GQ_CHOICE: Layout("choice", options=1, back=2, explanation=3, id_field=4),
}
_RENAMED = re.compile(r"(?:-[0-9a-z]{5}|\+)$")
_REF = re.compile(r"\{\{([^#/^!{}][^{}]*)\}\}")
_SPECIAL_FIELDS = frozenset({"FrontSide", "Tags", "Type", "Deck", "Subdeck", "Card", "CardFlag", "CardID"})


def stock_name(name: str) -> str:
    """A note type's name without what Anki or genanki add to it ("Basic-1a2b3", "Basic (genanki)")."""
    name = name.strip().lower().removesuffix(" (genanki)")
    return _RENAMED.sub("", name).strip()


def classify(nt: NoteType) -> Layout:
    """How gistquiz reads notes of this type (``kind == "other"``: as basic from the first two fields)."""
    if nt.name in _GQ and len(nt.fields) == len(GQ_FIELDS[nt.name]):
        return _GQ[nt.name]
    n = len(nt.fields)
    stock = stock_name(nt.name)
    if stock == "cloze" or nt.cloze:
        return _cloze_layout(nt)
    if stock in _STOCK and n >= _STOCK[stock].needs:
        return _STOCK[stock]
    if nt.templates:
        found = _from_templates(nt)
        if found is not None and found.kind != "basic":
            return found
        return Layout("template")
    return Layout("other")


def _cloze_layout(nt: NoteType) -> Layout:
    text = 0
    for q, _ in nt.templates[:1]:
        m = re.search(r"\{\{[^{}]*cloze:([^{}]+)\}\}", q)
        if m and m.group(1).strip() in nt.fields:
            text = nt.fields.index(m.group(1).strip())
    extra = next((i for i, f in enumerate(nt.fields) if f.lower() in ("back extra", "extra") and i != text), None)
    if extra is None and len(nt.fields) > 1:
        extra = 1 if text == 0 else 0
    return Layout("cloze", front=text, back=text, extra=extra)


def _refs(template: str, fields: tuple[str, ...]) -> list[str]:
    """Field names a template shows, in order (``{{type:X}}`` as ``type:X``; filters dropped)."""
    out = []
    for m in _REF.finditer(template):
        ref = m.group(1).strip()
        if ref.startswith("type:"):
            name = ref.rsplit(":", 1)[1].strip()
            out.append(f"type:{name}")
            continue
        name = ref.rsplit(":", 1)[-1].strip()
        if name in fields and name not in _SPECIAL_FIELDS:
            out.append(name)
    return out


def _from_templates(nt: NoteType) -> Layout | None:
    fields = nt.fields
    if len(fields) < 2:
        return None
    if len(nt.templates) == 1:
        q, a = nt.templates[0]
        q_refs = _refs(q, fields)
        typed = [r.removeprefix("type:") for r in q_refs if r.startswith("type:")]
        shown = [r for r in q_refs if not r.startswith("type:")]
        if len(typed) == 1 and typed[0] in fields and shown:
            return Layout("typed", front=fields.index(shown[0]), back=fields.index(typed[0]))
        answers = [r for r in _refs(a, fields) if r not in shown and not r.startswith("type:")]
        if len(set(shown)) == 1 and answers:
            return Layout("basic", front=fields.index(shown[0]), back=fields.index(answers[0]))
    if len(nt.templates) == 2:
        first = set(_refs(nt.templates[0][0], fields))
        second = set(_refs(nt.templates[1][0], fields))
        if len(first) == 1 and len(second) == 1 and first != second:
            return Layout("optional", front=fields.index(first.pop()), back=fields.index(second.pop()))
    return None


# --------------------------------------------------------------------------- identity


def guid_to_id(guid: str) -> str:
    """gistquiz's ``id:`` for an Anki GUID (reversible: see :func:`id_to_guid`)."""
    return ID_PREFIX + _UNSAFE.sub(_escape, guid)


_UNSAFE = re.compile(r"[^A-Za-z0-9]+")


def _escape(m: re.Match[str]) -> str:
    return "".join(f"_{b:02x}" for b in m.group(0).encode("utf-8"))


def id_to_guid(note_id: str | None) -> str | None:
    """The Anki GUID an ``anki-...`` id came from, or ``None`` for any other id."""
    if not note_id or not note_id.startswith(ID_PREFIX):
        return None
    body = note_id[len(ID_PREFIX) :]
    if not body or not re.fullmatch(r"(?:[A-Za-z0-9]|_[0-9a-f]{2})+", body):
        return None
    data = bytearray()
    pos = 0
    for m in _ESCAPED.finditer(body):
        data += body[pos : m.start()].encode()
        data.append(int(m.group(1), 16))
        pos = m.end()
    data += body[pos:].encode()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def valid_id(text: str) -> bool:
    return bool(_ID.match(text)) and len(text) <= MAX_ID_LENGTH


# --------------------------------------------------------------------------- templates

_SECTION = re.compile(r"\{\{([#^])\s*([^{}]+?)\s*\}\}")
_FIELD_REF = re.compile(r"\{\{(?![#^/!])\s*([^{}]+?)\s*\}\}")
_FRONT_SIDE = re.compile(r"\{\{\s*FrontSide\s*\}\}(?:\s*<hr[^>]*id=[\"']?answer[\"']?[^>]*>)?", re.IGNORECASE)


@dataclass(frozen=True)
class Rendered:
    question: str
    """HTML of the card's question side."""
    answer: str
    """HTML of its answer side, without the question Anki repeats there (``{{FrontSide}}``)."""
    hints: tuple[str, ...] = ()
    """HTML of the ``{{hint:...}}`` fields the question shows behind a link."""
    typed: str | None = None
    """The field a ``{{type:...}}`` asks for, if any."""


def render_card(nt: NoteType, fields: tuple[str, ...], ordinal: int = 0) -> Rendered:
    """A card's two sides as Anki renders them from the note type's template ``ordinal`` (HTML).

    Handles field references with filters (``{{text:F}}``, ``{{hint:F}}``, ``{{type:F}}``), sections
    (``{{#F}}...{{/F}}`` shown when F is not empty, ``{{^F}}...{{/F}}`` when it is), ``{{FrontSide}}`` and
    comments. Special fields (``{{Tags}}``, ``{{Deck}}``...) are left out: they are not the note's content.
    """
    q, a = nt.templates[min(ordinal, len(nt.templates) - 1)]
    values = dict(zip(nt.fields, fields, strict=False))
    hints: list[str] = []
    typed: list[str] = []
    question = _fill(q, values, hints, typed)
    answer = _fill(_FRONT_SIDE.sub("", a), values, [], [])
    return Rendered(question, answer, tuple(hints), typed[0] if typed else None)


def _fill(template: str, values: dict[str, str], hints: list[str], typed: list[str]) -> str:
    template = re.sub(r"\{\{!.*?\}\}", "", template, flags=re.DOTALL)
    out, pos = [], 0
    while (m := _SECTION.search(template, pos)) is not None:
        out.append(_refs_filled(template[pos : m.start()], values, hints, typed))
        name = m.group(2)
        close = re.search(r"\{\{/\s*" + re.escape(name) + r"\s*\}\}", template[m.end() :])
        if close is None:  # Anki refuses such a template; show what is there
            pos = m.end()
            continue
        inner = template[m.end() : m.end() + close.start()]
        shown = bool(_strip_html(values.get(name, "")).strip())
        if shown == (m.group(1) == "#"):
            out.append(_fill(inner, values, hints, typed))
        pos = m.end() + close.end()
    out.append(_refs_filled(template[pos:], values, hints, typed))
    return "".join(out)


def _refs_filled(text: str, values: dict[str, str], hints: list[str], typed: list[str]) -> str:
    def sub(m: re.Match[str]) -> str:
        *filters, name = [p.strip() for p in m.group(1).split(":")]
        value = values.get(name)
        if value is None:  # a special field, or one the note type lacks
            return ""
        if "type" in filters:
            typed.append(name)
            return ""
        if "hint" in filters:
            if value.strip():
                hints.append(value)
            return ""
        if "cloze" in filters:
            return ""
        return value

    return _FIELD_REF.sub(sub, text)


def _strip_html(text: str) -> str:
    return re.sub(r"<[^>]*>", "", text)


def unshown_fields(nt: NoteType) -> list[str]:
    """Fields that no template of the note type shows (so no card of it shows them)."""
    used: set[str] = set()
    for q, a in nt.templates:
        for m in re.finditer(r"\{\{[#^/]?\s*([^{}]+?)\s*\}\}", q + a):
            used.add(m.group(1).split(":")[-1].strip())
    return [f for f in nt.fields if f not in used]
