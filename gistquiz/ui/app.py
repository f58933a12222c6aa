"""The gistquiz app: a thin Textual layer over the core (decks, scheduler, store, demo runner).

Screens render core objects and send the user's intents back; nothing here
parses a deck or touches SQL. Slow work (loading decks, stats, demos) runs in
workers so a keypress is never kept waiting.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App, SuspendNotSupported
from textual.binding import Binding

from gistquiz.workspace import Workspace

if TYPE_CHECKING:
    from gistquiz.selection import Selection


def utcnow() -> datetime:
    """The clock (UTC); tests give the app a fixed one. (Not imported from the scheduler: see workspace.py.)"""
    return datetime.now(UTC)


class GistQuizApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "gistquiz"
    SUB_TITLE = "notes that prove themselves"
    BINDINGS = [
        Binding("question_mark", "toggle_keys", "Keys", key_display="?"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, workspace: Workspace, clock: Callable[[], datetime] = utcnow):
        super().__init__()
        self.workspace = workspace
        self.clock = clock

    def on_mount(self) -> None:
        from gistquiz.ui.screens.home import HomeScreen

        self.push_screen(HomeScreen())

    def open_review(self, selection: Selection, cram: bool = False) -> None:
        """The one way into a review: a deck or all of them from home, a card from search, a leech from stats.

        ``cram`` reviews the cards now, due or not.
        """
        from gistquiz.ui.screens.review import ReviewScreen  # not before it is wanted: the first screen stays lean

        self.push_screen(ReviewScreen(selection.title, selection.resolve(self.workspace.library), cram=cram))

    def action_toggle_keys(self) -> None:
        """``?``: the panel listing every key of the current screen."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def edit_file(self, path: str, line: int) -> int:
        """Open ``path`` at ``line`` in ``$VISUAL``/``$EDITOR`` (default vi), with the app suspended."""
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        command = [*shlex.split(editor), f"+{line}", str(Path(path))]
        try:
            with self.suspend():
                return subprocess.call(command)
        except SuspendNotSupported:  # headless (tests): nothing to hand the terminal over
            return subprocess.call(command, stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            self.notify(f"cannot start the editor '{editor}': set $EDITOR", severity="error")
            return 127
