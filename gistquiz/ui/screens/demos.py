"""Demos: every demo with its claim and the cards that link to it; run any, with its parameters."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from gistquiz.registry import all_demos, problems
from gistquiz.ui.widgets.demo_panel import DemoPanel
from gistquiz.ui.widgets.key_bar import KeyBar, binding_keys

WRAP_FROM = 100
"""From this many columns a claim wraps onto a second line in the list; below, it is cut to one (the panel
under the list shows it whole)."""


def claim_lines(claim: str, width: int, lines: int) -> Text:
    """The claim wrapped at ``width`` into at most ``lines`` lines, the last one ending in "…" if cut."""
    text = Text(claim)
    wrapped = text.wrap(Console(width=width), width, overflow="fold")
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1].truncate(width - 1)
        wrapped[-1].rstrip()
        wrapped[-1].append("…")
    return Text("\n").join(wrapped)


class DemosScreen(Screen[None]):
    """The list keeps the keys (arrows pick, r runs the demo under the cursor); Page Up/Down scroll the result
    below it, which has the rest of the screen to itself."""

    DEFAULT_CSS = """
    #demo-list {
        height: auto;
        max-height: 40%;
        margin: 0 1;
    }
    #demo-view {
        height: 1fr;
        padding: 0 1;
    }
    #demo-view DemoPanel {
        margin-top: 0;
    }
    #demo-cards {
        margin: 1 0 0 0;
        color: $text-muted;
    }
    """

    BINDINGS = [
        Binding("r", "run", "Run"),
        Binding("p", "params", "Parameters"),
        Binding("pagedown", "scroll_result(1)", "Scroll", key_display="PgUp/PgDn", priority=True),
        Binding("pageup", "scroll_result(-1)", "Scroll", show=False, priority=True),
        Binding("escape", "back", "Back"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        table: DataTable[Any] = DataTable(id="demo-list", cursor_type="row")
        table.add_column("Demo", key="name")
        table.add_column("Cards", key="cards")
        table.add_column("What it shows", key="claim")
        yield table
        with VerticalScroll(id="demo-view", can_focus=False):
            yield DemoPanel(id="demo")
            yield Static("", id="demo-cards", markup=False)
        yield KeyBar(binding_keys(self.BINDINGS))  # Textual's Footer cut "^q Quit" at 80 columns

    def on_mount(self) -> None:
        self.title = "Demos"
        self.sub_title = ""
        ws = self.app.workspace
        self.demos = all_demos(ws.demo_folders)
        for problem in problems(ws.demo_folders):  # a user file named like a bundled one: not used
            self.notify(problem, severity="warning", timeout=10)
        self.linked: dict[str, list] = {}
        for card in ws.library.cards():
            if card.demo:
                self.linked.setdefault(card.demo, []).append(card)
        self.fill_list(self.size.width)
        self.query_one("#demo-list", DataTable).focus()
        view = self.query_one("#demo-view", VerticalScroll)
        for attribute in ("virtual_size", "size"):  # what decides whether the result scrolls
            self.watch(view, attribute, lambda _: self.refresh_bindings(), init=False)
        if self.demos:
            self.select(self.demos[0].name)

    def fill_list(self, width: int) -> None:
        """One row per demo, the claim in the width left over (re-done on resize: the claim column follows it)."""
        table = self.query_one("#demo-list", DataTable)
        names = max((len(d.name) for d in self.demos), default=4)
        claim_width = max(12, width - names - 5 - 2 - 6 - 2)  # the other columns, their padding, margins, scrollbar
        lines = 2 if width >= WRAP_FROM else 1
        row = table.cursor_row
        table.clear()
        table.columns["claim"].width = claim_width
        table.columns["claim"].auto_width = False
        for d in self.demos:
            shown = claim_lines(d.claim, claim_width - 1, lines)  # -1: the table's own cell padding
            cells = (Text(d.name), str(len(self.linked.get(d.name, []))), shown)  # Text: a learner's demo's words
            table.add_row(*cells, key=d.name, height=len(shown.split()))
        if self.demos:
            table.move_cursor(row=min(row, len(self.demos) - 1))

    def on_resize(self, event: events.Resize) -> None:
        if getattr(self, "demos", None):
            self.fill_list(event.size.width)

    @on(DataTable.RowHighlighted, "#demo-list")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value:
            self.select(event.row_key.value)

    def under_cursor(self) -> str | None:
        table = self.query_one("#demo-list", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    @on(DataTable.RowSelected, "#demo-list")
    def action_run(self) -> None:
        """Run the demo under the cursor (the panel may still show another: the cursor moved during a run)."""
        name = self.under_cursor()
        if name is not None:
            self.select(name)
        self.query_one("#demo", DemoPanel).run()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "scroll_result":  # in the bar only when there is something to scroll
            return self.query_one("#demo-view", VerticalScroll).max_scroll_y > 0
        return True

    def action_scroll_result(self, pages: int) -> None:
        view = self.query_one("#demo-view", VerticalScroll)
        if pages > 0:
            view.scroll_page_down(animate=False)
        else:
            view.scroll_page_up(animate=False)

    def select(self, name: str) -> None:
        panel = self.query_one("#demo", DemoPanel)
        if panel.running or panel.demo == name:
            return
        ws = self.app.workspace
        panel.show_card(None, ws.demo_folders, ws.demo_cache, demo=name)
        self.query_one("#demo-view", VerticalScroll).scroll_home(animate=False)
        cards = self.linked.get(name, [])
        lines = [f"• {c.front.splitlines()[0][:72]}" for c in cards[:6]]
        if len(cards) > 6:
            lines.append(f"… and {len(cards) - 6} more")
        self.query_one("#demo-cards", Static).update(
            "Cards that link to it:\n" + "\n".join(lines) if lines else "No card links to it yet."
        )

    def action_params(self) -> None:
        name = self.under_cursor()
        if name is not None:
            self.select(name)
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
