"""Browse every card: search by words, tags (``tag:bleu``) and state (``is:suspended``, ``is:due``, as in
Anki), each card's state, due date and predicted recall now (FSRS's retrievability, from the scheduler)
shown, the results updating as you type.

On a result, ``s`` suspends or unsuspends the card, ``b`` buries or unburies it, ``u`` undoes the last of
these, and Enter opens the card to review it now or run its demo. Every action goes through a
:class:`~gistquiz.session.Session`, as in a review.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from gistquiz import search
from gistquiz.deck import Card
from gistquiz.scheduler import CardState
from gistquiz.selection import Selection
from gistquiz.session import Session
from gistquiz.status import Status, status
from gistquiz.ui.widgets.key_bar import KeyBar, binding_keys

LIMIT = 200
ROW_ACTIONS = ("toggle_suspend", "toggle_bury", "undo")


class BrowseScreen(Screen[None]):
    DEFAULT_CSS = """
    #search-count {
        color: $text-muted;
    }
    """

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("down", "to_results", "Results", show=False),
        Binding("s", "toggle_suspend", "Suspend/unsuspend"),
        Binding("b", "toggle_bury", "Bury/unbury"),
        Binding("u", "undo", "Undo"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="search words, tag:NAME, is:due is:new is:suspended is:buried is:leech …", id="search")
        yield Static("", id="search-count", markup=False)
        table: DataTable[str] = DataTable(id="results", cursor_type="row")
        for label in ("Deck", "Card", "State", "Due", "Recall", "Kind", "Tags", "Demo"):
            table.add_column(label, key=label.lower())
        yield table
        yield KeyBar(binding_keys(self.BINDINGS))  # Textual's Footer cut "^q Quit" at 80 columns

    def on_mount(self) -> None:
        self.title = "Search"
        self.sub_title = ""
        ws = self.app.workspace
        cards = list(ws.library.cards())
        self.index = search.index(cards)
        self.session = Session(cards, ws.store, ws.scheduler, clock=self.app.clock, queue=False)
        self.cards = cards
        self.read_states()
        self.found: list[Card] = []
        self.query_one("#search", Input).focus()
        self.update("")

    def on_screen_resume(self) -> None:
        # Back from a card opened here: it may have been answered, suspended or unsuspended there.
        if hasattr(self, "statuses"):
            self.read_states()
            self.update(self.query_one("#search", Input).value)

    def read_states(self) -> None:
        """Every card's status, judged now: once when the screen opens or comes back, not per keypress
        (``python benchmarks/bench_search.py``, 10,000 cards: an ``is:due`` search took 3.6x a words-only one
        judging each card per search, 1.9x with the statuses judged once; medians of 15, interleaved)."""
        self.now = self.app.clock()
        self.day_end = self.app.workspace.scheduler.next_day_start(self.now)
        states = self.app.workspace.store.states()
        self.statuses = {c.key: status(states.get(c.key), self.now, self.day_end) for c in self.cards}
        self.recall = {c.key: self.recall_of(states.get(c.key)) for c in self.cards}

    def recall_of(self, state: CardState | None) -> str:
        """FSRS's predicted probability of recalling the card now, as "87%" ("" for a card never answered)."""
        r = None if state is None else self.app.workspace.scheduler.retrievability(state, self.now)
        return "" if r is None else f"{r:.0%}"

    def reread(self, card: Card) -> None:
        """Judge one card's status again, after an action on it."""
        state = self.app.workspace.store.state(card.key)
        self.statuses[card.key] = status(state, self.now, self.day_end)
        self.recall[card.key] = self.recall_of(state)

    def status_of(self, card: Card) -> Status:
        return self.statuses[card.key]

    @on(Input.Changed, "#search")
    def changed(self, event: Input.Changed) -> None:
        self.update(event.value)

    @on(Input.Submitted, "#search")
    def action_to_results(self) -> None:
        table = self.query_one("#results", DataTable)
        if table.row_count:
            table.focus()

    def update(self, query: str) -> None:
        parsed = search.parse(query)
        self.found = search.search(self.index, parsed, self.status_of)
        table = self.query_one("#results", DataTable)
        table.clear()
        for i, c in enumerate(self.found[:LIMIT]):
            table.add_row(*self.row(c), key=str(i))
        more = f" (showing {LIMIT})" if len(self.found) > LIMIT else ""
        problem = f" · {parsed.problem}" if parsed.problem else ""
        self.query_one("#search-count", Static).update(
            f"{len(self.found)} card(s){more}{problem} · Enter opens a card (review it now, r runs its demo);"
            " s suspends, b buries"
        )

    def row(self, c: Card) -> tuple[str | Text, ...]:
        st = self.status_of(c)
        due = st.due.astimezone().strftime("%Y-%m-%d") if st.due else ""
        first = c.front.splitlines()[0]
        # The card's words are cut so that its state, due date and recall stay in view at 80 columns. The
        # deck's words are Text: a str cell is Rich markup ("x[i]" lost its "[i]", "[/]" raised).
        return (
            Text(c.deck[:12]),
            Text(first[:28]),
            st.label,
            due,
            self.recall[c.key],
            c.kind.value,
            Text(",".join(c.tags)[:20]),
            Text(c.demo or ""),
        )

    # ----------------------------------------------------------------- actions on the card under the cursor

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While the search box has focus its letters are typed: the bar shows only what works there.
        return not (action in ROW_ACTIONS and isinstance(self.focused, Input))

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def cursor_card(self) -> tuple[int, Card] | None:
        table = self.query_one("#results", DataTable)
        if not table.row_count or not self.found:
            return None
        row = table.cursor_row
        return row, self.found[row]

    def action_toggle_suspend(self) -> None:
        self.toggle("suspended", ("unsuspend", "Unsuspended."), ("suspend", "Suspended."))

    def action_toggle_bury(self) -> None:
        self.toggle("buried", ("unbury", "Unburied."), ("bury", "Buried until tomorrow."))

    def toggle(self, flag: str, off: tuple[str, str], on: tuple[str, str]) -> None:
        """Set or clear ``flag`` (a :class:`Status` field) of the card under the cursor, through the session."""
        if (picked := self.cursor_card()) is None:
            return
        row, card = picked
        method, message = off if getattr(self.status_of(card), flag) else on
        getattr(self.session, method)(card)
        self.notify(message)
        self.refresh_row(row, card)

    def action_undo(self) -> None:
        undone = self.session.undo()
        if undone is None:
            self.notify("Nothing to undo.")
            return
        self.notify(undone.message)
        if undone.card is not None and undone.card in self.found[:LIMIT]:
            self.refresh_row(self.found.index(undone.card), undone.card)
        elif undone.card is not None:
            self.reread(undone.card)

    def refresh_row(self, row: int, card: Card) -> None:
        """Read the card's state again and redraw its row (the row stays, even if it no longer matches)."""
        self.reread(card)
        table = self.query_one("#results", DataTable)
        for column, value in zip(("state", "due", "recall"), self.row(card)[2:5], strict=True):
            table.update_cell(str(row), column, value)

    @on(DataTable.RowSelected, "#results")
    def open(self, event: DataTable.RowSelected) -> None:
        card = self.found[int(event.row_key.value or 0)]
        self.app.open_review(Selection(f"{card.deck}: {card.front.splitlines()[0][:40]}", (card,)), cram=True)

    def action_back(self) -> None:
        self.app.pop_screen()
