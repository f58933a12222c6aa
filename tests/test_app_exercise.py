"""Exercise cards in the app, driven through their keys with Pilot at 80×24: write, run, fix, rate.

The tests run in real child processes (``gistquiz.exercise.grade``); the trust questions replace ``grade``
with a spy where they must prove that nothing ran.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_exercise_review import exercise_note
from textual.geometry import Region
from textual.widgets import Static, TextArea

from gistquiz import exercise, trust
from gistquiz.scheduler import Rating
from gistquiz.ui.app import GistQuizApp
from gistquiz.ui.screens.editor import ConfirmScreen
from gistquiz.ui.screens.exercise import ExerciseScreen
from gistquiz.ui.screens.keys import KeysScreen, screen_keys
from gistquiz.ui.screens.review import ReviewScreen
from gistquiz.ui.widgets.key_bar import KeyBar
from gistquiz.workspace import Workspace

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SIZE = (80, 24)

DECK = "# Drills\n\n" + exercise_note(1).replace("id: double-1", "id: double")


@pytest.fixture
def deck_path(tmp_path: Path) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    path = folder / "drills.md"
    path.write_text(DECK)
    return path


@pytest.fixture
def app(gistquiz_home: Path, deck_path: Path) -> GistQuizApp:
    (gistquiz_home / "settings.toml").write_text("bundled_decks = false\n")
    ws = Workspace(gistquiz_home, [deck_path.parent])
    return GistQuizApp(ws, clock=lambda: T0)


def trusted(app: GistQuizApp, deck_path: Path) -> GistQuizApp:
    trust.allow(app.workspace.store, trust.deck_code(deck_path), T0)
    return app


async def settle(pilot, app) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_exercise(pilot, app) -> tuple[ReviewScreen, ExerciseScreen]:
    await settle(pilot, app)
    review = ReviewScreen("Drills", app.workspace.library.deck("drills").cards)
    app.push_screen(review)
    await pilot.pause()
    assert "Space Write code" in str(review.query_one("#keys", KeyBar).render())
    await pilot.press("space")
    await pilot.pause()
    assert isinstance(app.screen, ExerciseScreen)
    return review, app.screen


async def type_text(pilot, text: str) -> None:
    names = {" ": "space", "\n": "enter", "+": "plus", "*": "asterisk"}
    await pilot.press(*[names.get(ch, ch) for ch in text])


def verdict(screen: ExerciseScreen) -> str:
    return str(screen.query_one("#verdict-text", Static).render())


async def run_tests(pilot, app, screen: ExerciseScreen) -> str:
    await pilot.press("ctrl+j")
    await settle(pilot, app)
    return verdict(screen)


def inside(widget, size=SIZE) -> bool:
    return widget.region.area > 0 and Region(0, 0, *size).contains_region(widget.region)


async def test_a_wrong_then_a_right_solution_is_typed_run_and_rated_hard(app, deck_path):
    from gistquiz import exercise

    trusted(app, deck_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert exercise.POOL._waiting is None, "no grading worker at launch"
        review, screen = await open_exercise(pilot, app)
        first = exercise.POOL._waiting
        assert first is not None and first.ready, "showing an exercise card starts one"
        area = screen.query_one("#code", TextArea)
        assert area.has_focus and area.text.startswith("def double(x):")  # the starter
        await type_text(pilot, "\n    return x + 1")
        assert "return x + 1" in area.text
        shown = await run_tests(pilot, app, screen)
        assert "FAIL  test_double: result: max abs error 1" in shown and "first mismatch at index" in shown
        assert "0 of 1 tests passed" in shown
        assert first.closed and exercise.POOL._waiting is not first, "used once, then replaced"
        assert inside(screen.query_one("#verdict")), "the verdict shows inside 80×24"
        assert area.has_focus, "a failure leaves the learner in the code"
        await pilot.press(*["backspace"] * 4)
        await type_text(pilot, " * 2")
        shown = await run_tests(pilot, app, screen)
        assert "pass  test_double" in shown and "1 of 1 tests passed" in shown
        bar = str(screen.query_one("#keys", KeyBar).render())
        assert f"Enter Accept {Rating.HARD.label}" in bar and not area.has_focus
        await pilot.press("tab")  # back to the code: 1-4 and Enter are typed there, Esc goes to the rating
        assert area.has_focus and "Esc To rating" in str(screen.query_one("#keys", KeyBar).render())
        await pilot.press("1")
        assert app.screen is screen and "return x * 21" in area.text
        await pilot.press("backspace")
        await pilot.press("escape")
        assert app.screen is screen and not area.has_focus
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.screen is review
    (row,) = app.workspace.store.reviews()
    assert row.rating == Rating.HARD and row.source == "exercise" and row.card_key == "drills:double"
    assert "    return x * 2" in app.workspace.store.exercise_code("drills:double")  # the learner's code is kept


class Spy:
    """``grade`` that records its calls and passes (for the paths where only whether it ran matters)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, ex, code, *args, **kwargs) -> exercise.Verdict:
        self.calls.append(code)
        return exercise.Verdict((exercise.TestResult("test_double", True),), network_isolated=True)


