"""The anchor for the app benchmarks: the smallest Textual app, one ``Static``, and a key that changes it.

    python benchmarks/hello_textual.py

``bench_app.py`` starts it in the same pseudo-terminal harness as ``gistquiz`` (first paint: its text on
screen) and drives it with the same keypress loop (the key flips the text), interleaved with the app.
"""

from __future__ import annotations

import gc
import sys

if __name__ == "__main__" and sys.argv[1:] in (["--home-floor"], ["--table-floor"]):
    gc.disable()  # the floors start as gistquiz does (cli.cmd_app): no collector until the first paint

from textual import work  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.content import Content, Span  # noqa: E402
from textual.style import Style  # noqa: E402
from textual.widgets import Static  # noqa: E402

TEXT = "Hello, world"

# The floors' bars as gistquiz's screens draw them (its key bar and the review's answer bar), with Textual alone:
# each entry runs an action when clicked (for the mouse and the browser tab), a key in bold, the footer's colours.
BARS_CSS = """
#keys { dock: bottom; height: 1; background: $footer-background; color: $footer-foreground; padding: 0 0 0 1; }
#answer-bar { height: 1; margin-bottom: 1; text-align: center; }
#progress { height: 1; padding: 0 1; color: $text-muted; }
"""
HOME_KEYS = [("Enter", "Review"), ("q", "Quiz"), ("d", "Demos"), ("s", "Stats"), ("/", "Search"), ("r", "Reload")]
FRONT_KEYS = [("Space", "Show answer"), ("u", "Undo"), ("s", "Suspend"), ("b", "Bury"), ("e", "Edit"), ("Esc", "Back")]
APP_KEYS = [("?", "Keys"), ("^q", "Quit")]
BOLD, REVERSE = Style(bold=True), Style(reverse=True)


def key_bar(entries: list[tuple[str, str]]) -> Content:
    """One row of ``KEY Label`` entries, two spaces apart, each clickable, its key in bold."""
    text, spans, at = [], [], 0
    for key, label in entries:
        entry = f"{key} {label}"
        click = Style.from_meta({"@click": f"app.key_{label.lower()}"})
        spans += [Span(at, at + len(entry), click), Span(at, at + len(key), BOLD)]
        text.append(entry)
        at += len(entry) + 2
    return Content("  ".join(text), spans)


def button(label: str, action: str) -> tuple[str, Style]:
    return f" {label} ", REVERSE + Style.from_meta({"@click": action})


class HelloApp(App[None]):
    presses = 0

    def compose(self) -> ComposeResult:
        yield Static(TEXT, id="hello")

    def on_key(self, event) -> None:
        self.presses += 1
        self.query_one("#hello", Static).update(f"{TEXT} {self.presses}")


if __name__ == "__main__" and not sys.argv[1:]:
    HelloApp().run()


