"""Keys act in the order typed, even when they arrive at once (fast typing, a paste, tmux, a busy machine).

Pilot's ``press`` waits for the app to go idle after every key, so it never shows the race a terminal
delivers: several keys read in one go, a priority binding (Enter on home and in a quiz, Ctrl+S and Esc in
the editor) handled by the app at once while the keys before it still wait in the focused widget's queue.
:func:`burst` sends keys the way a terminal does. Each test failed before gistquiz/ui/in_order.py.
"""

from __future__ import annotations

from test_app import app, decks_dir, demos_dir, open_editor, open_tiny, settle, to_card  # noqa: F401 (fixtures)
from textual import events
from textual.widgets import DataTable, Static, TextArea

from gistquiz.ui.screens.quiz import QuizScreen
from gistquiz.ui.screens.review import ReviewScreen


def burst(app, *keys: str) -> None:
    """Queue ``keys`` as one read from the terminal would, without waiting between them."""
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(app)
        app._driver.send_message(event)


async def test_down_then_enter_at_once_opens_the_deck_the_cursor_moved_to(app, decks_dir):
    (decks_dir / "other.md").write_text("# Other\n\n## Two plus two?\nid: four\n\nfour\n")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one("#decks", DataTable)
        table.move_cursor(row=table.get_row_index("other"))
        await pilot.pause()
        burst(app, "down", "enter")  # "other", then "tiny" below it
        await settle(pilot, app)
        assert isinstance(app.screen, ReviewScreen)
        assert app.screen.session.current.key.startswith("tiny:")


async def test_an_answer_typed_with_its_enter_at_once_is_checked_whole_in_a_quiz(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        cards = [c for c in app.workspace.library.deck("tiny").cards if c.key == "tiny:paris"]
        app.push_screen(QuizScreen("tiny", cards, count=1, seed=1))
        await pilot.pause()
        screen = app.screen
        burst(app, *"Paris", "enter")
        await settle(pilot, app)
        assert "✓ Right" in str(screen.query_one("#quiz-verdict", Static).render())


async def test_ctrl_s_right_after_typing_saves_every_letter_typed(app, decks_dir):
    async with app.run_test(size=(80, 24)) as pilot:
        _, editor = await open_editor(pilot, app, "prime")
        area = editor.query_one("#text", TextArea)
        area.move_cursor((0, len("## Which number is prime")))
        await pilot.pause()
        burst(app, *" now", "ctrl+s")
        await settle(pilot, app)
        assert "## Which number is prime now?\nid: prime" in (decks_dir / "tiny.md").read_text()
