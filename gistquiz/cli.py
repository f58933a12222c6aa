"""The ``gistquiz`` command. With no subcommand it opens the app.

Every command, built in or added by a command module, is one subparser whose
``handler`` default runs it: ``main`` parses, calls the handler and turns the
errors a user can cause into one line and an exit code.

Imports stay inside the commands so that ``gistquiz --help`` is instant: no
Textual, NumPy, scikit-learn or nltk on that path (``gistquiz.workspace`` is
light: it imports its parts when first used).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

from gistquiz import __version__
from gistquiz.errors import StoreError, UserError
from gistquiz.workspace import Workspace

if TYPE_CHECKING:
    import argparse

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """Every command, each with the ``handler`` that runs it; with no command, the app's."""
    import argparse

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


def app_parser() -> argparse.ArgumentParser:
    """The parser of a command line that only opens the app: ``--home`` and ``--decks``, nothing else.

    Building every command's parser takes about 9 ms and imports their modules; the app's first frame waits
    for it, and needs none of it."""
    import argparse

    parser = argparse.ArgumentParser(prog="gistquiz", parents=[_common_options()], add_help=False)
    parser.set_defaults(handler=cmd_app)
    return parser


def opens_the_app(argv: Sequence[str]) -> bool:
    """True when ``argv`` names no command and no option but ``--home DIR`` and ``--decks DIR`` (any form)."""
    tokens = iter(argv)
    for token in tokens:
        if token in ("--home", "--decks"):
            if next(tokens, None) is None:
                return False  # let the full parser say what is missing
        elif not token.startswith(("--home=", "--decks=")):
            return False
    return True


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
    given = sys.argv[1:] if argv is None else list(argv)
    if given:
        parser = app_parser() if opens_the_app(given) else build_parser()
        args: argparse.Namespace | SimpleNamespace = parser.parse_args(given)
    else:  # a bare ``gistquiz`` opens the app: no parser (argparse's import and a parser, 2 ms of the first frame)
        args = SimpleNamespace(handler=cmd_app)
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
    import argparse

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
    """The commands this module runs: the app, decks, check, review, stats, rebuild, repair, backup, demo and
    new-demo."""
    import argparse

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
        "'gistquiz demo list' lists the demos, bundled and yours; 'gistquiz demo run NAME [--seed N] "
        "[--PARAM VALUE ...] [--json]' (or 'gistquiz demo NAME ...') runs one, exactly like 'python demos/NAME.py'. "
        "One of your own demos is asked about once (y/N) before it first runs, and again after an edit made "
        "elsewhere.",
    )
    p.add_argument("name", help="'list', 'run' or a demo's name")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the demo (see 'gistquiz demo NAME --help')")
    p = command(
        "new-demo",
        cmd_new_demo,
        "start a demo of your own from a commented template",
        "Write a small working demo (PARAMS, run, a report with a headline, a table and a plot), commented, "
        "into your demos folder beside your decks. NAME must be a Python name and not a bundled demo's. It is "
        "trusted as written; an edit made elsewhere is asked about once before it runs.",
    )
    p.add_argument("name", metavar="NAME", help="the demo's name, e.g. attention_scores")


def cmd_app(args: argparse.Namespace) -> int:
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        print("gistquiz: the app needs a terminal; try 'gistquiz review --plain' or 'gistquiz --help'", file=sys.stderr)
        return EXIT_USAGE
    import gc

    # Until the first frame, the start creates long-lived objects only (modules, classes, the first screen's
    # widgets): the collector's passes over them while Textual and gistquiz import, 85 of them, took 11 ms of
    # CPU (new processes, median of 15). The home screen turns it back on once it has painted.
    gc.disable()
    from gistquiz import first_frame

    ws = Workspace.from_args(args)
    # Before Textual's imports: a helper process looks at the decks on another core meanwhile, so that the
    # first frame has the deck table (without it the table came 38-44 ms after the first frame, a 60 Hz
    # frame after Textual's first repaint; see benchmarks/bench_app.py --first-screen).
    lookahead = first_frame.start(ws)
    try:
        from gistquiz.ui.app import GistQuizApp

        GistQuizApp(ws, lookahead=lookahead).run()
    finally:
        gc.enable()
        if lookahead is not None:
            lookahead.discard()
    ws.close()
    return EXIT_OK


