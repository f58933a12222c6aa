"""Every review action is a button a finger can tap (issue 19, "Touch"): a browser tab turns a tap into a
click, so a review done with clicks alone, on the words the screen draws, must do what the keys do:
open the review, reveal, run the demo, each of the four ratings, and back. (``test_serve_browser.py`` taps
in a real browser; here Pilot clicks, where the page cannot be.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

from quick_demo import QUICK
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Static

from gistquiz.ui.app import GistQuizApp
from gistquiz.ui.screens.home import HomeScreen
from gistquiz.ui.screens.review import ReviewScreen
from gistquiz.ui.widgets.demo_panel import DemoPanel
from gistquiz.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
DECK = "# Tapped\n\n" + "\n".join(
    f"## Card {name}?\nid: {name}\n{'demo: quick' if name == 'one' else ''}\n\nAnswer {name}.\n"
    for name in ("one", "two", "three", "four")
)


def offset_of(widget: Widget, words: str) -> tuple[int, int]:
    """Where ``words`` is drawn in ``widget`` (its first cell, relative to the widget), to click there."""
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    for y, strip in enumerate(lines):
        if (x := strip.text.find(words)) >= 0:
            return x, y
    raise AssertionError(f"{words!r} not drawn in {widget!r}: {[s.text for s in lines]}")


async def settle(pilot, app) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def tap(pilot, app, selector: str, words: str) -> None:
    widget = app.screen.query_one(selector)
    assert await pilot.click(selector, offset=offset_of(widget, words)), f"{words!r}: the click hit nothing"
    await settle(pilot, app)


async def test_a_review_done_with_clicks_alone_reveals_runs_the_demo_rates_four_ways_and_goes_back(
    gistquiz_home: Path, tmp_path: Path
):
    decks, demos = tmp_path / "decks", tmp_path / "demos"
    decks.mkdir()
    demos.mkdir()
    (decks / "tapped.md").write_text(DECK)
    for helper in ("harness.py", "textreport.py"):
        shutil.copy(ROOT / "demos" / helper, demos / helper)
    (demos / "quick.py").write_text(QUICK)
    (gistquiz_home / "settings.toml").write_text("bundled_decks = false\nfuzz = false\n")
    app = GistQuizApp(Workspace(gistquiz_home, [decks], demos_folder=demos))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot, app)
        await tap(pilot, app, "KeyBar", "Enter Review")
        assert isinstance(app.screen, ReviewScreen)
        ratings = ("1 Again", "2 Hard", "3 Good", "4 Easy")
        for n, rating in enumerate(ratings):
            assert not app.screen.revealed
            await tap(pilot, app, "#answer-bar", "Show answer")
            assert app.screen.revealed
            if n == 0:  # the card with a demo: its Run button, then its result in place
                await tap(pilot, app, "KeyBar", "r Run")
                panel = app.screen.query_one("#demo", DemoPanel)
                status = panel.query_one("#demo-status", Static)
                for _ in range(200):
                    if not panel.running and "Finished" in str(status.render()):
                        break
                    await pilot.pause(0.05)
                assert "Finished" in str(status.render()), str(status.render())
            await tap(pilot, app, "#answer-bar", rating)
        await tap(pilot, app, "KeyBar", "Esc Back")
        assert isinstance(app.screen, HomeScreen)
    answered = [(key.rsplit(":", 1)[-1], rating) for _, key, _, rating, *_ in app.workspace.store.answer_rows()]
    assert answered == [("one", 1), ("two", 2), ("three", 3), ("four", 4)]
