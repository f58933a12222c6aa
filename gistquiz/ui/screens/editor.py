"""The in-app editor: a card's Markdown section in a TextArea, saved with Ctrl+S (works in a browser tab too).

The file logic (section bounds, hash check, careful atomic write, parse check) is the core's
:mod:`gistquiz.deck_edit`; this screen only shows the text and says what went wrong, in place.
Ctrl+S because browsers keep Ctrl+R, Ctrl+W, Ctrl+T and Ctrl+N for themselves.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Header, Static, TextArea

from gistquiz.deck_edit import EditError, OpenSection, save_section
from gistquiz.ui.in_order import after_queued_keys
from gistquiz.ui.widgets.key_bar import KeyBar, binding_keys


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question: y or the first button says yes; n, Esc or the second button says no."""

    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
    }
    ConfirmScreen > Vertical {
        width: 50;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $warning;
        background: $surface;
        padding: 1 2;
    }
    ConfirmScreen.wide > Vertical {
        width: 76;
    }
    ConfirmScreen Horizontal {
        height: auto;
        margin-top: 1;
    }
    ConfirmScreen Button {
        margin-right: 2;
    }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, yes: str, no: str, wide: bool = False):
        super().__init__(classes="wide" if wide else "")
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="question", markup=False)
            with Horizontal():
                yield Button(f"{self.yes} (y)", id="yes", variant="warning")
                yield Button(f"{self.no} (n)", id="no", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class DiscardScreen(ConfirmScreen):
    """Asks before unsaved changes are thrown away: y or the button discards, n or Esc goes back."""

    def __init__(self) -> None:
        super().__init__("Discard your unsaved changes?", "Discard", "Keep editing")


def code_area(text: str, **kwargs) -> TextArea:
    """A TextArea for Python code: highlighted where Textual's ``syntax`` extra (tree-sitter) is installed,
    plain text otherwise (never an error: highlighting is a nicety)."""
    area = TextArea(text, show_line_numbers=True, tab_behavior="indent", **kwargs)
    if python_highlighting():
        try:
            area.language = "python"
        except Exception:  # LanguageDoesNotExist and friends: a broken grammar install stays plain
            area.language = None
    return area


def python_highlighting() -> bool:
    """Whether tree-sitter and its Python grammar import (gistquiz depends on both; a platform without
    their wheels gets plain text)."""
    try:
        from textual._tree_sitter import TREE_SITTER, get_language
    except ImportError:  # a private module of Textual's: if it moves, the code stays plain
        return False
    return bool(TREE_SITTER) and get_language("python") is not None


class EditorScreen(Screen[bool]):
    """Edit one section; dismisses with whether the file was written."""

    DEFAULT_CSS = """
    EditorScreen #where {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    EditorScreen #text {
        height: 1fr;
    }
    EditorScreen #problem {
        height: auto;
        max-height: 4;
        padding: 0 1;
        color: $error;
    }
    EditorScreen #buttons {
        height: auto;
        padding: 0 1;
    }
    EditorScreen #buttons Button {
        margin-right: 2;
    }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", key_display="^s", priority=True),
        Binding("escape", "close", "Close", priority=True),
    ]

    def __init__(self, opened: OpenSection, shown_path: str, known_demos: set[str] | None = None):
        super().__init__()
        self.opened = opened
        self.shown_path = shown_path
        self.known_demos = known_demos
        self.saved_text = opened.text

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"{self.shown_path}, line {self.opened.line}", id="where", markup=False)
        yield TextArea(self.opened.text, id="text", soft_wrap=True, show_line_numbers=True, tab_behavior="indent")
        yield Static("", id="problem", markup=False)
        with Horizontal(id="buttons"):  # tappable in a browser tab on a phone
            yield Button("Save (Ctrl+S)", id="save", variant="primary")
            yield Button("Close (Esc)", id="close")
        yield KeyBar(binding_keys(self.BINDINGS), id="keys")

    def on_mount(self) -> None:
        self.title = "Edit card"
        area = self.query_one("#text", TextArea)
        area.move_cursor((0, len(self.opened.text.split("\n", 1)[0])))
        area.focus()
        self.query_one("#keys", KeyBar).show(binding_keys(self.BINDINGS), typing=True)  # "?" is typed here

    @property
    def text(self) -> str:
        return self.query_one("#text", TextArea).text

    @property
    def dirty(self) -> bool:
        return self.text != self.saved_text

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_close()

    @after_queued_keys
    def action_save(self) -> None:
        problem = self.query_one("#problem", Static)
        try:
            # gistquiz wrote it, so its exercises' tests run without asking (see trust_written for when not)
            ws = self.app.workspace
            saved = save_section(self.opened, self.text, self.known_demos, ws.store, self.app.clock())
        except EditError as err:
            problem.update(f"Not saved: {err}")
            return
        self.dismiss(saved.changed)

    @after_queued_keys
    def action_close(self) -> None:
        if not self.dirty:
            self.dismiss(False)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(False)

        self.app.push_screen(DiscardScreen(), answered)
