"""``gistquiz optimize`` and ``gistquiz simulate``: the learner's own FSRS parameters, and what a retention costs.

The work is in :mod:`gistquiz.optimize` and :mod:`gistquiz.simulate`; this module parses, prints and asks.
Nothing heavy is imported until a command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from gistquiz.errors import UserError
from gistquiz.workspace import Workspace

EXIT_OK, EXIT_PROBLEMS = 0, 1
MODES = ("future", "reschedule")


def add_parsers(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "optimize",
        parents=[common],
        help="fit FSRS to your review history",
        description="Fit FSRS's parameters to your own reviews: fit on the earlier 75%%, compare with the "
        "parameters in use on the latest 25%% (log loss, RMSE over bins), and keep the fit only if it "
        "predicts them better, refitted on all of the history. Named decks are fitted on their own; "
        "a deck without enough reviews uses the parameters for all decks.",
    )
    p.add_argument("decks_named", nargs="*", metavar="DECK", help="fit these decks on their own (default: all)")
    p.add_argument("--dry-run", action="store_true", help="show the fit and what would change; change nothing")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--apply",
        choices=MODES,
        help="apply without asking: 'future' keeps due dates (memory states recomputed), 'reschedule' "
        "recomputes due dates too (default when asked: future)",
    )
    p.set_defaults(handler=cmd_optimize)

    p = sub.add_parser(
        "simulate",
        parents=[common],
        help="what each desired retention costs in daily work",
        description="Simulate your decks with your parameters and daily limits for each desired retention: "
        "reviews and minutes per day, and cards remembered at the end. Seeded: the same inputs give the same "
        "table.",
    )
    p.add_argument("--retention", type=float, nargs="+", metavar="R", help="desired retentions to simulate")
    p.add_argument("--days", type=int, default=365, help="days to simulate (default 365)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--apply", type=float, metavar="R", help="set desired_retention to R in settings.toml")
    p.set_defaults(handler=cmd_simulate)


def _deck_keys(ws: Workspace, names: list[str], logged: set[str]) -> list[str]:
    keys = []
    for name in names:
        if name in logged:
            keys.append(name)
            continue
        deck = ws.library.find_deck(name)
        if deck is None:
            known = ", ".join(sorted(logged)) or "none"
            raise UserError(f"no deck named '{name}' (decks with reviews: {known})")
        keys.append(deck.key)
    return keys


def cmd_optimize(args: argparse.Namespace) -> int:
    from gistquiz import fsrs_items, optimize
    from gistquiz.scheduler import utcnow

    ws = Workspace.from_args(args)
    scheduler, store, settings = ws.scheduler, ws.store, ws.settings
    for line in ws.parameter_problems:
        print(f"gistquiz: {line}", file=sys.stderr)
    now = utcnow()
    items = fsrs_items.items_from_store(store, settings.day_starts_at)
    named = _deck_keys(ws, args.decks_named, {it.deck for it in items}) if args.decks_named else []
    fits, refused = optimize.fit_scopes(items, scheduler, named, len(settings.relearning_steps))
    for line in refused:
        print(f"gistquiz: {line}", file=sys.stderr)
    if not fits:
        if args.json:
            print(json.dumps({"fits": [], "refused": refused, "applied": None}, indent=2))
        return EXIT_PROBLEMS
    plan = optimize.plan(store, scheduler, fits, now)
    report: dict[str, Any] = {
        "fits": [f.to_dict() for f in fits],
        "refused": refused,
        "due_today": plan.due_today,
        "library": optimize.library_version(),
    }
    if not args.json:
        for f in fits:
            _print_fit(f)
    mode = None
    if plan.events and not args.json:
        d = plan.due_today
        print(
            f"cards due today: {d['before']} now; {d['future']} after applying to future reviews only, "
            f"{d['reschedule']} if rescheduled"
        )
    if plan.events and not args.dry_run:
        mode = args.apply or _ask(args.json)
        if mode:
            optimize.apply(store, plan, mode)
    report["applied"] = mode
    if args.json:
        print(json.dumps(report, indent=2))
    elif args.dry_run:
        print("dry run: nothing changed")
    elif mode:
        kept = "due dates kept" if mode == "future" else "due dates recomputed"
        print(f"applied ({kept}); 'gistquiz stats' shows the parameters in use")
    elif plan.events:
        print("not applied")
    return EXIT_OK


def _ask(quiet: bool, read: Callable[[str], str] = input) -> str | None:
    """The mode the user picks; None when not at a terminal (say --apply) or when they decline."""
    if not sys.stdin.isatty():
        if not quiet:
            print("not at a terminal: run again with --apply future (or --apply reschedule) to apply")
        return None
    try:
        answer = read("apply? [F]uture reviews only / [r]eschedule due dates too / [n]o: ").strip().lower()
    except EOFError:  # Ctrl+D: the same as no
        return None
    return {"": "future", "f": "future", "r": "reschedule"}.get(answer[:1])


def _print_fit(f) -> None:
    scope = f"deck '{f.deck}'" if f.deck else "all decks"
    print(f"{scope}: {f.items} reviews of {f.cards} cards ({f.fitted_on} fitted on, the latest {f.held_out} held out)")
    print(f"  held-out log loss    {f.baseline_name} {f.baseline.log_loss:.4f}   fitted {f.fitted.log_loss:.4f}")
    print(f"  held-out RMSE(bins)  {f.baseline_name} {f.baseline.rmse_bins:.4f}   fitted {f.fitted.rmse_bins:.4f}")
    print("  fitted: " + " ".join(f"{w:.4f}" for w in f.split_parameters))
    if f.better:
        print(f"  better: the parameters refitted on all {f.items} reviews are used")
        print("  refitted: " + " ".join(f"{w:.4f}" for w in f.parameters))
    else:
        print(f"  {f.note}")


def cmd_simulate(args: argparse.Namespace) -> int:
    from gistquiz import locations, settings, simulate

    ws = Workspace.from_args(args)
    if args.apply is not None:
        path = locations.settings_path(ws.home)
        settings.write_number(path, "desired_retention", args.apply)
        print(f"{path}: desired_retention = {args.apply}; 'gistquiz rebuild' reschedules the cards answered so far")
        return EXIT_OK
    if not 1 <= args.days <= 3650:
        raise UserError("--days must be between 1 and 3650")
    retentions = args.retention or simulate.DEFAULT_RETENTIONS
    for r in retentions:
        if not 0.7 <= r <= 0.99:
            raise UserError(f"--retention {r}: desired retention must be between 0.7 and 0.99")
    scheduler = ws.scheduler  # reads the stored parameter events, and their problems
    for line in ws.parameter_problems:
        print(f"gistquiz: {line}", file=sys.stderr)
    cards = sum(len(d.cards) for d in ws.library.decks)
    if cards == 0:
        raise UserError("no cards to simulate: add a deck first")
    table = simulate.for_store(ws.store, scheduler, cards, retentions, args.days)
    if args.json:
        print(json.dumps(table.to_dict(), indent=2))
        return EXIT_OK
    _print_table(table)
    return EXIT_OK


def _print_table(t) -> None:
    w = t.workload
    costs = f"your median answer times ({w.measured_costs} of 12 cells)" if w.measured_costs else "fsrs-rs's defaults"
    print(
        f"{t.cards} cards from new, {t.days} days, {t.parameters} parameters; answer times: {costs}; "
        f"ratings: {'yours' if w.measured_ratings else 'fsrs-rs defaults'}"
    )
    print("  retention  reviews/day  minutes/day  remembered  per minute")
    for row in t.rows:
        mark = "  <- current" if row.retention == t.current else ""
        mark += "  <- most per minute" if row.retention == t.best else ""
        print(
            f"  {row.retention:9.2f}  {row.reviews_per_day:11.1f}  {row.minutes_per_day:11.1f}"
            f"  {row.remembered:10.0f}  {row.per_minute:10.3f}{mark}"
        )
    print(
        f"  searched {t.rows[0].retention:.2f}-{t.rows[-1].retention:.2f}" + (f"; {t.edge_note}" if t.edge_note else "")
    )
