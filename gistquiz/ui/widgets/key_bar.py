"""A footer of the keys that work now: one clickable entry per key, wrapped onto a second row when narrow.

Textual's ``Footer`` rebuilds a widget per key whenever the focus moves; on the review screen the
focus moves with every typed card, and that rebuild was most of a keypress's time. This bar is one
``Static``: a screen hands it the keys that work in its current state (:meth:`KeyBar.show`), and it
redraws only when that list changes. It never cuts an entry: at 80 columns the review's keys fit on
one row, and where they do not (60 columns) the bar grows to two rows rather than lose ``Esc Back``,
``? Keys`` or ``^q Quit``.

A bar that follows a scrolling view (:meth:`KeyBar.follow`) names its scroll key when, and only when,
the view's content is taller than the view: ``PgDn More`` while there is more below, ``PgUp Up`` at the
end. On a row that is already full the entry takes the place of the screen's least important keys
(those it marks ``gives_way``, highest first), which still work and stay in ``?``'s list: a newcomer
learns the card scrolls, and the bar keeps its rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from textual import events
from textual.binding import Binding
from textual.content import Content, Span
from textual.style import Style
from textual.widget import Widget
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
    "pagedown": "PgDn",
    "pageup": "PgUp",
}
GAP = "  "
_BOLD = Style(bold=True)


class Key(NamedTuple):
    """One entry of the bar: the key as shown (``Space``, ``1-4``), what it does, and the action a click runs.

    A named tuple, not a dataclass: it is created before the first frame, where a frozen dataclass's
    generated methods cost 0.4 ms of the start and a named tuple's 0.06 (timeit)."""

    key: str
    label: str
    action: str
    gives_way: int = 0
    """0: always shown; else the entry may be left out to make room for the scroll key, highest first."""


MORE = Key("PgDn", "More", "page_down")
"""The followed view's content goes on below (the action is the bar's own: a click scrolls the view)."""
UP = Key("PgUp", "Up", "page_up")
"""The followed view is scrolled to the end of a content taller than itself."""
APP_KEYS = (Key("?", "Keys", "app.toggle_keys"), Key("^q", "Quit", "app.quit"))
"""Keys every screen has; always last in the bar."""
TYPING_APP_KEYS = (Key("F1", "Keys", "app.toggle_keys"), Key("^q", "Quit", "app.quit"))
"""The same while a text box has the focus, where ``?`` is typed."""


def key_name(binding: Binding) -> str:
    return binding.key_display or KEY_NAMES.get(binding.key, binding.key)


def binding_keys(bindings: list[Binding]) -> list[Key]:
    """The entries for a screen whose keys do not change with its state: its bindings with ``show=True``."""
    return [Key(key_name(b), b.description, f"screen.{b.action}") for b in bindings if b.show]


def with_scroll_key(keys: list[Key], scroll: Key, width: int, app_keys: int) -> list[Key]:
    """``keys`` with ``scroll`` before the last ``app_keys`` entries, in no more rows than ``keys`` take at
    ``width``: the entries that give way (highest ``gives_way`` first, the later of a tie) leave room."""
    rows = _row_count(keys, width)
    out = [*keys[: len(keys) - app_keys], scroll, *keys[len(keys) - app_keys :]]
    while _row_count(out, width) > rows:
        spare = [k for k in out if k.gives_way]
        if not spare:
            break  # nothing gives way: one row more rather than hide that the view scrolls
        out.remove(max(reversed(spare), key=lambda k: k.gives_way))
    return out


def _row_count(keys: list[Key], width: int) -> int:
    return 1 + sum(new_row for _, new_row in _placed(keys, width))


def _placed(keys: list[Key], width: int) -> Iterator[tuple[Key, bool]]:
    """Each entry, and whether it starts a new row: rows of at most ``width`` cells, broken only between
    entries (arithmetic only: the row count is asked for at every keypress, the text only when it changes)."""
    used = 0
    for k in keys:
        size = len(k.key) + 1 + len(k.label)
        new_row = bool(used) and used + len(GAP) + size > width
        used = (0 if new_row or not used else used + len(GAP)) + size
        yield k, new_row


