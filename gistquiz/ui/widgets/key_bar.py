"""A footer of the keys that work now: one clickable entry per key, wrapped onto a second row when narrow.

Textual's ``Footer`` rebuilds a widget per key whenever the focus moves; on the review screen the
focus moves with every typed card, and that rebuild was most of a keypress's time. This bar is one
``Static``: a screen hands it the keys that work in its current state (:meth:`KeyBar.show`), and it
redraws only when that list changes. It never cuts an entry: at 80 columns the review's keys fit on
one row, and where they do not (60 columns) the bar grows to two rows rather than lose ``Esc Back``,
``? Keys`` or ``^q Quit``.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widgets import Static

KEY_NAMES = {
    "space": "Space",
    "escape": "Esc",
    "enter": "Enter",
    "question_mark": "?",
    "slash": "/",
    "tab": "Tab",
    "ctrl+q": "^q",
    "ctrl+z": "^z",
    "f1": "F1",
}
GAP = "  "


@dataclass(frozen=True)
class Key:
    """One entry of the bar: the key as shown (``Space``, ``1-4``), what it does, and the action a click runs."""

    key: str
    label: str
    action: str


APP_KEYS = (Key("?", "Keys", "app.toggle_keys"), Key("^q", "Quit", "app.quit"))
"""Keys every screen has; always last in the bar."""
TYPING_APP_KEYS = (Key("F1", "Keys", "app.toggle_keys"), Key("^q", "Quit", "app.quit"))
"""The same while a text box has the focus, where ``?`` is typed."""


def key_name(binding: Binding) -> str:
    return binding.key_display or KEY_NAMES.get(binding.key, binding.key)


def binding_keys(bindings: list[Binding]) -> list[Key]:
    """The entries for a screen whose keys do not change with its state: its bindings with ``show=True``."""
    return [Key(key_name(b), b.description, f"screen.{b.action}") for b in bindings if b.show]


def key_rows(keys: list[Key], width: int) -> Text:
    """The entries laid out in rows of at most ``width`` cells, breaking only between entries."""
    text = Text(no_wrap=True, overflow="ellipsis")
    used = 0
    for k in keys:
        size = len(k.key) + 1 + len(k.label)
        if used and used + len(GAP) + size > width:
            text.append("\n")
            used = 0
        elif used:
            text.append(GAP)
            used += len(GAP)
        click = Style(meta={"@click": k.action})
        text.append(k.key, style=Style(bold=True) + click)
        text.append(f" {k.label}", style=click)
        used += size
    return text


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: auto;
        max-height: 3;
        background: $footer-background;
        color: $footer-foreground;
        padding: 0 0 0 1;
    }
    """

    def __init__(self, keys: list[Key] | None = None, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.keys: list[Key] = list(keys or [])
        """The screen's keys shown, in order (the app's ``?`` and ``^q`` follow them)."""
        self.typing = False
        """A text box has the focus: the bar offers F1 for the key list, since ``?`` would be typed."""
        self._laid_out: tuple[tuple[Key, ...], int] | None = None

    def show(self, keys: list[Key], typing: bool = False) -> None:
        """Show these keys (a screen calls this when its state changes); a no-op when nothing changed."""
        if keys != self.keys or typing != self.typing:
            self.keys = list(keys)
            self.typing = typing
            self._lay_out()

    def on_mount(self) -> None:
        self._lay_out()

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out()

    def _lay_out(self) -> None:
        width = self.size.width or 79  # inside the padding; before the first layout, assume 80 columns
        keys = tuple(self.all_keys)
        if self._laid_out != (keys, width):
            self._laid_out = (keys, width)
            self.update(key_rows(list(keys), width))

    @property
    def all_keys(self) -> list[Key]:
        """Every entry the bar shows, the app's included."""
        return [*self.keys, *(TYPING_APP_KEYS if self.typing else APP_KEYS)]
