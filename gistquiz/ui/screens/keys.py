"""``?``: every key of the screen underneath, its own first (what works now, then the rest), then the generic ones.

A screen may add rows its bindings cannot say (``KEYS_HELP``: ``[("a-h", "Pick an option")]``).

Textual's help panel is narrow and leads with the focused widget's cursor keys; a newcomer asking
"what can I press here?" wants this screen's keys. Esc or ``?`` closes it.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from gistquiz.ui.widgets.key_bar import KeyBar, key_name


def screen_keys(screen: Screen) -> list[tuple[str, list[tuple[str, str]]]]:
    """Sections of (key, what it does): this screen's keys now, its other keys, then the generic ones."""
    now: list[tuple[str, str]] = []
    bars = screen.query(KeyBar)
    if bars:
        now = [(k.key, k.label) for k in bars.first().keys]
    listed = {key for key, _ in now}
    other: list[tuple[str, str]] = [row for row in getattr(screen, "KEYS_HELP", []) if row[0] not in listed]
    for b in screen.BINDINGS:
        if not isinstance(b, Binding) or not b.description:
            continue
        name = key_name(b)
        if name not in listed:
            listed.add(name)
            other.append((name, b.description))
    focused = screen.focused
    cursor: list[tuple[str, str]] = []
    if focused is not None:
        for b in focused.BINDINGS:
            if isinstance(b, Binding) and b.description and key_name(b) not in listed:
                cursor.append((key_name(b), b.description))
    sections = [
        ("This screen, now" if bars else "This screen", now or other),
        ("Also on this screen", other if now else []),
        ("Everywhere", [("Tab / Shift+Tab", "Move the focus"), ("? or F1", "Keys (this list)"), ("^q", "Quit")]),
        (f"In the focused {type(focused).__name__}" if focused is not None else "", cursor),
    ]
    return [(title, rows) for title, rows in sections if rows]


class KeysScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    KeysScreen {
        align: center middle;
    }
    KeysScreen > VerticalScroll {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    """

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", key_display="?"),
        Binding("f1", "close", "Close"),
    ]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.sections = screen_keys(under)
        self.under_title = under.title or ""

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.table(), id="keys-list", markup=False)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).border_title = f"Keys: {self.under_title}" if self.under_title else "Keys"
        self.query_one(VerticalScroll).border_subtitle = "Esc closes"

    def table(self) -> Group:
        width = max(len(key) for _, rows in self.sections for key, _ in rows)
        parts: list[Text | Table] = []
        for n, (title, rows) in enumerate(self.sections):
            parts.append(Text(("\n" if n else "") + title, style="underline"))
            table = Table.grid(padding=(0, 2))
            table.add_column(no_wrap=True, style="bold", min_width=width)
            table.add_column()
            for key, what in rows:
                table.add_row(key, what)
            parts.append(table)
        return Group(*parts)

    def action_close(self) -> None:
        self.dismiss(None)
