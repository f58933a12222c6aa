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
    from gistquiz.overview import DeckCounts, Today
    from gistquiz.selection import Selection

ALL = "*"


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
        self.counts: list[DeckCounts] = []
        self.error: str | None = None  # a refused write, shown until r reloads
        self.shown: tuple | None = None
        """What :meth:`show` last drew, drawn again at a new width."""
        self.reloading = False
        """``r`` was pressed: the next :meth:`show` says what the reload found."""
        self.call_after_refresh(self.after_first_paint)
        self.load_started = False
        """The first load has started (:meth:`on_idle`)."""

    def on_idle(self) -> None:
        # The first idle comes after the first paint (started in on_mount, the worker delayed that paint by
        # its share of the interpreter). Started here, not after that paint has settled (after_first_paint),
        # its results can make Textual's next frame: the deck table waited a frame for it before.
        if not self.load_started:
            self.load_started = True
            self.load()

    async def after_first_paint(self) -> None:
        if not gc.isenabled():  # paused by the command until the first frame (cli.cmd_app)
            # What the start made lives as long as the app: frozen, no later pass looks at it again. Enabled
            # alone, the collector's next passes went over all of it, in the deck table's time.
            gc.freeze()
            gc.enable()

    def on_resize(self, event: events.Resize) -> None:
        if getattr(self, "shown", None) is not None:
            self.show(*self.shown)  # the deck names take the width there is; the counts always show

    def on_screen_resume(self) -> None:
        if getattr(self, "error", None):
            self.show_error(self.error)
        elif getattr(self, "counts", None):
            self.load(reload=False)

    @work(thread=True, exclusive=True, group="home-load")
    def load(self, reload: bool = True) -> None:
        # Off the UI thread, so the first screen is drawn before the scheduler, store and decks are loaded.
        from gistquiz.overview import deck_counts, today

        ws = self.app.workspace
        try:
            if reload:
                ws.reload()
            relinks = ws.sync(self.app.clock())
            now = self.app.clock()
            counts = deck_counts(ws.library.decks, ws.store, ws.scheduler, now)
            totals = today(ws.store, ws.scheduler, now)
            first_run = ws.store.review_count() == 0
        except (StoreError, UserError) as err:  # a damaged database, a bad settings.toml: say so, stay open
            self.app.call_from_thread(self.show_error, str(err))
            return
        self.app.call_from_thread(self.show, counts, totals, first_run, relinks)

    def show_error(self, message: str) -> None:
        self.counts = []
        self.reloading = False
        self.say_reloaded("")
        shown = self.app.shown_text(message)
        self.query_one("#hint", Static).update(f"! {shown}\nFix it, then press r to reload (Ctrl+Q quits).")

    def show(self, counts: list[DeckCounts], totals: Today, first_run: bool, relinks: list) -> None:
        self.counts = counts
        self.shown = (counts, totals, first_run, relinks)
        table = self.query_one("#decks", DataTable)
        previous = table.cursor_row
        table.clear(columns=True)  # columns too: their widths then fit the new rows
        usable = [c for c in counts if c.deck.cards]
        rows: list[tuple[str, str, str, list[int]]] = []  # key, title, problems, counts
        if len(usable) > 1:
            sums = [sum(getattr(c, f) for c in usable) for f in ("today_new", "learning", "due", "total")]
            rows.append((ALL, "All decks", "", sums))
        for c in counts:
            problems = f"  ! {len(c.deck.errors)} problem(s)" if c.deck.errors else ""
            rows.append((c.deck.key, c.deck.title, problems, [c.today_new, c.learning, c.due, c.total]))
        names = ("New", "Learning", "Due", "Total")
        number_widths = [max(len(n), *(len(str(r[3][i])) for r in rows)) for i, n in enumerate(names)]
        # every column has a cell of padding each side; #home's padding and the scrollbar take 4 more
        room = self.size.width - sum(w + 2 for w in number_widths) - 2 - 4
        title_width = max(8, min(room, max((len(r[1] + r[2]) for r in rows), default=4)))
        # Text, not str: a str cell is Rich markup, and a deck's title is the learner's text ("[/]" raised,
        # "[b]" vanished, ":smile:" became an emoji); labels too, which also spares Rich's emoji table.
        table.add_column(Text("Deck"), key="deck", width=title_width)
        for name in names:
            table.add_column(Text(name), key=name.lower())
        for key, title, problems, numbers in rows:  # the name gives way to the problem count
            table.add_row(Text(shorten(title, title_width - len(problems)) + problems), *numbers, key=key)
        if self.reloading:
            self.reloading = False
            cards = sum(len(c.deck.cards) for c in counts)
            problems = sum(len(c.deck.errors) for c in counts)
            said = f"{problems} problem(s), listed below" if problems else "no problems"
            self.say_reloaded(f"Reloaded {len(counts)} deck(s), {cards} card(s): {said}.")
        if first_run and usable:
            bundled = next((c for c in usable if c.deck.source == "bundled"), usable[0])
            row = table.get_row_index(bundled.deck.key)
            table.move_cursor(row=row)
            hint = (
                f"Welcome! Enter starts reviewing “{bundled.deck.title}”: Space shows the answer, "
                "1-4 rate it, r runs its demo. ? lists every key."
            )
        elif not usable:
            hint = "No cards yet: write a deck (see the README) or run 'gistquiz new-deck NAME'."
        else:
            table.move_cursor(row=min(previous, table.row_count - 1))
            hint = "Enter: review the deck under the cursor · q: quiz it · ?: all keys"
        self.query_one("#hint", Static).update(hint)
        minutes, seconds = divmod(int(totals.seconds), 60)
        due = sum(c.learning + c.due + c.today_new for c in usable)
        self.query_one("#today", Static).update(
            f"Today: {totals.reviews} review(s) in {minutes}m {seconds:02d}s · {due} card(s) left to study"
        )
        problems = [self.app.shown_text(str(e)) for c in counts for e in c.deck.errors]
        lines = [f"! {p}" for p in problems[:8]]
        if len(problems) > 8:
            lines.append(f"… and {len(problems) - 8} more: run 'gistquiz check'")
        lines += [f"↺ {self.app.shown_text(str(r))}" for r in relinks]
        self.query_one("#problems", Static).update("\n".join(lines))
        self.query_one("#problems").display = bool(lines)

    def say_reloaded(self, text: str) -> None:
        said = self.query_one("#reloaded", Static)
        said.update(text)
        said.display = bool(text)

    def selected(self) -> Selection | None:
        """The row under the cursor: a deck, or all of them."""
        from gistquiz.selection import Selection  # not before a deck is picked: the first frame waits on imports

        table = self.query_one("#decks", DataTable)
        if not self.counts or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key == ALL:
            return Selection.every_deck()
        deck = next(c.deck for c in self.counts if c.deck.key == key)
        return Selection(deck.title, tuple(deck.cards))

    @after_queued_keys
    def action_review(self) -> None:
        picked = self.selected()
        if picked is None or picked.empty:
            self.notify("This deck has no usable cards.", severity="warning")
            return
        self.app.open_review(picked)

    def action_quiz(self) -> None:
        picked = self.selected()
        if picked is None or picked.empty:
            return
        from gistquiz.ui.screens.quiz import QuizSetupScreen

        self.app.push_screen(QuizSetupScreen(picked.title, picked.resolve(self.app.workspace.library)))

    def action_demos(self) -> None:
        from gistquiz.ui.screens.demos import DemosScreen

        self.app.push_screen(DemosScreen())

    def action_stats(self) -> None:
        from gistquiz.selection import Selection
        from gistquiz.ui.screens.stats import StatsScreen

        self.app.push_screen(StatsScreen(self.selected() or Selection.every_deck()))

    def action_browse(self) -> None:
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
