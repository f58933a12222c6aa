"""Priority keys in the order typed.

Textual runs a priority binding as soon as the app reads its key, while the keys typed just before it may
still wait their turn: typed fast, pasted, sent by tmux, or on a busy machine. Then ``paris`` + Enter
checks ``par``, Down + Enter opens the deck above the one chosen, and Ctrl+S saves the text without its
last letters.

A key the app does not take at once goes to the focused widget's queue; what the widget does not handle
itself bubbles up, one queue at a time, to its parents, the screen and the app, which runs the binding
(Down in a table, Backspace in a text area). :func:`after_queued_keys` sends the action along the same
path, so it runs after every key typed before it has done what it does.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from textual.dom import DOMNode
from textual.screen import Screen


def after_queued_keys(action: Callable[..., Any]) -> Callable[..., None]:
    """Decorate a screen's action bound with ``priority=True`` so it runs after the focused widget's queue."""

    @functools.wraps(action)
    def run(self: Screen, *args: Any) -> None:
        focused = self.focused
        if focused is None or not focused.is_attached:
            action(self, *args)
        else:
            focused.call_later(_relay, focused, lambda: action(self, *args))

    return run


async def _relay(node: DOMNode, then: Callable[[], object]) -> None:
    """Pass ``then`` up from ``node`` as a bubbling key goes, one queue at a time, and run it at the app."""
    parent = node.parent
    if parent is None:
        done = then()
        if inspect.isawaitable(done):  # an async action
            await done
    else:
        parent.call_later(_relay, parent, then)
