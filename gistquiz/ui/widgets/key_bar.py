"""A footer drawn once: the screen's keys as one line of clickable text.

Textual's ``Footer`` rebuilds a widget per key whenever the focus moves; on the review screen the
focus moves with every typed card, and that rebuild was most of a keypress's time. This bar shows
the same keys (those with ``show=True``) and never changes.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static

KEY_NAMES = {"space": "Space", "escape": "Esc", "enter": "Enter", "question_mark": "?"}


def key_bar_text(bindings: list[Binding]) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    keys = [
        (b.key_display or KEY_NAMES.get(b.key, b.key), b.description, f"screen.{b.action}") for b in bindings if b.show
    ]
    keys += [("?", "Keys", "app.toggle_keys"), ("^q", "Quit", "app.quit")]
    for key, description, action in keys:
        click = Style(meta={"@click": action})
        text.append(key, style=Style(bold=True) + click)
        text.append(f" {description}  ", style=click)
    return text


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
        padding: 0 1;
    }
    """
