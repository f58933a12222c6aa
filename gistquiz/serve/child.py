"""The app process of one browser tab: ``python -m gistquiz.serve.child [--home DIR] [--decks DIR ...]``.

The same app as ``gistquiz``; the server starts it with textual-serve's web driver in its environment.
It ends with its server (a signal when the server dies, even by SIGKILL) and takes along every process
it started, demos included (see :mod:`gistquiz.serve.reaping`).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from gistquiz.serve import reaping


def _on_term(signum: int, frame: object) -> None:
    reaping.end_children(grace=0.5)
    os._exit(128 + signum)  # answers are committed one transaction each: nothing is half-written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gistquiz.serve.child")
    parser.add_argument("--home", default=argparse.SUPPRESS)
    parser.add_argument("--decks", action="append", default=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGHUP, _on_term)
    reaping.become_subreaper()
    reaping.die_with_parent(signal.SIGTERM)

    from gistquiz import first_frame
    from gistquiz.workspace import Workspace

    ws = Workspace.from_args(args)
    lookahead = first_frame.start(ws)  # the deck table in the tab's first frame too (see gistquiz.cli.cmd_app)
    try:
        from gistquiz.ui.app import GistQuizApp

        GistQuizApp(ws, lookahead=lookahead).run()
    finally:
        if lookahead is not None:
            lookahead.discard()
        reaping.end_children(grace=0.5)
        ws.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