class CardFloorApp(App[None]):
    """The floor of a review keypress: the review screen's widgets, repainted with a card's Markdown.

    No session, no scheduler, no store: Space shows the back under a rule, ``3`` shows the next front and
    clears the back, and both rewrite the progress and answer bars, as the review screen does. What a
    review keypress costs beyond this is gistquiz's own work.
    """

    CSS = "#card { height: 1fr; }" + BARS_CSS
    BINDINGS = [("space", "reveal"), ("3", "next")]

    def __init__(self, cards: list[tuple[str, str]]):
        super().__init__()
        self.cards = cards
        self.index = 0
        self.revealed = False

    def compose(self) -> ComposeResult:
        from textual.containers import VerticalScroll
        from textual.widgets import Header, Input

        yield Header()
        with VerticalScroll(id="card"):
            yield Static("", id="front")
            yield Input(id="typed")
            yield Static("", id="grade")
            yield Static("", id="back")
        yield Static("", id="progress")
        yield Static("", id="answer-bar")
        yield Static("", id="keys")

    def on_mount(self) -> None:
        self.query_one("#typed").display = False
        self.show(0)

    def markdown(self, widget_id: str, text: str, rule: bool = False) -> None:
        from rich.console import Group
        from rich.markdown import Markdown
        from rich.rule import Rule

        content = Markdown(text, code_theme="ansi_dark") if text else ""
        if rule and text:
            content = Group(Rule(), content)
        self.query_one(f"#{widget_id}", Static).update(content)

    def show(self, index: int) -> None:
        self.index, self.revealed = index, False
        self.markdown("front", self.cards[index % len(self.cards)][0])
        self.markdown("back", "")
        bar = Content.assemble(button("Show answer", "app.reveal"), "  Space")
        self.query_one("#answer-bar", Static).update(bar, layout=False)
        self.query_one("#progress", Static).update(f"{len(self.cards) - index} left · {index} answered", layout=False)
        self.query_one("#keys", Static).update(key_bar(FRONT_KEYS + APP_KEYS), layout=False)

    def action_reveal(self) -> None:
        self.revealed = True
        self.markdown("back", self.cards[self.index % len(self.cards)][1], rule=True)
        ratings = [("1 Again 1m", 1), ("2 Hard 6m", 2), ("3 Good 10m", 3), ("4 Easy 2d", 4)]
        bar = Content.assemble(*(part for label, r in ratings for part in (button(label, f"app.rate({r})"), "  ")))
        self.query_one("#answer-bar", Static).update(bar, layout=False)
        self.query_one("#keys", Static).update(key_bar(FRONT_KEYS[1:] + APP_KEYS), layout=False)

    def action_next(self) -> None:
        self.show(self.index + 1)


class HomeFloorApp(App[None]):
    """The floor of gistquiz's first paint: its home screen's widgets and styles, and nothing of gistquiz.

    The same tree (a header, the hint, an empty deck table, three more lines, a one-row key bar) under the
    same CSS, drawn by Textual alone: no command-line parsing, no workspace, no gistquiz module. What the
    first paint costs beyond this is gistquiz's own code; what this costs beyond :class:`HelloApp` is the
    widgets the screen shows.
    """

    TITLE, SUB_TITLE = "gistquiz", "notes that prove themselves"
    CSS = (
        """
    HeaderIcon { display: none; }
    #home { padding: 0 1; }
    #hint { color: $text-muted; margin: 1 0; }
    #decks { height: auto; max-height: 14; }
    #today, #reloaded { margin-top: 1; }
    #reloaded { display: none; }
    #problems { margin-top: 1; color: $warning; }
    """
        + BARS_CSS
    )

    def compose(self) -> ComposeResult:
        from textual.containers import Vertical
        from textual.widgets import DataTable, Header

        yield Header()
        with Vertical(id="home"):
            yield Static("Loading decks…", id="hint")
            yield DataTable(id="decks", cursor_type="row", zebra_stripes=True)
            yield Static("", id="today")
            yield Static("", id="reloaded")
            yield Static("", id="problems")
        yield Static(key_bar(HOME_KEYS + APP_KEYS), id="keys")

    def on_mount(self) -> None:
        self.call_after_refresh(self.after_first_paint)

    def after_first_paint(self) -> None:
        if not gc.isenabled():  # as gistquiz's home screen does
            gc.freeze()
            gc.enable()


