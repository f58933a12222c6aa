"""Search every card by its words and tags (``tag:bleu``), the results updating as you type.

Enter opens the card to review it now or run its demo.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from gistquiz import search
from gistquiz.deck import Card
from gistquiz.selection import Selection

LIMIT = 200


class BrowseScreen(Screen[None]):
    DEFAULT_CSS = """
    #search-count {
        color: $text-muted;
    }
    """

    BINDINGS = [Binding("escape", "back", "Back"), Binding("down", "to_results", "Results", show=False)]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="search words, tag:NAME …", id="search")
        yield Static("", id="search-count")
        table: DataTable[str] = DataTable(id="results", cursor_type="row")
        table.add_columns("Deck", "Kind", "Card", "Tags", "Demo")
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Search"
        self.sub_title = ""
        self.index = search.index(self.app.workspace.library.cards())
        self.found: list[Card] = []
        self.query_one("#search", Input).focus()
        self.update("")

    @on(Input.Changed, "#search")
    def changed(self, event: Input.Changed) -> None:
        self.update(event.value)

    @on(Input.Submitted, "#search")
    def action_to_results(self) -> None:
        table = self.query_one("#results", DataTable)
        if table.row_count:
            table.focus()

    def update(self, query: str) -> None:
        self.found = search.search(self.index, query)
        table = self.query_one("#results", DataTable)
        table.clear()
        for i, c in enumerate(self.found[:LIMIT]):
            first = c.front.splitlines()[0]
            table.add_row(c.deck, c.kind.value, first[:60], ",".join(c.tags)[:20], c.demo or "", key=str(i))
        more = f" (showing {LIMIT})" if len(self.found) > LIMIT else ""
        self.query_one("#search-count", Static).update(
            f"{len(self.found)} card(s){more} · Enter on a row opens it (review it now, r runs its demo)"
        )

    @on(DataTable.RowSelected, "#results")
    def open(self, event: DataTable.RowSelected) -> None:
        card = self.found[int(event.row_key.value or 0)]
        self.app.open_review(Selection(f"{card.deck}: {card.front.splitlines()[0][:40]}", (card,)), cram=True)

    def action_back(self) -> None:
        self.app.pop_screen()
