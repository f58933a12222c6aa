"""The anchor for the app benchmarks: the smallest Textual app, one ``Static``, and a key that changes it.

    python benchmarks/hello_textual.py

``bench_app.py`` starts it in the same pseudo-terminal harness as ``gistquiz`` (first paint: its text on
screen) and drives it with the same keypress loop (the key flips the text), interleaved with the app.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

TEXT = "Hello, world"


class HelloApp(App[None]):
    presses = 0

    def compose(self) -> ComposeResult:
        yield Static(TEXT, id="hello")

    def on_key(self, event) -> None:
        self.presses += 1
        self.query_one("#hello", Static).update(f"{TEXT} {self.presses}")


if __name__ == "__main__":
    HelloApp().run()
