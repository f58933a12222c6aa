"""The gistquiz app: a thin Textual layer over the core (decks, scheduler, store, demo runner).

Screens render core objects and send the user's intents back; nothing here
parses a deck or touches SQL. Slow work (loading decks, stats, demos) runs in
workers so a keypress is never kept waiting.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App, SuspendNotSupported
from textual.binding import Binding
from textual.screen import Screen

from gistquiz.workspace import Workspace

if TYPE_CHECKING:
    from gistquiz.deck import Card
    from gistquiz.first_frame import Lookahead
    from gistquiz.selection import Selection
    from gistquiz.shown_paths import ShownPaths


def utcnow() -> datetime:
    """The clock (UTC); tests give the app a fixed one. (Not imported from the scheduler: see workspace.py.)"""
    return datetime.now(UTC)


class GistQuizApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "gistquiz"
    SUB_TITLE = "notes that prove themselves"
    BINDINGS = [
        Binding("question_mark", "toggle_keys", "Keys", key_display="?"),
        Binding("f1", "toggle_keys", "Keys", show=False),  # also in a text box, where "?" is typed
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self, workspace: Workspace, clock: Callable[[], datetime] = utcnow, lookahead: Lookahead | None = None
    ):
        super().__init__()
        self.workspace = workspace
        self.clock = clock
        self.lookahead = lookahead
        """The helper process looking at the decks for the first frame (:mod:`gistquiz.first_frame`); home
        takes its view when it mounts."""

    def on_mount(self) -> None:
        if not self.is_headless and hasattr(select, "poll") and sys.__stdin__ and sys.__stdin__.isatty():
            self.set_interval(1.0, self.exit_if_hung_up, name="hang-up watch")

    def exit_if_hung_up(self) -> None:
        """Quit once the terminal is gone. A terminal window that closes sends a hang-up signal, which ends
        the process; but a program that ran gistquiz in a pseudo-terminal and closed it without one (a test
        harness, a web terminal) left it running, and Textual's input thread then found end-of-file on
        every read, at once, forever: a full core until killed. poll() reports the hang-up without reading
        (and so without taking a key from a terminal that is still there)."""
        watch = select.poll()
        watch.register(sys.__stdin__.fileno(), 0)  # no event asked for: a hang-up is reported anyway
        if watch.poll(0):
            self.exit()

    def get_default_screen(self) -> Screen:
        """Home is the bottom of the screen stack: composed first, rather than pushed over an empty screen
        that Textual would compose and lay out for nothing before the first paint."""
        from gistquiz.ui.screens.home import HomeScreen

        return HomeScreen()

    def open_review(self, selection: Selection, cram: bool = False) -> None:
        """The one way into a review: a deck or all of them from home, a card from search, a leech from stats.

        ``cram`` reviews the cards now, due or not.
        """
        from gistquiz.ui.screens.review import ReviewScreen  # not before it is wanted: the first screen stays lean

        self.push_screen(ReviewScreen(selection.title, selection.resolve(self.workspace.library), cram=cram))

    def action_toggle_keys(self) -> None:
        """``?``: the list of every key of the current screen, its own first; ``?`` again closes it."""
        from gistquiz.ui.screens.keys import KeysScreen

        if isinstance(self.screen, KeysScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(KeysScreen(self.screen))

    def shown_path(self, path: str | Path) -> str:
        """A path as the learner should see it: in a browser tab, relative to the decks or data folder
        (the server's own paths mean nothing there, and are not the tab's business)."""
        return self.shown_paths.path(path) if self.is_web else str(path)

    def shown_text(self, text: str) -> str:
        """A message as the learner should see it: in a browser tab, its paths as :meth:`shown_path` shows them."""
        return self.shown_paths.text(text) if self.is_web else text

    @cached_property
    def shown_paths(self) -> ShownPaths:
        from gistquiz.shown_paths import ShownPaths

        ws = self.workspace
        return ShownPaths.of(ws.home, ws.extra_decks, ws.demos_folder)

    def notify(self, message: str, **kwargs) -> None:
        """Every notification, from any screen, with its paths shown as in :meth:`shown_text`."""
        kwargs.setdefault("markup", False)  # messages quote decks, paths and errors: their brackets are text
        super().notify(self.shown_text(message), **kwargs)

    def edit_card(self, card: Card, done: Callable[[bool], None]) -> None:
        """``e``: the card's section in the in-app editor; ``done(written)`` runs when it closes.

        Every reason it cannot open becomes one notification.
        """
        from gistquiz.deck_edit import EditError, open_section
        from gistquiz.registry import demo_names
        from gistquiz.ui.screens.editor import EditorScreen

        ws = self.workspace
        deck = ws.library.deck(card.deck)
        if deck is None:
            self.notify("This card's deck is gone; nothing to edit.", severity="warning")
            return
        if deck.source == "bundled":
            self.notify(
                "The bundled deck is never written: copy it into your decks folder to edit its cards.",
                severity="warning",
                timeout=8,
            )
            return
        shown = self.shown_path(deck.path)
        try:
            opened = open_section(deck.path, card.line, shown=shown)
        except EditError as err:
            self.notify(str(err), severity="error", timeout=10)
            return
        self.push_screen(EditorScreen(opened, shown, set(demo_names(ws.demo_folders))), lambda w: done(bool(w)))

    def edit_file(self, path: str, line: int) -> bool:
        """Open ``path`` at ``line`` in the external editor, with the app suspended.

        Returns whether the editor ran (the caller reads the file again). Every failure becomes one
        notification: the command is checked before suspending, and nothing raised while suspended
        escapes the ``with`` block, because Textual's ``suspend()`` does not restore the screen then.
        """
        from gistquiz.editor import HOW_TO_SET, EditorError, describe_run, find_editor

        try:
            editor = find_editor()
        except EditorError as err:
            self.notify(str(err), severity="error", timeout=12)
            return False
        if editor.origin == "the default":
            self.notify(f"Editing with {editor.text}: $VISUAL and $EDITOR are not set ({HOW_TO_SET}).", timeout=8)
        command = editor.command(str(Path(path)), line)
        before = _signature(path)
        started = time.monotonic()
        try:
            with self.suspend():
                returncode, error = _run_editor(command)
        except SuspendNotSupported:  # headless (tests): nothing to hand the terminal over
            returncode, error = _run_editor(command, stdin=subprocess.DEVNULL)
        message = describe_run(editor, returncode, error, _signature(path) != before, time.monotonic() - started)
        if message:
            self.notify(message, severity="error" if error or returncode else "warning", timeout=12)
        return error is None


def _signature(path: str) -> tuple[int, int, int] | None:
    """What changes when an editor saves a file (in place or by replacing it)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def _run_editor(command: list[str], stdin: int | None = None) -> tuple[int | None, str | None]:
    """(exit status, why it could not start): never raises, so the suspended screen always comes back."""
    # Ctrl+C and Ctrl+\ belong to the editor while it runs: the app ignores them (as git does), or
    # the KeyboardInterrupt would end the app with the terminal still handed over.
    main = threading.current_thread() is threading.main_thread()
    try:
        child = subprocess.Popen(command, stdin=stdin)
    except Exception as err:  # OSError mostly, but nothing may escape the suspended block
        return None, getattr(err, "strerror", None) or str(err)
    saved = [(sig, signal.signal(sig, signal.SIG_IGN)) for sig in (signal.SIGINT, signal.SIGQUIT)] if main else []
    try:
        return child.wait(), None
    except Exception as err:
        child.kill()
        return None, str(err)
    finally:
        for sig, handler in saved:
            signal.signal(sig, handler)
