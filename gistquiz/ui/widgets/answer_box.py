"""The box a typed answer goes into: an ``Input`` with its own undo on Ctrl+Z.

Textual's ``Input`` has no undo, so Ctrl+Z in it fell through to the review screen, which undid the
previous card's rating and threw away what had been typed. The box's Ctrl+Z is the box's: it steps
back through what was typed on this card, and does nothing more once the box is back to empty.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input

HISTORY = 200
"""Edits kept for undo (one per keystroke; a typed answer is short)."""


class AnswerBox(Input):
    BINDINGS = [Binding("ctrl+z", "undo_typing", "Undo typing", show=False)]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.history: list[str] = []
        self._undoing = False

    def clear_answer(self) -> None:
        """A fresh, empty box for the next card (nothing to undo into from the last one)."""
        self._undoing = True
        self.value = ""
        self._undoing = False
        self.history.clear()

    def watch_value(self, old: str, new: str) -> None:
        if not self._undoing and old != new:
            self.history = [*self.history[-HISTORY + 1 :], old]

    def action_undo_typing(self) -> None:
        if not self.history:
            return
        self._undoing = True
        self.value = self.history.pop()
        self.cursor_position = len(self.value)
        self._undoing = False