def key_rows(keys: list[Key], width: int) -> Content:
    """The entries laid out in rows of at most ``width`` cells, breaking only between entries.

    Built as Textual's own ``Content`` (each entry one click span, its key a bold span inside it): a Rich
    ``Text`` is converted to it at every update, which made an update and repaint of the bar 40% dearer
    (timeit: 398 against 286 us at 80 columns), twice a review keypress."""
    parts: list[str] = []
    spans: list[Span] = []
    at = 0
    for i, (k, new_row) in enumerate(_placed(keys, width)):
        if i:
            parts.append("\n" if new_row else GAP)
            at += 1 if new_row else len(GAP)
        entry = f"{k.key} {k.label}"
        spans.append(Span(at, at + len(entry), Style.from_meta({"@click": k.action})))
        spans.append(Span(at, at + len(k.key), _BOLD))
        parts.append(entry)
        at += len(entry)
    return Content("".join(parts), spans)


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: auto;
        max-height: 3;
        background: $footer-background;
        color: $footer-foreground;
        padding: 0 0 0 1;
        text-wrap: nowrap;  /* rows are laid out by key_rows; an entry wider than the bar ends in "…" */
        text-overflow: ellipsis;
    }
    """

    def __init__(self, keys: list[Key] | None = None, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.keys: list[Key] = list(keys or [])
        """The screen's keys shown, in order (the app's ``?`` and ``^q`` follow them)."""
        self.typing = False
        """A text box has the focus: the bar offers F1 for the key list, since ``?`` would be typed."""
        self.view: Widget | None = None
        """The scrolling view whose scroll key the bar names when its content overflows (see :meth:`follow`)."""
        self._laid_out: tuple[tuple[Key, ...], int] | None = None
        self._rows = 0

    def show(self, keys: list[Key], typing: bool = False) -> None:
        """Show these keys (a screen calls this when its state changes); a no-op when nothing changed."""
        if keys != self.keys or typing != self.typing:
            self.keys = list(keys)
            self.typing = typing
            self._lay_out()

    def follow(self, view: Widget) -> None:
        """Name ``view``'s scroll key while its content is taller than it is (call once both are mounted).

        The screen's layout refresh covers a new card, a revealed answer, a demo's result and a resized
        terminal; scrolling moves between ``PgDn More`` and ``PgUp Up``.
        """
        self.view = view
        self.watch(view, "scroll_y", self._lay_out, init=False)
        self.screen.screen_layout_refresh_signal.subscribe(self, lambda _: self._lay_out())
        self._lay_out()

    @property
    def scroll_key(self) -> Key | None:
        view = self.view
        if view is None or not view.is_attached or view.max_scroll_y <= 0:
            return None
        return MORE if round(view.scroll_y) < view.max_scroll_y else UP

    def action_page_down(self) -> None:
        if self.view is not None:
            self.view.scroll_page_down()

    def action_page_up(self) -> None:
        if self.view is not None:
            self.view.scroll_page_up()

    def on_mount(self) -> None:
        self._lay_out()

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out()

    def _lay_out(self) -> None:
        width = self.size.width or 79  # inside the padding; before the first layout, assume 80 columns
        keys = tuple(self.all_keys)
        if (scroll := self.scroll_key) is not None:
            keys = tuple(with_scroll_key(list(keys), scroll, width, len(APP_KEYS)))
        if self._laid_out != (keys, width):
            rows = _row_count(list(keys), width)
            same_rows = self._laid_out is not None and rows == self._rows
            self._laid_out, self._rows = (keys, width), rows
            # The bar's height is its row count: the screen is laid out again only when that changes.
            self.update(key_rows(list(keys), width), layout=not same_rows)

    @property
    def all_keys(self) -> list[Key]:
        """Every entry the bar shows, the app's included."""
        return [*self.keys, *(TYPING_APP_KEYS if self.typing else APP_KEYS)]
