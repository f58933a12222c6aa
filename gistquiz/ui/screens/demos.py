"""Demos: every demo with its claim and the cards that link to it; run any, with its parameters."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from gistquiz.registry import all_demos
from gistquiz.ui.widgets.demo_panel import DemoPanel


class DemosScreen(Screen[None]):
    DEFAULT_CSS = """
    #demos {
        padding: 0 1;
    }
    #demo-list {
        height: auto;
        max-height: 12;
    }
    #demo-cards {
        margin: 1 0 0 0;
        color: $text-muted;
    }
    """

    BINDINGS = [
        Binding("r", "run", "Run"),
        Binding("p", "params", "Parameters"),
        Binding("escape", "back", "Back"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="demos"):
            table: DataTable[str] = DataTable(id="demo-list", cursor_type="row")
            table.add_column("Demo", key="name")
            table.add_column("Cards", key="cards")
            table.add_column("What it shows", key="claim")
            yield table
            yield Static("", id="demo-cards")
            yield DemoPanel(id="demo")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Demos"
        self.sub_title = ""
        ws = self.app.workspace
        self.demos = all_demos(ws.demos_folder)
        self.linked: dict[str, list] = {}
        for card in ws.library.cards():
            if card.demo:
                self.linked.setdefault(card.demo, []).append(card)
        table = self.query_one("#demo-list", DataTable)
        for d in self.demos:
            claim = d.claim if len(d.claim) <= 52 else d.claim[:51] + "…"  # the whole claim is in the panel below
            table.add_row(d.name, str(len(self.linked.get(d.name, []))), claim, key=d.name)
        table.focus()
        if self.demos:
            self.select(self.demos[0].name)

    @on(DataTable.RowHighlighted, "#demo-list")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value:
            self.select(event.row_key.value)

    @on(DataTable.RowSelected, "#demo-list")
    def action_run(self) -> None:
        self.query_one("#demo", DemoPanel).run()

    @on(DemoPanel.Finished)
    def finished(self) -> None:
        """Hand the keys to the result so that arrows and Page Down scroll it; Tab goes back to the list."""
        self.query_one("#demos", VerticalScroll).focus()

    def select(self, name: str) -> None:
        panel = self.query_one("#demo", DemoPanel)
        if panel.running or panel.demo == name:
            return
        ws = self.app.workspace
        panel.show_card(None, ws.demos_folder, ws.demo_cache, demo=name)
        cards = self.linked.get(name, [])
        lines = [f"• {c.front.splitlines()[0][:72]}" for c in cards[:6]]
        if len(cards) > 6:
            lines.append(f"… and {len(cards) - 6} more")
        self.query_one("#demo-cards", Static).update(
            ("Cards that link to it:\n" + "\n".join(lines) if lines else "No card links to it yet.")
            + "\nTab switches between the list and the result; arrows and Page Up/Down scroll it."
        )

    def action_params(self) -> None:
        self.query_one("#demo", DemoPanel).edit_params()

    @on(DemoPanel.ParamsWanted)
    def open_params(self, wanted: DemoPanel.ParamsWanted) -> None:
        from gistquiz.ui.screens.params import ParamsScreen

        form = ParamsScreen(wanted.demo, wanted.spec, wanted.params, wanted.seed, wanted.folder)
        self.app.push_screen(form, wanted.panel.use_params)

    def action_back(self) -> None:
        panel = self.query_one("#demo", DemoPanel)
        if panel.running:
            panel.cancel()
        else:
            self.app.pop_screen()
