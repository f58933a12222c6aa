"""The home screen's deck load, step by step, in a new process: ``bench_app.py --load-steps`` runs it.

    python benchmarks/load_steps.py GISTQUIZ_HOME

A script of its own so that the process has imported what the app has when its load starts, and nothing more
(``bench_app.py`` itself imports the core, for its decks).
"""

from __future__ import annotations

import sys
from pathlib import Path

LOAD_STEPS = ("core-imports", "demo-scan", "decks", "store-open", "sync", "counts")


def main(home: str) -> None:
    """What HomeScreen.load does, step by step, in a process that has imported what the app has imported when
    the load starts (the command line, the app and its home screen): one line of ``step=ms`` pairs."""
    import gc
    import time

    gc.disable()  # as until the first frame (cli.cmd_app)
    import gistquiz.cli  # noqa: F401
    import gistquiz.ui.screens.home  # noqa: F401
    from gistquiz.ui.app import GistQuizApp  # noqa: F401

    marks, t = [], time.perf_counter()

    def step() -> None:
        nonlocal t
        now = time.perf_counter()
        marks.append(now - t)
        t = now

    from gistquiz import backup, library, overview, registry, relink, session, store  # noqa: F401
    from gistquiz.scheduler import utcnow
    from gistquiz.workspace import Workspace

    step()
    ws = Workspace(Path(home))
    names = registry.demo_names(ws.demo_folders)
    step()
    ws.__dict__["library"] = library.load(ws.home, ws.extra_decks, names, bundled=ws.settings.bundled_decks)
    step()
    ws.store  # noqa: B018 (opening it, and the day's backup, is the step)
    step()
    ws.sync(utcnow())
    step()
    now = utcnow()
    overview.deck_counts(ws.library.decks, ws.store, ws.scheduler, now)
    overview.today(ws.store, ws.scheduler, now)
    ws.store.review_count()
    step()
    print(" ".join(f"{name}={ms * 1000:.3f}" for name, ms in zip(LOAD_STEPS, marks, strict=True)))


if __name__ == "__main__":
    main(sys.argv[1])