class TableFloorApp(HomeFloorApp):
    """The floor of the deck table: :class:`HomeFloorApp`, then, from its first idle after the first paint, the
    same numbers from the same files with the standard library alone, in a thread as gistquiz's home screen does.

    It reads every deck's entry in gistquiz's parse cache (``$GISTQUIZ_HOME/cache/decks``: one JSON line of
    key, one of cards by column) after hashing the deck file it names, as the cache's check does; counts
    each deck's cards, the ones the review database has never seen, the ones learning and the ones due today
    (one ``SELECT`` of the ``cards`` table), and today's answers and time (one of ``reviews``); and fills what
    gistquiz's home fills: the table's five columns with an "All decks" row above two or more decks, the
    hint, today's line. (Its New column counts the cards never answered, where gistquiz's shows today's share
    of them under the daily limit: on the bundled decks, numbers of the same width.) No scheduler, no gistquiz
    module:
    what the table costs beyond this is gistquiz's own code. It assumes a warm cache (``bench_app.py`` starts
    gistquiz first).
    """

    started = False

    def on_idle(self) -> None:
        if not self.started:  # as gistquiz's home screen does: the load starts at the first idle, after the paint
            self.started = True
            self.load()

    @work(thread=True)
    def load(self) -> None:
        import hashlib
        import json
        import os
        import sqlite3
        from datetime import UTC, datetime, timedelta
        from pathlib import Path

        home = Path(os.environ["GISTQUIZ_HOME"])
        decks = []
        for entry in sorted((home / "cache" / "decks").glob("*.json")):
            key_line, body_line = entry.read_text(encoding="utf-8").split("\n", 1)
            key = json.loads(key_line)["key"]
            hashlib.blake2b(Path(key["path"]).read_bytes()).hexdigest()  # the cache's freshness check
            body = json.loads(body_line)
            decks.append((body["title"], set(body["cards"]["key"])))
        decks.sort()
        now = datetime.now(UTC)
        tomorrow = (now + timedelta(days=1)).isoformat()
        # Read as gistquiz's first-frame look reads (store.Store.reader): immutable, no lock and no side file
        # (a plain read-only open leaves -wal and -shm behind, and gistquiz's look then defers to a full open)
        with sqlite3.connect(f"{(home / 'gistquiz.sqlite3').as_uri()}?mode=ro&immutable=1", uri=True) as db:
            rows = db.execute("SELECT key, state, due FROM cards").fetchall()
            reviews, ms = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(duration_ms), 0) FROM reviews WHERE reviewed_at >= ?",
                (now.replace(hour=0, minute=0, second=0).isoformat(),),
            ).fetchone()
        seen = {k for k, _, _ in rows}
        learning = {k for k, state, d in rows if state in (1, 3) and d and d < tomorrow}
        due = {k for k, state, d in rows if state == 2 and d and d < tomorrow}
        counts = [(t, len(keys - seen), len(keys & learning), len(keys & due), len(keys)) for t, keys in decks]
        if len(counts) > 1:
            counts.insert(0, ("All decks", *(sum(c[i] for c in counts) for i in range(1, 5))))
        self.call_from_thread(self.show, counts, reviews, ms)

    def show(self, counts: list[tuple[str, int, int, int, int]], reviews: int, ms: int) -> None:
        from rich.text import Text
        from textual.widgets import DataTable

        table = self.query_one("#decks", DataTable)
        names = ("New", "Learning", "Due", "Total")
        widths = [max(len(n), *(len(str(c[i + 1])) for c in counts)) for i, n in enumerate(names)]
        title_width = max(8, min(self.size.width - sum(w + 2 for w in widths) - 6, max(len(c[0]) for c in counts)))
        table.add_column(Text("Deck"), width=title_width)  # as gistquiz: labels and titles as Text, no markup
        for name in names:
            table.add_column(Text(name))
        for title, *numbers in counts:
            table.add_row(Text(title[:title_width]), *numbers)
        first = int(len(counts) > 1)  # the first deck's row, below "All decks"
        table.move_cursor(row=first)
        self.query_one("#hint", Static).update(
            f"Welcome! Enter starts reviewing “{counts[first][0]}”: Space shows the answer, 1-4 rate it, r runs its "
            "demo. ? lists every key."
        )
        minutes, seconds = divmod(ms // 1000, 60)
        left = sum(c[1] + c[2] + c[3] for c in counts[first:])
        self.query_one("#today", Static).update(
            f"Today: {reviews} review(s) in {minutes}m {seconds:02d}s · {left} card(s) left to study"
        )


if __name__ == "__main__" and sys.argv[1:] == ["--home-floor"]:
    HomeFloorApp().run()
if __name__ == "__main__" and sys.argv[1:] == ["--table-floor"]:
    TableFloorApp().run()
