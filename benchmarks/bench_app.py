"""Benchmark the app: time to the first screen, and keypress latency in review.

    python benchmarks/bench_app.py [--repeat 5] [--cards 10000] [--keys 200]

Bounds from the app issue (floors, not aims): the first screen drawn <= 0.6 s
from the command; with a 10,000-card deck a keypress in review (reveal, rate and
show the next card) handled in <= 50 ms median, measured in a Pilot loop, also
while the tiny CNN demo trains in its child process. Exits 1 if a bound is missed.

A keypress is timed from handing the key to the app's driver until the screen
has processed every message that follows from it and repainted. (``Pilot.press``
itself also sleeps at least 2 x 20 ms to detect an idle process; that floor is
reported separately, it is not the app's time.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from textual import events

sys.path.insert(0, str(Path(__file__).parent))
from bench_core import make_deck  # noqa: E402

FIRST_PAINT = b"Loading decks"  # the home screen as first drawn, its decks loading in a worker
DECKS_SHOWN = b"Enter"  # the hint once the decks are in ("Welcome! Enter starts..." / "Enter: review ...")
PILOT_PRESS: list[float] = []


def first_screen_seconds(home: Path) -> tuple[float, float]:
    """Wall times from starting ``gistquiz`` in a pseudo-terminal to its first paint and to its decks shown."""
    main, child = pty.openpty()
    env = {**os.environ, "GISTQUIZ_HOME": str(home), "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    # As on a user's machine, Python may cache compiled modules (some sandboxes turn that off, which makes
    # every start compile gistquiz from source; pip compiles the installed packages anyway).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gistquiz"], stdin=child, stdout=child, stderr=child, env=env, close_fds=True
    )
    os.close(child)
    seen = b""
    painted = None
    try:
        while DECKS_SHOWN not in seen:
            ready, _, _ = select.select([main], [], [], 10)
            if not ready:
                raise TimeoutError("the app drew nothing for 10 s")
            seen += os.read(main, 65536)
            if painted is None and FIRST_PAINT in seen:
                painted = time.perf_counter() - start
        shown = time.perf_counter() - start
        return painted if painted is not None else shown, shown
    finally:
        proc.kill()
        proc.wait()
        os.close(main)


async def keypress_latencies(home: Path, deck_dir: Path, keys: int, with_demo: bool) -> list[float]:
    from gistquiz.deck import Kind
    from gistquiz.runner import DemoRun
    from gistquiz.settings import Settings
    from gistquiz.ui.app import GistQuizApp
    from gistquiz.ui.screens.review import ReviewScreen
    from gistquiz.workspace import Workspace

    ws = Workspace(home, [deck_dir])
    ws.settings = Settings(new_per_day=100_000, bundled_decks=False)  # cached_property: this instance only
    app = GistQuizApp(ws)
    times: list[float] = []
    run = DemoRun("tiny_cnn", {"epochs": 100}) if with_demo else None
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        cards = ws.library.deck("gen").cards
        app.push_screen(ReviewScreen("gen", cards))
        await pilot.pause()
        screen = app.screen
        if run is not None:
            loop = asyncio.get_running_loop()
            training = loop.run_in_executor(None, run.run)
            await asyncio.sleep(1.0)  # let it start training
            assert run.proc is not None and run.proc.poll() is None, "the demo is not running"
        for _ in range(keys):
            card = screen.card
            reveal = ("enter", "\r") if card.kind in (Kind.TYPED, Kind.CLOZE) else ("space", " ")
            for key, char, done in (
                (*reveal, lambda: screen.revealed),
                ("3", "3", lambda c=card: screen.card is not c),
            ):
                start = time.perf_counter()
                event = events.Key(key, char)
                event.set_sender(app)
                app._driver.send_message(event)
                while not done():  # the key travels driver -> app -> screen
                    await asyncio.sleep(0)
                await pilot._wait_for_screen()  # what the key queued
                screen._on_timer_update()  # repaint now rather than at the next timer tick
                await pilot._wait_for_screen()
                times.append(time.perf_counter() - start)
        pilot_times = []
        for _ in range(10):
            card = screen.card
            start = time.perf_counter()
            await pilot.press("enter" if card.kind in (Kind.TYPED, Kind.CLOZE) else "space", "3")
            pilot_times.append((time.perf_counter() - start) / 2)
        PILOT_PRESS.append(statistics.median(pilot_times))
        if run is not None:
            still_training = run.proc is not None and run.proc.poll() is None
            run.cancel()
            await training
            if not still_training:
                raise AssertionError("the demo finished before the keys did: give it more epochs")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--keys", type=int, default=100, help="cards to reveal and rate per measurement")
    args = parser.parse_args(argv)
    failed = False
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        first_screen_seconds(home)  # warm the file cache and the bytecode
        starts = [first_screen_seconds(home) for _ in range(args.repeat)]
        median = statistics.median(s[0] for s in starts)
        failed |= median > 0.6
        rows.append(("first screen drawn (pty, from the command)", median * 1000, 600))
        rows.append(("  its decks shown (loaded in a worker)", statistics.median(s[1] for s in starts) * 1000, None))
        deck_dir = Path(tmp) / "decks"
        deck_dir.mkdir()
        make_deck(deck_dir / "gen.md", args.cards)
        for with_demo in (False, True):
            h = Path(tmp) / f"home-{with_demo}"
            h.mkdir()
            times = asyncio.run(keypress_latencies(h, deck_dir, args.keys, with_demo))
            median = statistics.median(times) * 1000
            failed |= median > 50
            label = "while tiny_cnn trains" if with_demo else "idle"
            rows.append((f"review keypress, {args.cards:,} cards, {label} (median)", median, 50))
            rows.append(("  same, 95th percentile", sorted(times)[int(0.95 * len(times))] * 1000, None))
            rows.append(("  same through Pilot.press (+ its 2 x 20 ms idle sleeps)", PILOT_PRESS[-1] * 1000, None))
    print(f"{'measure':<58} {'median':>10} {'bound':>8}")
    for name, ms, bound in rows:
        print(f"{name:<58} {ms:>8.1f}ms {'' if bound is None else f'{bound}ms':>8}")
    print("FAILED: a bound was missed" if failed else "all bounds met")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
