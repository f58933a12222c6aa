"""The ``gistquiz`` command. With no subcommand it opens the app.

Every command, built in or added by a command module, is one subparser whose
``handler`` default runs it: ``main`` parses, calls the handler and turns the
errors a user can cause into one line and an exit code.

Imports stay inside the commands so that ``gistquiz --help`` is instant: no
Textual, NumPy, scikit-learn or nltk on that path (``gistquiz.workspace`` is
light: it imports its parts when first used).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from gistquiz import __version__
from gistquiz.errors import StoreError, UserError
from gistquiz.workspace import Workspace

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """Every command, each with the ``handler`` that runs it; with no command, the app's."""
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="gistquiz",
        description="Spaced-repetition flashcards and quizzes from your notes, with demos that prove each card.",
        epilog="Run 'gistquiz COMMAND --help' for a command's options. With no command, the app opens.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"gistquiz {__version__}")
    parser.set_defaults(handler=cmd_app)  # a subcommand's own default replaces it
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_parsers(sub, common)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parsers(sub, common)
    return parser


# Commands that live beside the code they drive. Each module has ``add_parsers(sub, common)``, as this
# one does, which adds its subcommands with ``set_defaults(handler=...)``; it must import nothing heavy
# at module level, and it reaches the user's data through ``Workspace.from_args``, never through this module.
COMMAND_MODULES: tuple[str, ...] = (
    "gistquiz.interop.commands",
    "gistquiz.notes_import.commands",
    "gistquiz.schedule_commands",
    "gistquiz.serve.commands",
)


def main(argv: Sequence[str] | None = None) -> int:
    """The command, with its output safe for any encoding, a closed pipe or stream (see textout)."""
    from gistquiz import textout

    return textout.run(_main, argv)


