"""What the home screen shows, as data: the deck table's rows, the hint, today's line, the problems.

One rule for both of its sources: the app's worker, which loads the decks and the store (and re-links edited
cards) after the first frame, and :mod:`gistquiz.first_frame`'s helper process, which looks at the same files
read-only while Textual imports, so that the first frame already has the table.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from gistquiz.overview import DeckCounts, Today
    from gistquiz.workspace import Workspace

ALL = "*"
"""The key of the "All decks" row."""


class Row(NamedTuple):
    key: str
    title: str
    problems: int
    """The deck's problem count (0: none)."""
    numbers: tuple[int, int, int, int]
    """New today, learning, due, total."""


class HomeView(NamedTuple):
    rows: list[Row]
    """"All decks" first when two or more decks have cards, then every deck, those with problems too."""
    cursor: str | None
    """The row the cursor goes to (a first run's bundled deck), or None: where it was."""
    hint: str
    today: str
    problems: list[str]
    """Every deck problem, one line each (as written: the screen makes it safe to show)."""
    relinks: list[str]
    """Every edited card whose history was just re-linked, one line each (as ``problems``)."""
    decks: int
    cards: int


def build(counts: list[DeckCounts], totals: Today, first_run: bool, relinks: list) -> HomeView:
    usable = [c for c in counts if c.deck.cards]
    rows: list[Row] = []
    if len(usable) > 1:
        sums = [sum(getattr(c, f) for c in usable) for f in ("today_new", "learning", "due", "total")]
        rows.append(Row(ALL, "All decks", 0, (sums[0], sums[1], sums[2], sums[3])))
    for c in counts:
        rows.append(Row(c.deck.key, c.deck.title, len(c.deck.errors), (c.today_new, c.learning, c.due, c.total)))
    cursor = None
    if first_run and usable:
        bundled = next((c for c in usable if c.deck.source == "bundled"), usable[0])
        cursor = bundled.deck.key
        hint = (
            f"Welcome! Enter starts reviewing “{bundled.deck.title}”: Space shows the answer, "
            "1-4 rate it, r runs its demo. ? lists every key."
        )
    elif not usable:
        hint = "No cards yet: write a deck (see the README) or run 'gistquiz new-deck NAME'."
    else:
        hint = "Enter: review the deck under the cursor · q: quiz it · ?: all keys"
    minutes, seconds = divmod(int(totals.seconds), 60)
    left = sum(c.learning + c.due + c.today_new for c in usable)
    today = f"Today: {totals.reviews} review(s) in {minutes}m {seconds:02d}s · {left} card(s) left to study"
    return HomeView(
        rows,
        cursor,
        hint,
        today,
        [str(e) for c in counts for e in c.deck.errors],
        [str(r) for r in relinks],
        len(counts),
        sum(len(c.deck.cards) for c in counts),
    )


def compute(ws: Workspace, now: datetime, relinks: list) -> HomeView:
    """The view of ``ws``'s decks and store at ``now`` (the decks loaded, ``relinks`` just made)."""
    from gistquiz.overview import deck_counts, today

    counts = deck_counts(ws.library.decks, ws.store, ws.scheduler, now)
    return build(counts, today(ws.store, ws.scheduler, now), ws.store.review_count() == 0, relinks)


def encode(view: HomeView) -> bytes:
    """The view as :mod:`marshal` bytes: the helper's pipe to the app, both one interpreter. (The first
    frame waits on the decoding: marshal is built in, where importing json cost 1 ms of it.)"""
    import marshal

    rows = [(r.key, r.title, r.problems, tuple(r.numbers)) for r in view.rows]  # built-in types only
    return marshal.dumps((rows, *view[1:4], list(view.problems), list(view.relinks), *view[6:]))


def decode(data: bytes) -> HomeView:
    """The view :func:`encode` wrote; ValueError, TypeError or EOFError for anything else. Only for the
    pipe from the helper this process started: marshal is not meant for bytes from elsewhere."""
    import marshal

    rows, cursor, hint, today, problems, relinks, decks, cards = marshal.loads(data)
    view = HomeView(
        [Row(k, t, p, (a, b, c, d)) for k, t, p, (a, b, c, d) in rows],
        cursor,
        hint,
        today,
        list(problems),
        list(relinks),
        decks,
        cards,
    )
    text = (view.hint, view.today, *view.problems, *view.relinks, *(s for r in view.rows for s in r[:2]))
    numbers = (view.decks, view.cards, *(n for r in view.rows for n in (r.problems, *r.numbers)))
    if (
        not all(type(t) is str for t in text)
        or not all(type(n) is int for n in numbers)
        or not (cursor is None or type(cursor) is str)
    ):
        raise ValueError("not a home view")
    return view


def look(ws: Workspace, now: datetime) -> HomeView | None:
    """:func:`compute` for a read-only workspace, or None when the app's load would change what it shows:
    a deck edited since its cards were last checked for re-linking (see :func:`gistquiz.relink.checked`).
    ``StoreError`` when the store is not one a read-only look takes (see ``Store.reader``)."""
    from gistquiz.relink import checked

    if not all(checked(deck, ws.store) for deck in ws.library.decks):
        return None
    return compute(ws, now, [])