@pytest.fixture
def spy(monkeypatch) -> Spy:
    spy = Spy()
    monkeypatch.setattr(exercise, "grade", spy)
    monkeypatch.setattr(trust, "network_is_dropped", lambda: True)  # the question's probe: not under test here
    return spy


async def test_the_verdict_the_code_the_solution_and_the_key_bar_fit_80x24(app, deck_path, spy):
    trusted(app, deck_path)
    async with app.run_test(size=SIZE) as pilot:
        _, screen = await open_exercise(pilot, app)
        bar = screen.query_one("#keys", KeyBar)
        assert inside(bar) and inside(screen.query_one("#code")) and inside(screen.query_one("#task"))
        for label in ("^j Run tests", "^o Solution", "Esc Back", "F1 Keys", "^q Quit"):
            assert label in str(bar.render())
        await pilot.press("f1")  # the key list, from inside the code (where "?" is typed)
        await pilot.pause()
        assert isinstance(app.screen, KeysScreen) and ("^l", "Load your last code for this card") in [
            row for _, rows in screen_keys(screen) for row in rows
        ]
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and "?" not in screen.query_one("#code", TextArea).text
        await run_tests(pilot, app, screen)
        await pilot.press("ctrl+o")
        await pilot.pause()
        for widget in ("#verdict", "#code", "#solution", "#answer-bar", "#keys"):
            assert inside(screen.query_one(widget)), widget
        code, solution = screen.query_one("#code").region, screen.query_one("#solution").region
        assert code.right <= solution.x and code.y == screen.query_one("#code-row").region.y  # side by side
        assert "return 2 * x" in screen.query_one("#solution", TextArea).text
        text = str(bar.render())
        for label in (f"Enter Accept {Rating.GOOD.label}", "1-4 Rate", "Tab Edit", "Esc Back"):
            assert label in text and bar.region.bottom <= SIZE[1]
        assert f"3 {Rating.GOOD.label}" in str(screen.query_one("#answer-bar", Static).render())


async def test_revealing_before_passing_suggests_again_and_1_to_4_choose(app, deck_path, spy):
    trusted(app, deck_path)
    async with app.run_test(size=SIZE) as pilot:
        review, screen = await open_exercise(pilot, app)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert f"Enter Accept {Rating.AGAIN.label}" in str(screen.query_one("#keys", KeyBar).render())
        assert spy.calls == []
        await pilot.press("4")  # the learner's choice over the suggestion
        await settle(pilot, app)
        assert app.screen is review
    assert [r.rating for r in app.workspace.store.reviews()] == [Rating.EASY]


async def test_the_next_showing_starts_from_the_starter_and_ctrl_l_loads_the_last_code(app, deck_path, spy):
    trusted(app, deck_path)
    async with app.run_test(size=SIZE) as pilot:
        review, screen = await open_exercise(pilot, app)
        starter = screen.query_one("#code", TextArea).text
        await type_text(pilot, "\n    return x")
        await pilot.press("escape")  # typed code: asked first
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen and "return x" in screen.query_one("#code", TextArea).text
        await pilot.press("escape", "y")
        await settle(pilot, app)
        assert app.screen is review and app.workspace.store.reviews() == []  # left unanswered
        await pilot.press("space")
        await pilot.pause()
        again = app.screen
        assert isinstance(again, ExerciseScreen) and again is not screen
        area = again.query_one("#code", TextArea)
        assert area.text == starter
        assert "^l Last code" in str(again.query_one("#keys", KeyBar).render())
        await pilot.press("ctrl+l")
        await pilot.pause()
        kept = app.workspace.store.exercise_code("drills:double")
        assert "    return x" in kept and area.text == kept
        assert "^l" not in str(again.query_one("#keys", KeyBar).render())  # loaded: nothing more to load
        await type_text(pilot, " ")
        assert "^l Last code" in str(again.query_one("#keys", KeyBar).render())  # changed: ^l loads it again
        await pilot.press("backspace")
        await pilot.press("escape")  # the kept code, unchanged: leaves without asking
        await settle(pilot, app)
        assert app.screen is review
    assert "    return x" in app.workspace.store.exercise_code("drills:double")


# ----------------------------------------------------------------- trust


async def test_refusing_runs_nothing_and_the_card_can_still_be_revealed_and_rated(app, deck_path, spy):
    async with app.run_test(size=SIZE) as pilot:
        review, screen = await open_exercise(pilot, app)
        await pilot.press("ctrl+j")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmScreen)
        question = str(app.screen.query_one("#question", Static).render())
        assert str(deck_path) in question and "read and write your files" in question
        await pilot.press("n")
        await settle(pilot, app)
        assert app.screen is screen and spy.calls == []  # the child never started
        assert "Not run" in verdict(screen)
        await pilot.press("ctrl+o", "enter")
        await settle(pilot, app)
        assert app.screen is review
    assert [r.rating for r in app.workspace.store.reviews()] == [Rating.AGAIN]
    assert not trust.is_trusted(app.workspace.store, trust.deck_code(deck_path))


