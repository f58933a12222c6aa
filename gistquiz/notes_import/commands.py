"""``gistquiz import-notes`` (your notes file -> a deck to edit) and ``gistquiz new-deck`` (a template deck)."""

from __future__ import annotations

import argparse
from pathlib import Path

from gistquiz.errors import UserError
from gistquiz.notes_import import MAX_NOTES_BYTES
from gistquiz.workspace import Workspace

EXIT_OK = 0


def add_parsers(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "import-notes",
        parents=[common],
        help="turn your own notes file into a deck to edit",
        description="Read a plain-text or Markdown notes file and write a deck of cards made from its own words "
        "(headings, bullet lists, 'X : Y', 'X is Y', 'why X? Y', 'If A, B'). It is an offline heuristic that "
        "reads the notes' shape, not their meaning: each card's comment names the notes' lines it came from, so "
        "check each card, reword or delete it, then run 'gistquiz check'. "
        f"Notes files up to {MAX_NOTES_BYTES // 2**20} MiB, UTF-8, any line ending.",
    )
    p.add_argument("notes", metavar="NOTES", help="the notes file (.txt or .md)")
    p.add_argument("-o", "--output", metavar="DECK.md", required=True, help="the deck file to write")
    p.add_argument("--title", help="the deck's title (default: the notes' first heading, or the file name)")
    p.add_argument("--force", action="store_true", help="overwrite DECK.md if it exists")
    p.set_defaults(handler=cmd_import_notes)

    p = sub.add_parser(
        "new-deck",
        parents=[common],
        help="start a deck of your own from a commented template",
        description="Write a template deck, with an example of each kind of card and comments on the format, "
        "into your decks folder (where gistquiz loads your decks from). NAME is its title; the file is named "
        "after it.",
    )
    p.add_argument("name", metavar="NAME", help="the deck's title, e.g. 'Linear algebra'")
    p.add_argument("--force", action="store_true", help="replace the deck if it exists")
    p.set_defaults(handler=cmd_new_deck)


def cmd_import_notes(args: argparse.Namespace) -> int:
    from gistquiz.notes_import.importer import convert
    from gistquiz.notes_import.lines import NotesError, too_large

    src, out = Path(args.notes), Path(args.output)
    data = _read_notes(src, MAX_NOTES_BYTES, too_large)
    if not data.strip():
        raise UserError(f"{src}: the notes file is empty; nothing written")
    _check_output(src, out, args.force)
    try:
        result = convert(data, str(src), title=args.title)
    except NotesError as err:
        raise UserError(str(err)) from None
    if not result.notes:
        raise UserError(
            f"{src}: found nothing to make cards from in its {result.n_lines} line{'s' * (result.n_lines != 1)} "
            "(no headings with bullets, 'X : Y', 'X is Y' or 'why ...?' lines); nothing written"
        )
    try:
        out.write_bytes(result.text.encode("utf-8"))
    except OSError as err:
        raise UserError(f"{out}: cannot write: {err.strerror or err}") from None

    kinds = ", ".join(f"{n} {kind}" for kind, n in result.kinds.most_common())
    print(f"wrote {out}: {result.n_cards} cards ({kinds}) from {len(result.notes)} notes in {src.name}")
    print(
        "These cards were made offline by a heuristic from the notes' own words, not by understanding them: "
        "check each one against the lines named in its comment, then reword or delete it."
    )
    if result.unused:
        some = ", ".join(map(str, result.unused[:12])) + (", ..." if len(result.unused) > 12 else "")
        print(f"{len(result.unused)} line{'s' * (len(result.unused) != 1)} made no card: {some}")
    if result.to_self:
        some = ", ".join(map(str, result.to_self[:12])) + (", ..." if len(result.to_self) > 12 else "")
        n = len(result.to_self)
        print(f"skipped {n} TODO / FIXME / question-to-self line{'s' * (n != 1)}: {some}")
    decks = _decks_dir(args)
    where = (
        "it is in your decks folder, so gistquiz loads it"
        if out.resolve().parent == decks.resolve()
        else f"then put it in your decks folder: {decks}"
    )
    print(f"Next: edit {out} and run 'gistquiz check {out}'; {where}.")
    return EXIT_OK


def cmd_new_deck(args: argparse.Namespace) -> int:
    from gistquiz.locations import bundled_decks_dir, user_decks_dir
    from gistquiz.notes_import import template

    stem = template.file_stem(args.name)
    if not stem:
        raise UserError(f"'{args.name}' has no letters or digits to name the deck file after")
    if (bundled_decks_dir() / f"{stem}.md").exists():
        raise UserError(f"'{stem}' is the name of a bundled deck; choose another name")
    ws = Workspace.from_args(args)
    folder = user_decks_dir(ws.home)
    path = folder / f"{stem}.md"
    if path.exists() and not args.force:
        raise UserError(f"{path} already exists; use --force to replace it")
    title = args.name.strip()
    if title.lower().endswith(".md"):
        title = title[:-3]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(template.render(title).encode("utf-8"))
    except OSError as err:
        raise UserError(f"{path}: cannot write: {err.strerror or err}") from None
    from gistquiz import trust
    from gistquiz.scheduler import utcnow

    try:  # gistquiz wrote it: exercises added to it in gistquiz's editor run without asking
        trust.mark_written(ws.store, path, "deck", utcnow())
    finally:
        ws.close()
    print(f"wrote {path}")
    print(f"Edit it in any text editor (its comments explain the format), then run 'gistquiz check {path}'.")
    return EXIT_OK


def _read_notes(src: Path, limit: int, too_large) -> bytes:
    try:
        if src.is_dir():
            raise UserError(f"{src}: is a folder, not a notes file")
        size = src.stat().st_size
        if size > limit:
            raise UserError(too_large(str(src), size))
        with src.open("rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise UserError(f"{src}: no such file") from None
    except OSError as err:
        raise UserError(f"{src}: cannot read: {err.strerror or err}") from None
    if len(data) > limit:
        raise UserError(too_large(str(src), len(data)))
    return data


def _check_output(src: Path, out: Path, force: bool) -> None:
    if out.suffix.lower() != ".md":
        raise UserError(f"{out}: a deck file's name must end in .md")
    from gistquiz.locations import bundled_decks_dir

    if (bundled_decks_dir() / out.name.lower()).exists():
        raise UserError(f"{out}: '{out.stem}' is the name of a bundled deck; name the file differently")
    if out.exists():
        if out.is_dir():
            raise UserError(f"{out}: is a folder; give the deck file's name")
        if src.exists() and out.resolve() == src.resolve():
            raise UserError(f"{out}: is the notes file itself; write the deck to another file")
        if not force:
            raise UserError(f"{out} already exists; use --force to overwrite it")
    elif not out.parent.is_dir():
        raise UserError(f"{out.parent}: no such folder")


def _decks_dir(args: argparse.Namespace) -> Path:
    from gistquiz.locations import user_decks_dir

    return user_decks_dir(Workspace.from_args(args).home)
