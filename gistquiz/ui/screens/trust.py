"""The question before code the learner did not write with gistquiz first runs (see :mod:`gistquiz.trust`)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class TrustScreen(ModalScreen[bool]):
    """``trust.question``'s text, and Run (y) / Do not run (n, Esc): returns whether the learner said yes.

    No is the default button: Enter on the opened dialog runs nothing.
    """

    DEFAULT_CSS = """
    TrustScreen {
        align: center middle;
    }
    TrustScreen > Vertical {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $warning;
        background: $surface;
        padding: 1 2;
    }
    TrustScreen Horizontal {
        height: auto;
        margin-top: 1;
    }
    TrustScreen Button {
        margin-right: 2;
    }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Run"),
        Binding("n", "answer(False)", "Do not run"),
        Binding("escape", "answer(False)", "Do not run"),
    ]

    def __init__(self, question: str, yes: str = "Run it"):
        super().__init__()
        self.question, self.yes = question, yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="trust-question", markup=False)
            with Horizontal():
                yield Button(f"{self.yes} (y)", id="yes", variant="warning")
                yield Button("Do not run (n)", id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