async def test_yes_is_asked_once_per_file_and_content_and_an_edit_elsewhere_asks_again(app, deck_path, spy):
    async with app.run_test(size=SIZE) as pilot:
        _, screen = await open_exercise(pilot, app)
        await pilot.press("ctrl+j")
        await settle(pilot, app)
        await pilot.press("y")
        await settle(pilot, app)
        assert app.screen is screen and len(spy.calls) == 1 and "1 of 1 tests passed" in verdict(screen)
        await pilot.press("tab", "ctrl+j")  # back to the code, run again: not asked again
        await settle(pilot, app)
        assert app.screen is screen and len(spy.calls) == 2
        await pilot.press("escape")
        await settle(pilot, app)
        await pilot.press("space", "ctrl+j")  # the next showing: the same file, the same content
        await settle(pilot, app)
        assert isinstance(app.screen, ExerciseScreen) and len(spy.calls) == 3
        deck_path.write_text(DECK + "\n<!-- edited elsewhere -->\n")
        await pilot.press("escape")
        await settle(pilot, app)
        await pilot.press("space", "ctrl+j")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmScreen) and len(spy.calls) == 3
        await pilot.press("n")
        await settle(pilot, app)
        assert len(spy.calls) == 3


async def test_a_bundled_deck_never_asks(gistquiz_home, spy):
    ws = Workspace(gistquiz_home, [])
    app = GistQuizApp(ws, clock=lambda: T0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        deck = next(d for d in ws.library.decks if any(c.exercise for c in d.cards))
        assert deck.source == "bundled"
        card = next(c for c in deck.cards if c.exercise)
        review = ReviewScreen(deck.title, [card], cram=True)
        app.push_screen(review)
        await pilot.pause()
        await pilot.press("space", "ctrl+j")
        await settle(pilot, app)
        assert isinstance(app.screen, ExerciseScreen) and len(spy.calls) == 1


async def test_tests_changed_on_disk_since_the_decks_loaded_do_not_run(app, deck_path, spy):
    """The question is about the file as it is now: the tests that would run must still be in it."""
    trusted(app, deck_path)
    async with app.run_test(size=SIZE) as pilot:
        _, screen = await open_exercise(pilot, app)
        deck_path.write_text(DECK.replace("close(double(", "close(2 * double("))
        trust.allow(app.workspace.store, trust.deck_code(deck_path), T0)  # even a yes to the new file
        await pilot.press("ctrl+j")
        await settle(pilot, app)
        assert app.screen is screen and spy.calls == []
        assert "changed since the decks were read" in verdict(screen)


@pytest.mark.parametrize("highlighting", [True, False])
async def test_the_code_is_python_highlighted_when_tree_sitter_is_installed_else_plain(
    app, deck_path, monkeypatch, highlighting
):
    import gistquiz.ui.screens.editor as editor

    if highlighting and not editor.python_highlighting():
        pytest.skip("tree-sitter and its Python grammar are not installed (a dependency: pip install -e .)")
    if not highlighting:  # as without the extra: plain text, and everything else the same
        monkeypatch.setattr(editor, "python_highlighting", lambda: False)
    trusted(app, deck_path)
    async with app.run_test(size=SIZE) as pilot:
        _, screen = await open_exercise(pilot, app)
        for name in ("#code", "#solution"):
            assert screen.query_one(name, TextArea).language == ("python" if highlighting else None)
        await type_text(pilot, "\n    return 2 * x")
        assert "1 of 1 tests passed" in await run_tests(pilot, app, screen)


async def test_leaving_while_the_tests_run_keeps_the_ui_live_and_drops_the_verdict(app, deck_path, monkeypatch):
    import threading

    release = threading.Event()

    def slow(ex, code, *args, **kwargs):
        release.wait(10)
        return exercise.Verdict((exercise.TestResult("test_double", True),), network_isolated=True)

    monkeypatch.setattr(exercise, "grade", slow)
    trusted(app, deck_path)
    async with app.run_test(size=SIZE) as pilot:
        review, screen = await open_exercise(pilot, app)
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert "running the tests" in str(screen.query_one("#answer-bar", Static).render())
        assert "^j Run tests" not in str(screen.query_one("#keys", KeyBar).render())  # one run at a time
        await type_text(pilot, "\n    pass")  # the screen answers keys while the tests run
        assert "    pass" in screen.query_one("#code", TextArea).text
        await pilot.press("escape", "y")
        await pilot.pause()
        assert app.screen is review
        release.set()
        await settle(pilot, app)
        assert app.screen is review and app.workspace.store.reviews() == []
