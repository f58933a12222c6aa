"""Below the smallest size at which a review works, the screen says so in place; the keys keep working."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.widgets import Static

from gistquiz.deck import parse_deck
from gistquiz.ui.app import GistQuizApp
from gistquiz.ui.screens.review import ReviewScreen
from gistquiz.workspace import Workspace

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MIN_SIZE = (40, 12)  # the review works at 40×12 (issue 17)


async def test_a_tiny_terminal_shows_how_big_to_make_it_and_keys_still_answer(tmp_path):
    cards = parse_deck("# T\n\n## Question\n\nAnswer\n\n## Second\n\nTwo\n", "t.md", known_demos=set()).cards
    app = GistQuizApp(Workspace.open(tmp_path / "home"), clock=lambda: T0)
    async with app.run_test(size=(20, 8)) as pilot:
        await app.push_screen(ReviewScreen("T", cards))
        await pilot.pause()
        screen = app.screen
        notice = screen.query_one("#too-small", Static)
        assert notice.display and notice.region.height > 0
        assert f"at least {MIN_SIZE[0]}×{MIN_SIZE[1]}" in str(notice.render())
        assert screen.query_one("#card").region.height == 0  # the cut-off card is not drawn
        await pilot.press("space", "3")
        await pilot.pause()
        assert app.workspace.store.state(cards[0].key).reps == 1  # answered and on disk
        assert screen.card == cards[1]
        await pilot.resize_terminal(*MIN_SIZE)
        await pilot.pause()
        assert not notice.region.height and screen.query_one("#card").region.height > 0
        assert "Second" in screen.sources["front"]