def _main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except UserError as err:
        print(f"gistquiz: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except StoreError as err:
        print(f"gistquiz: {err}", file=sys.stderr)
        return EXIT_PROBLEMS


def _common_options() -> argparse.ArgumentParser:
    """``--home`` and ``--decks``, accepted before and after the command (a subcommand's copy wins)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--home",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="data folder (review database, settings, your decks); default: $GISTQUIZ_HOME or the user data folder",
    )
    common.add_argument(
        "--decks",
        metavar="DIR",
        action="append",
        default=argparse.SUPPRESS,
        help="also load the *.md decks in DIR (repeatable)",
    )
    return common


def add_parsers(sub, common: argparse.ArgumentParser) -> None:
    """The commands this module runs: the app, decks, check, review, stats, rebuild, repair, backup and demo."""

    def command(name: str, handler: Callable[[argparse.Namespace], int], help: str, description: str):
        p = sub.add_parser(name, parents=[common], help=help, description=description)
        p.set_defaults(handler=handler)
        return p

    def add_deck_name(p: argparse.ArgumentParser) -> None:
        p.add_argument("deck", nargs="?", help="deck name (default: all decks)")

    command("app", cmd_app, "open the app (the default)", "Open the terminal app.")
    command(
        "decks",
        cmd_decks,
        "list decks with their counts and problems",
        "List every deck with its new, due and total counts, where it was found, and any problems.",
    )
    p = command(
        "check",
        cmd_check,
        "check deck files for problems",
        "Check deck files (default: all decks) and print 'path:line: message' for each problem. "
        "Exit code 0 when clean, 1 when there are problems, 2 for bad usage.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="deck files or folders")
    p = command(
        "review",
        cmd_review,
        "review due cards",
        "Review the cards due today. --plain gives a line-based review for plain terminals, "
        "ssh and screen readers, which also reads answers from a pipe.",
    )
    add_deck_name(p)
    p.add_argument("--plain", action="store_true", help="line-based review instead of the app")
    p = command(
        "stats",
        cmd_stats,
        "show review statistics",
        "Counts by state, reviews per day, true retention, the due forecast and leeches.",
    )
    add_deck_name(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--days", type=int, default=14, help="days of due forecast (default: 14)")
    p = command(
        "rebuild",
        cmd_rebuild,
        "recompute card states from the review log",
        "Replay the review log through the scheduler (after changing settings or upgrading).",
    )
    p.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    command(
        "repair",
        cmd_repair,
        "check the review database and repair it from the log and the backups",
        "Check the review database. Intact: back it up and rebuild every card's state from the review log. "
        "Damaged: restore the newest good backup, add every answer still readable in the damaged file, rebuild "
        "the card states, and list what was recovered and what was lost. The damaged file is kept in backups/.",
    )
    command(
        "backup",
        cmd_backup,
        "back up the review database now and list the backups",
        "Check the review database, copy it into backups/ beside it (SQLite's online backup API), and list "
        "the backups kept. One is also taken each day and before rebuild, import --with-history, repair and "
        "a schema upgrade.",
    )
    p = command(
        "demo",
        cmd_demo,
        "list or run the demos",
        "'gistquiz demo list' lists the demos; 'gistquiz demo NAME [--seed N] [--PARAM VALUE ...] "
        "[--json]' runs one, exactly like 'python demos/NAME.py'.",
    )
    p.add_argument("name", help="'list' or a demo's name")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the demo (see 'gistquiz demo NAME --help')")


def cmd_app(args: argparse.Namespace) -> int:
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        print("gistquiz: the app needs a terminal; try 'gistquiz review --plain' or 'gistquiz --help'", file=sys.stderr)
        return EXIT_USAGE
    from gistquiz.ui.app import GistQuizApp

    ws = Workspace.from_args(args)
    GistQuizApp(ws).run()
    ws.close()
    return EXIT_OK


def cmd_decks(args: argparse.Namespace) -> int:
    from gistquiz import library
    from gistquiz.overview import deck_counts
    from gistquiz.scheduler import utcnow

    ws = Workspace.from_args(args)
    ws.sync()
    rows = deck_counts(ws.library.decks, ws.store, ws.scheduler, utcnow())
    if not rows:
        print("no decks found")
        return EXIT_OK
    width = max(len(r.deck.title) for r in rows)
    print(f"{'deck':<{width}}  {'new':>5}  {'due':>5}  {'total':>6}  source")
    for r in rows:
        n = len(r.deck.errors)
        mark = f"  ({n} problem{'s' * (n != 1)})" if n else ""
        due = r.learning + r.due
        print(f"{r.deck.title:<{width}}  {r.new:>5}  {due:>5}  {r.total:>6}  {r.deck.source}: {r.deck.path}{mark}")
    for replacement in library.replacements(ws.library):
        print(replacement)
    for err in ws.library.errors:
        print(err, file=sys.stderr)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from gistquiz import library

    ws = Workspace.from_args(args)
    lib = library.load_paths([Path(p) for p in args.paths]) if args.paths else ws.library
    for err in lib.errors:
        print(err)
    relinks = []
    if lib.decks:
        relinks = ws.sync(decks=lib.decks)
        reported = {(r.old_key, r.new_key) for r in relinks}
        paths = {d.key: d.path for d in lib.decks}
        for old, new, deck, sim in ws.store.unreported_links():
            if (old, new) not in reported and deck in paths:
                print(f"{paths[deck]}: kept the history of an edited card ({old} -> {new}, similarity {sim:.2f})")
    for r in relinks:
        print(r)
    leeches = _leeches(lib.decks, ws.store) if lib.decks else []
    for line in leeches:
        print(line)
    if not lib.decks:  # say why the status is 1, rather than "0 problems"
        print("no decks found; 'gistquiz new-deck NAME' writes one")
        return EXIT_PROBLEMS
    n_cards = sum(len(d.cards) for d in lib.decks)
    n_errors = len(lib.errors)
    summary = f"{len(lib.decks)} deck{'s' * (len(lib.decks) != 1)}, {n_cards} cards"
    leech_note = f", {len(leeches)} leech{'es' * (len(leeches) != 1)}" if leeches else ""
    print(f"{summary}, {n_errors} problem{'s' * (n_errors != 1)}{leech_note}")
    return EXIT_PROBLEMS if n_errors or not lib.decks else EXIT_OK


def _leeches(decks, store) -> list[str]:
    """``path:line: leech ...`` for every suspended leech of these decks (not a problem of the file)."""
    states = store.states()
    out = []
    for deck in decks:
        for card in deck.cards:
            s = states.get(card.key)
            if s is not None and s.leech:
                first = card.front.splitlines()[0][:60]
                out.append(f"{deck.path}:{card.line}: leech, {s.lapses} lapses, suspended: {first}")
    return out


def _cards_for(ws, deck_name: str | None):
    lib = ws.library
    if deck_name is None:
        return [c for d in lib.decks for c in d.cards], "all decks"
    deck = lib.find_deck(deck_name)
    if deck is None:
        names = ", ".join(d.key for d in lib.decks) or "none"
        raise UserError(f"no deck named '{deck_name}' (decks: {names})")
    return deck.cards, deck.title


def cmd_review(args: argparse.Namespace) -> int:
    if not args.plain:
        if sys.stdout.isatty() and sys.stdin.isatty():
            return cmd_app(args)
        raise UserError("not a terminal: use 'gistquiz review --plain'")
    from gistquiz.plain_review import run_plain

    ws = Workspace.from_args(args)
    cards, title = _cards_for(ws, args.deck)
    if n := len(ws.library.errors):
        print(f"gistquiz: {n} problem{'s' * (n != 1)} in the deck files; 'gistquiz check' lists them", file=sys.stderr)
    ws.sync()
    return run_plain(ws, cards, title, sys.stdin, sys.stdout)


def cmd_stats(args: argparse.Namespace) -> int:
    from gistquiz import fsrs_params, stats
    from gistquiz.scheduler import utcnow

    ws = Workspace.from_args(args)
    ws.sync()
    cards, title = _cards_for(ws, args.deck)
    if args.days < 1 or args.days > 3650:
        raise UserError("--days must be between 1 and 3650")
    st = stats.compute(cards, ws.store, ws.scheduler, utcnow(), forecast_days=args.days)
    if args.json:
        print(json.dumps({"deck": title, **st.to_dict()}, indent=2))
        return EXIT_OK
    print(f"{title}: {st.total} cards")
    print("  " + "  ".join(f"{k} {v}" for k, v in st.by_state.items()))
    print(f"  due today: {st.due_today}   reviews: {st.reviews_total}")
    tr = st.true_retention
    pr = st.predicted_retention
    print(
        f"  true retention: {'-' if tr is None else f'{tr:.1%}'} (desired {st.desired_retention:.0%});"
        f" predicted recall today: {'-' if pr is None else f'{pr:.1%}'}"
    )
    print(f"  FSRS parameters: {fsrs_params.describe(st.parameters)}")
    for month, (passed, total) in st.retention_by_month.items():
        print(f"    {month}: {passed}/{total} = {passed / total:.1%}")
    days = list(st.reviews_per_day.items())[-14:]
    if days:
        print("  reviews per day (last 14 study days with reviews):")
        for day, n in days:
            print(f"    {day}  {n:>4}  {'#' * min(n, 60)}")
    print(f"  due in the next {len(st.forecast)} days: " + " ".join(str(n) for n in st.forecast))
    if st.leeches:
        print(f"  leeches ({len(st.leeches)}, suspended):")
        for lx in st.leeches:
            print(f"    {lx.deck}:{lx.line}  {lx.lapses} lapses  {lx.front[:60]}")
    return EXIT_OK


def cmd_rebuild(args: argparse.Namespace) -> int:
    from gistquiz.rebuild import rebuild

    ws = Workspace.from_args(args)
    result = rebuild(ws.store, ws.scheduler, dry_run=args.dry_run, backup_first=True)
    verb = "would change" if args.dry_run else "changed"
    print(f"replayed {result.reviews} reviews of {result.cards} cards; {verb} {len(result.changed)}")
    return EXIT_OK


def cmd_repair(args: argparse.Namespace) -> int:
    from gistquiz import locations
    from gistquiz.repair import repair

    ws = Workspace.from_args(args)
    report = repair(locations.database_path(ws.home), ws.scheduler)
    for line in report.lines():
        print(line)
    return EXIT_OK if report.integrity == "ok" else EXIT_PROBLEMS


def cmd_backup(args: argparse.Namespace) -> int:
    from gistquiz import backup

    ws = Workspace.from_args(args)
    made = backup.before(ws.store, "manual")
    print(f"backed up to {made}")
    for b in backup.backups(made.parent):
        print(f"  {b.path.name}  {b.path.stat().st_size:>10} bytes")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    import subprocess

    from gistquiz.registry import all_demos, demo_info

    if args.name == "list":
        demos = all_demos()
        width = max((len(d.name) for d in demos), default=4)
        for d in demos:
            print(f"{d.name:<{width}}  {d.claim}")
        return EXIT_OK
    info = demo_info(args.name)
    if info is None:
        import difflib

        names = [d.name for d in all_demos()]
        close = difflib.get_close_matches(args.name, names, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise UserError(f"unknown demo '{args.name}'{hint}; 'gistquiz demo list' shows them all")
    return subprocess.call([sys.executable, str(info.path), *args.args])
