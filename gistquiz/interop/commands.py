"""The ``gistquiz import`` and ``gistquiz export`` commands (Anki interoperability)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from gistquiz.errors import UserError
from gistquiz.workspace import Workspace

EXIT_OK = 0
TEXT_SUFFIXES = (".txt", ".tsv", ".csv")


def add_parsers(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "import",
        parents=[common],
        help="turn an Anki package or text export into deck files",
        description="Import an Anki deck package (.apkg), collection package (.colpkg) or plain-text export "
        "(.txt/.tsv/.csv) as gistquiz deck files: one file per Anki deck ('Parent::Child' becomes "
        "parent--child.md), written to your decks folder unless -o says otherwise. Cards keep their Anki "
        "identity (id: anki-...), so importing again with --force updates the decks without losing history.",
    )
    p.add_argument("file", metavar="FILE", help="the .apkg, .colpkg or text export")
    p.add_argument("-o", "--output", metavar="PATH", help="the deck file (.md) to write, or a folder for several decks")
    p.add_argument(
        "--with-history",
        action="store_true",
        help="also import the package's review history, so the cards' FSRS state continues",
    )
    p.add_argument("--force", action="store_true", help="replace deck files that already exist")
    p.add_argument(
        "--max-media",
        type=int,
        metavar="MIB",
        # The defaults are zipsafe.MEDIA_LIMIT_MIB and MEDIA_FILE_LIMIT_MIB (not imported: it would slow every start).
        help="allow this much media in total and per file (default: 1024 MiB in total, 100 MiB per file)",
    )
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser(
        "export",
        parents=[common],
        help="write decks as an Anki package or text file, or the review log as CSV",
        description="Export decks for Anki: 'gistquiz export DECK -o FILE.apkg' (a deck package) or "
        "'--format tsv' (Anki's plain-text format, to standard output without -o). Exporting again updates "
        "the same notes in Anki. '--history FILE.csv' writes the review log for FSRS tools.",
    )
    p.add_argument(
        "deck_names", nargs="*", metavar="DECK", help="deck names or files (default with --history: all decks)"
    )
    p.add_argument("-o", "--output", metavar="FILE", help="where to write (default: DECK.apkg; tsv: standard output)")
    p.add_argument("--format", choices=("apkg", "tsv"), help="default: from the -o suffix, else apkg")
    p.add_argument("--history", metavar="CSV", help="write the review log (of DECKs, or all) to this CSV file")
    p.add_argument("--force", action="store_true", help="replace output files that already exist")
    p.set_defaults(handler=cmd_export)


def cmd_import(args: argparse.Namespace) -> int:
    from gistquiz.interop.importer import import_file, summary
    from gistquiz.locations import user_decks_dir

    source = Path(args.file).expanduser()
    if not source.is_file():
        raise UserError(f"{args.file}: no such file")
    if args.max_media is not None and args.max_media < 1:
        raise UserError("--max-media takes a size in MiB, at least 1")
    ws = Workspace.from_args(args)
    result = import_file(
        source,
        user_decks_dir(ws.home),
        store=(lambda: ws.store) if args.with_history else None,  # opened only once the package has been read
        scheduler=ws.scheduler if args.with_history else None,
        output=Path(args.output).expanduser() if args.output else None,
        with_history=args.with_history,
        force=args.force,
        media_limit_mib=args.max_media,
    )
    for line in summary(result):
        print(line)
    for line in _exercise_notes(d.path for d in result.plan.decks):
        print(line)
    ws.close()
    return EXIT_OK


def _exercise_notes(paths) -> list[str]:
    """A line per imported deck that holds exercise cards: their tests are code that runs as the learner."""
    from gistquiz.deck import Kind, read_deck

    lines = []
    for path in paths:
        n = sum(c.kind is Kind.EXERCISE for c in read_deck(Path(path)).cards)
        if n:
            lines.append(
                f"note: {path} has {n} exercise card{'s' * (n != 1)}: their tests are Python that runs as you; "
                "gistquiz asks before it first runs them"
            )
    return lines


def cmd_export(args: argparse.Namespace) -> int:

    if not args.deck_names and not args.history:
        raise UserError("name a deck to export (see 'gistquiz decks'), or give --history FILE.csv")
    ws = Workspace.from_args(args)
    decks = [_find_deck(ws, name) for name in args.deck_names]
    for deck in decks:
        if deck.errors:
            n = len(deck.errors)
            print(
                f"gistquiz: {n} problem{'s' * (n != 1)} in {deck.path}; its other cards are exported "
                "('gistquiz check' lists them)",
                file=sys.stderr,
            )
    if decks:
        ws.sync(decks=decks)  # re-link edited cards' histories first: their GUIDs follow them
        _export_decks(args, decks, ws.store)
    if args.history:
        from gistquiz.interop.history import write_csv

        keys = {d.key for d in decks}
        entries = [e for e in ws.store.reviews() if not keys or e.deck in keys]
        target = Path(args.history).expanduser()
        n = _atomic_text(target, args.force, lambda out: write_csv(entries, out, ws.store.links()))
        print(f"wrote {target}: {n} answer{'s' * (n != 1)}")
    ws.close()
    return EXIT_OK


def _export_decks(args: argparse.Namespace, decks, store) -> None:
    from gistquiz.interop import anki_export

    output = Path(args.output).expanduser() if args.output else None
    fmt = args.format or ("tsv" if output is not None and output.suffix.lower() in TEXT_SUFFIXES else "apkg")
    if fmt == "tsv":
        if output is None:
            try:
                anki_export.write_tsv(decks, sys.stdout, store)
                sys.stdout.flush()
            except BrokenPipeError:  # `gistquiz export DECK --format tsv | head`
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        n = _atomic_text(output, args.force, lambda out: anki_export.write_tsv(decks, out, store))
        print(f"wrote {output}: {n} notes in Anki's plain-text format")
        return
    if output is None:
        output = Path(f"{decks[0].key if len(decks) == 1 else 'gistquiz'}.apkg")
    _refuse_overwrite(output, args.force)
    notices: list[str] = []
    n = anki_export.write_apkg(decks, output, store, notices)
    print(f"wrote {output}: {n} notes from {len(decks)} deck{'s' * (len(decks) != 1)}")
    for line in notices:
        print(line, file=sys.stderr)


def _find_deck(ws, name: str):
    deck = ws.library.find_deck(name)
    if deck is not None:
        return deck
    path = Path(name).expanduser()
    if path.is_file():
        from gistquiz.deck import read_deck

        return read_deck(path, source=str(path.parent))
    names = ", ".join(d.key for d in ws.library.decks) or "none"
    raise UserError(f"no deck named '{name}' (decks: {names})")


def _refuse_overwrite(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise UserError(f"{path} exists: use --force to replace it")
    if not path.parent.is_dir():
        raise UserError(f"{path.parent}: no such folder")


def _atomic_text(path: Path, force: bool, write) -> int:
    _refuse_overwrite(path, force)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            n = write(out)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return n