def cmd_decks(args: argparse.Namespace) -> int:
    from gistquiz import library, locations
    from gistquiz.overview import deck_counts
    from gistquiz.scheduler import utcnow

    ws = Workspace.from_args(args)
    ws.sync()
    rows = deck_counts(ws.library.decks, ws.store, ws.scheduler, utcnow())
    folders = f"your decks: {locations.user_decks_dir(ws.home)}; your demos: {ws.user_demos_folder}"
    if not rows:
        print("no decks found")
        print(folders)
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
    print(folders)
    for err in ws.library.errors:
        print(err, file=sys.stderr)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from gistquiz import library, registry

    ws = Workspace.from_args(args)
    names = registry.demo_names(ws.demo_folders)  # a card may link one of the learner's own demos
    lib = library.load_paths([Path(p) for p in args.paths], known_demos=names) if args.paths else ws.library
    demo_problems = registry.problems(ws.demo_folders)
    for err in [*lib.errors, *demo_problems]:
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
    n_errors = len(lib.errors) + len(demo_problems)
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
        import json  # here, not at the top: the app's first frame would wait on it (1.3 ms)

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

    from gistquiz.registry import all_demos, demo_info, find

    ws = Workspace.from_args(args)
    found = find(ws.demo_folders)
    for problem in found.problems:
        print(f"gistquiz: {problem}", file=sys.stderr)
    if args.name == "list":
        demos = all_demos(ws.demo_folders)
        width = max((len(d.name) for d in demos), default=4)
        for d in demos:
            print(f"{d.name:<{width}}  {'bundled' if d.source == 'bundled' else 'yours':<7}  {d.claim}")
        n = sum(d.source == "user" for d in demos)
        hint = "'gistquiz new-demo NAME' starts one"
        print(f"your demos: {ws.user_demos_folder} ({n} demo{'s' * (n != 1)}; {hint})")
        return EXIT_OK
    name, rest = args.name, list(args.args)
    if name == "run":
        if not rest:
            raise UserError("'gistquiz demo run' needs a demo's name; 'gistquiz demo list' shows them")
        name, rest = rest[0], rest[1:]
    info = demo_info(name, ws.demo_folders)
    if info is None:
        import difflib

        names = [d.name for d in all_demos(ws.demo_folders)]
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise UserError(f"unknown demo '{name}'{hint}; 'gistquiz demo list' shows them all")
    if not _may_run_demo(ws, info):  # even --help runs the file's code
        return EXIT_PROBLEMS
    return subprocess.call([sys.executable, str(info.path), *rest])


def _may_run_demo(ws: Workspace, info) -> bool:
    """A bundled demo runs; a user demo runs once trusted as it is now, else after a yes on a terminal."""
    if info.source == "bundled":
        return True
    from gistquiz import trust
    from gistquiz.scheduler import utcnow

    code = trust.demo_code(info.path)
    if trust.is_trusted(ws.store, code):
        return True
    print(trust.question(code), file=sys.stderr)
    if sys.stdin is None or not sys.stdin.isatty():
        print(
            f"gistquiz: not run: stdin is not a terminal to answer on. To allow {info.path} as it is now, run "
            f"'gistquiz demo run {info.name}' in a terminal and answer y (or run it from the app).",
            file=sys.stderr,
        )
        return False
    try:
        answer = input("Run it? [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        print("gistquiz: not run.", file=sys.stderr)
        return False
    trust.allow(ws.store, code, utcnow())
    return True


def cmd_new_demo(args: argparse.Namespace) -> int:
    from gistquiz import demo_template, registry, trust
    from gistquiz.scheduler import utcnow

    ws = Workspace.from_args(args)
    name = args.name
    if problem := demo_template.name_problem(name, set(registry.modules(ws.demos_folder))):
        raise UserError(problem)
    folder = ws.user_demos_folder
    path = folder / f"{name}.py"
    if path.exists():
        raise UserError(f"{path} already exists; choose another name (new-demo never overwrites)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as f:  # "x": a file that appeared meanwhile is not replaced
            f.write(demo_template.render(name))
    except FileExistsError:
        raise UserError(f"{path} already exists; choose another name (new-demo never overwrites)") from None
    except OSError as err:
        raise UserError(f"{path}: cannot write: {err.strerror or err}") from None
    trust.mark_written(ws.store, path, "demo", utcnow())
    print(f"wrote {path}")
    print(
        f"Run it with 'gistquiz demo run {name}' (or 'python {path}' with the Python gistquiz is installed in), "
        f"link it from a card with 'demo: {name}', and edit it: its comments explain the API."
    )
    return EXIT_OK
