"""Home: the decks with their new / learning / due counts, deck problems, and today's totals."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from gistquiz.errors import StoreError, UserError
from gistquiz.ui.in_order import after_queued_keys
from gistquiz.ui.widgets.key_bar import KeyBar, binding_keys

if TYPE_CHECKING:
    from gistquiz.home_view import HomeView
    from gistquiz.selection import Selection


def reports_store_errors(action: Callable[..., Any]) -> Callable[..., Any]:
    """A screen action that writes to the store: when the write is refused (a full disk, a damaged database),
    the app goes back to home, which shows the one-line reason until r reloads; the app stays open. Every
    answer before the refused one is already on disk."""

    @functools.wraps(action)
    def wrapped(screen: Screen, *args: Any, **kwargs: Any) -> Any:
        try:
            return action(screen, *args, **kwargs)
        except StoreError as err:
            app = screen.app
            home = next(s for s in app.screen_stack if isinstance(s, HomeScreen))
            home.error = str(err)
            while app.screen is not home:
                app.pop_screen()
            home.show_error(home.error)
            return None

    return wrapped


class HomeScreen(Screen[None]):
    DEFAULT_CSS = """
    #home {
        padding: 0 1;
    }
    #hint {
        color: $text-muted;
        margin: 1 0;
    }
    #decks {
        height: auto;
        max-height: 14;
    }
    #today, #reloaded {
        margin-top: 1;
    }
    #reloaded {
        display: none;
    }
    #problems {
        margin-top: 1;
        color: $warning;
    }
    """

    BINDINGS = [
        Binding("enter", "review", "Review", priority=True),
        Binding("q", "quiz", "Quiz"),
        Binding("d", "demos", "Demos"),
        Binding("s", "stats", "Stats"),
        Binding("slash", "browse", "Search", key_display="/"),
        Binding("r", "reload", "Reload"),  # "Reload decks" cut the bar to two rows at 80 columns
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static("Loading decks…", id="hint", markup=False)
            yield DataTable(id="decks", cursor_type="row", zebra_stripes=True)
            yield Static("", id="today", markup=False)
            yield Static("", id="reloaded", markup=False)
            yield Static("", id="problems", markup=False)
        yield KeyBar(binding_keys(self.BINDINGS))  # one Static: Textual's Footer cut "^q Quit" at 80 columns

    def on_mount(self) -> None:
        self.view: HomeView | None = None
        """What :meth:`draw` last drew, drawn again at a new width."""
        self.loaded = False
        """The worker's load has been shown: the workspace's decks are loaded (not before, see :meth:`selected`)."""
        self.load_running = False
        """A load is running (:meth:`load` to :meth:`show` or :meth:`show_error`)."""
        self.deferred: Callable[[], object] | None = None
        """An action asked for while the first load ran, run when it is shown."""
        self.error: str | None = None  # a refused write, shown until r reloads
        self.reloading = False
        """``r`` was pressed: the next :meth:`show` says what the reload found."""
        self.call_after_refresh(self.after_first_paint)
        self.load_started = False
        """The first load has started (:meth:`on_idle`)."""
        lookahead = self.app.lookahead
        if lookahead is not None:  # the helper's read-only look, taken without waiting (gistquiz.first_frame)
            view = lookahead.take()
            if view is not None:
                self.draw(view)  # in the first frame: the worker redraws only if a number changed
            else:
                self.discard_lookahead()  # not done: stopped now, not left to compete for the cores

    def on_idle(self) -> None:
        # The first idle comes after the first paint (started in on_mount, the worker delayed that paint by
        # its share of the interpreter). Started here, not after that paint has settled (after_first_paint),
        # its results can make Textual's next frame: the deck table waited a frame for it before.
        if not self.load_started:
            self.load_started = True
            self.load()

    def discard_lookahead(self) -> None:
        if self.app.lookahead is not None:
            self.app.lookahead.discard()
            self.app.lookahead = None

    async def after_first_paint(self) -> None:
        self.discard_lookahead()  # reaped: it has exited, or is exiting, since it wrote its view
        if not gc.isenabled():  # paused by the command until the first frame (cli.cmd_app)
            # What the start made lives as long as the app: frozen, no later pass looks at it again. Enabled
            # alone, the collector's next passes went over all of it, in the deck table's time.
            gc.freeze()
            gc.enable()

    def on_resize(self, event: events.Resize) -> None:
        if getattr(self, "view", None) is not None:
            self.draw(self.view)  # the deck names take the width there is; the counts always show

    def on_screen_resume(self) -> None:
        if getattr(self, "error", None):
            self.show_error(self.error)
        elif getattr(self, "loaded", False):
            self.load(reload=False)

    def load(self, reload: bool = True) -> None:
        """Load the decks (``reload``: read their files again) and the counts, off the UI thread."""
        self.load_running = True
        self.load_in_thread(reload)

    @work(thread=True, exclusive=True, group="home-load")
    def load_in_thread(self, reload: bool) -> None:
        # Off the UI thread, so the first screen is drawn before the scheduler, store and decks are loaded.
        from gistquiz.home_view import compute

        ws = self.app.workspace
        try:
            if reload:
                ws.reload()
            relinks = ws.sync(self.app.clock())
            view = compute(ws, self.app.clock(), relinks)
        except (StoreError, UserError) as err:  # a damaged database, a bad settings.toml: say so, stay open
            self.app.call_from_thread(self.show_error, str(err))
            return
        self.app.call_from_thread(self.show, view)

    def show_error(self, message: str) -> None:
        self.loaded = self.load_running = False
        self.deferred = None
        self.reloading = False
        self.say_reloaded("")
        shown = self.app.shown_text(message)
        self.query_one("#hint", Static).update(f"! {shown}\nFix it, then press r to reload (Ctrl+Q quits).")

    def show(self, view: HomeView) -> None:
        """The worker's view: drawn unless it is the one on screen (the helper's, in the first frame)."""
        self.loaded, self.load_running = True, False
        if view != self.view:
            self.draw(view)
        if self.reloading:
            self.reloading = False
            said = f"{len(view.problems)} problem(s), listed below" if view.problems else "no problems"
            self.say_reloaded(f"Reloaded {view.decks} deck(s), {view.cards} card(s): {said}.")
        if self.deferred is not None:
            action, self.deferred = self.deferred, None
            action()

    def draw(self, view: HomeView) -> None:
        previous = self.view
        self.view = view
        table = self.query_one("#decks", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)  # columns too: their widths then fit the new rows
        rows = view.rows
        names = ("New", "Learning", "Due", "Total")
        number_widths = [max(len(n), *(len(str(r.numbers[i])) for r in rows)) for i, n in enumerate(names)]
        # every column has a cell of padding each side; #home's padding and the scrollbar take 4 more
        room = self.size.width - sum(w + 2 for w in number_widths) - 2 - 4
        marks = [f"  ! {r.problems} problem(s)" if r.problems else "" for r in rows]
        title_width = max(8, min(room, max((len(r.title + m) for r, m in zip(rows, marks, strict=True)), default=4)))
        # Text, not str: a str cell is Rich markup, and a deck's title is the learner's text ("[/]" raised,
        # "[b]" vanished, ":smile:" became an emoji); labels too, which also spares Rich's emoji table.
        table.add_column(Text("Deck"), key="deck", width=title_width)
        for name in names:
            table.add_column(Text(name), key=name.lower())
        for row, mark in zip(rows, marks, strict=True):  # the name gives way to the problem count
            table.add_row(Text(shorten(row.title, title_width - len(mark)) + mark), *row.numbers, key=row.key)
        if view.cursor is not None and (previous is None or previous.cursor != view.cursor):
            table.move_cursor(row=table.get_row_index(view.cursor))
        elif rows:
            table.move_cursor(row=min(cursor, table.row_count - 1))
        self.query_one("#hint", Static).update(view.hint)
        self.query_one("#today", Static).update(view.today)
        problems = [self.app.shown_text(p) for p in view.problems]
        lines = [f"! {p}" for p in problems[:8]]
        if len(problems) > 8:
            lines.append(f"… and {len(problems) - 8} more: run 'gistquiz check'")
        lines += [f"↺ {self.app.shown_text(r)}" for r in view.relinks]
        self.query_one("#problems", Static).update("\n".join(lines))
        self.query_one("#problems").display = bool(lines)

    def say_reloaded(self, text: str) -> None:
        said = self.query_one("#reloaded", Static)
        said.update(text)
        said.display = bool(text)

    def selected(self) -> Selection | None:
        """The row under the cursor: a deck, or all of them; None before the decks are loaded."""
        from gistquiz.home_view import ALL
        from gistquiz.selection import Selection  # not before a deck is picked: the first frame waits on imports

        table = self.query_one("#decks", DataTable)
        if not self.loaded or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key == ALL:
            return Selection.every_deck()
        deck = self.app.workspace.library.deck(key)
        return None if deck is None else Selection(deck.title, tuple(deck.cards))

    def wait_for_load(self, action: Callable[[], object]) -> bool:
        """True, with ``action`` kept to run when the first load is shown: the table on screen may be the
        helper's look, drawn before the decks were loaded (the same rows, a few frames sooner), and a screen
        that read the decks now would load them a second time, on the UI thread, beside the worker."""
        if self.load_running and not self.loaded:
            self.deferred = action
            return True
        return False

    @after_queued_keys
    def action_review(self) -> None:
        if self.wait_for_load(self.action_review):
            return
        picked = self.selected()
        if picked is None and not self.loaded:  # the load failed: its reason is in the hint above
            self.notify("The decks are not loaded: fix the problem shown, then press r.", severity="warning")
            return
        if picked is None or picked.empty:
            self.notify("This deck has no usable cards.", severity="warning")
            return
        self.app.open_review(picked)

    def action_quiz(self) -> None:
        if self.wait_for_load(self.action_quiz):
            return
        picked = self.selected()
        if picked is None or picked.empty:
            return
        from gistquiz.ui.screens.quiz import QuizSetupScreen

        self.app.push_screen(QuizSetupScreen(picked.title, picked.resolve(self.app.workspace.library)))

    def action_demos(self) -> None:
        if self.wait_for_load(self.action_demos):  # it lists the cards that use each demo
            return
        from gistquiz.ui.screens.demos import DemosScreen

        self.app.push_screen(DemosScreen())

    def action_stats(self) -> None:
        if self.wait_for_load(self.action_stats):
            return
        from gistquiz.selection import Selection
        from gistquiz.ui.screens.stats import StatsScreen

        self.app.push_screen(StatsScreen(self.selected() or Selection.every_deck()))

    def action_browse(self) -> None:
        if self.wait_for_load(self.action_browse):
            return
        from gistquiz.ui.screens.browse import BrowseScreen

        self.app.push_screen(BrowseScreen())

    def action_reload(self) -> None:
        self.error = None
        self.reloading = True
        self.say_reloaded("Reloading decks…")
        self.load()


def shorten(text: str, width: int) -> str:
    """``text`` in ``width`` cells, cut with "…" (a deck's name gives way; its counts never do)."""
    if len(text) <= width:
        return text
    return text[: max(width - 1, 1)].rstrip() + "…"
