"""The app, driven through its keys with Textual's Pilot: every screen, demos included.

Demos here are tiny scripts written by the fixtures (quick, slow, crashing) so that
the tests exercise the real runner and child processes in well under a second.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual import events
from textual.widgets import DataTable, Input, Static, TextArea

from gistquiz.scheduler import Rating, State
from gistquiz.selection import Selection
from gistquiz.session import Session
from gistquiz.ui.app import GistQuizApp
from gistquiz.ui.screens.browse import BrowseScreen
from gistquiz.ui.screens.demos import DemosScreen
from gistquiz.ui.screens.home import HomeScreen
from gistquiz.ui.screens.params import ParamsScreen
from gistquiz.ui.screens.quiz import QuizScreen, QuizSummaryScreen
from gistquiz.ui.screens.review import ReviewScreen
from gistquiz.ui.screens.stats import StatsScreen
from gistquiz.ui.widgets.demo_panel import DemoPanel
from gistquiz.ui.widgets.key_bar import KeyBar
from gistquiz.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

DEMO_HEAD = """
import sys, time
from dataclasses import dataclass
from harness import Image, Param, Plot, Report, Series, Table, claim_of, main, resolve_params, seed_param

@dataclass
class Result:
    n: int
"""
DEMO_TAIL = """
if __name__ == "__main__":
    raise SystemExit(main(sys.modules[__name__]))
"""
DEMOS = {
    "quick": '''"""Quick: counting to n gives n."""
PARAMS = [Param("n", 3, "how far to count", low=1, high=10)]

def run(seed=0, progress=None, **params):
    p = resolve_params(PARAMS, params)
    for i in range(p["n"]):
        if progress:
            progress(i + 1, p["n"], loss=1.0 / (i + 1), message=f"step {i + 1}")
    return Result(p["n"])

def report(r):
    return Report("quick", claim_of(sys.modules[__name__]), f"counted to {r.n}", {"n": r.n}, 0,
                  {"count": r.n, "half": r.n / 2},
                  series={"line": Series(list(range(r.n)), list(range(r.n)))},
                  plots=[Plot("a line", ["line"], "x", "y")],
                  tables=[Table("numbers", ["i", "i^2"], [[i, i * i] for i in range(r.n)])],
                  images=[Image("ramp", [[0.0, 0.5], [0.5, 1.0]]), Image("cm", [[3, 1], [0, 4]], labels=True)])
''',
    "slow": '''"""Slow: it takes its time."""
PARAMS = [Param("steps", 600, "steps of 0.05 s", low=1, high=10000)]

def run(seed=0, progress=None, **params):
    p = resolve_params(PARAMS, params)
    for i in range(p["steps"]):
        time.sleep(0.05)
        if progress:
            progress(i + 1, p["steps"])
    return Result(p["steps"])

def report(r):
    return Report("slow", "", "done", {}, 0, {"steps": r.n})
''',
    "crash": '''"""Crash: this demo fails."""
PARAMS = [Param("n", 1, "unused", low=0, high=1)]

def run(seed=0, progress=None, **params):
    print("about to fail", file=sys.stderr)
    raise RuntimeError("the demo broke on purpose")

def report(r):
    raise AssertionError
''',
}

DECK = """\
# Tiny deck

## What does quick count to?
id: quick
tags: demo
demo: quick

Three, by default.

## Capital of France?
id: paris
type: typed

Paris

## Parts of a CNN
id: parts

A CNN stacks {{c1::convolution}} and {{c2::max-pooling}} layers.

## Which number is prime?
id: prime

- [ ] 4
- [x] 7
- [ ] 9

Seven has no divisors but 1 and itself.

## What does slow do?
id: slow
demo: slow

It takes its time.

## What does crash do?
id: crash
demo: crash

It fails.
"""


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> datetime:
        return self.t


@pytest.fixture
def demos_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "demos"
    folder.mkdir()
    for helper in ("harness.py", "textreport.py"):
        shutil.copy(ROOT / "demos" / helper, folder / helper)
    for name, body in DEMOS.items():
        docstring, rest = textwrap.dedent(body).split("\n", 1)
        (folder / f"{name}.py").write_text(docstring + "\n" + DEMO_HEAD + rest + DEMO_TAIL)
    return folder


@pytest.fixture
def decks_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "tiny.md").write_text(DECK)
    return folder


@pytest.fixture
def app(gistquiz_home: Path, decks_dir: Path, demos_dir: Path) -> GistQuizApp:
    (gistquiz_home / "settings.toml").write_text("bundled_decks = false\n")
    ws = Workspace(gistquiz_home, [decks_dir], demos_folder=demos_dir)
    return GistQuizApp(ws, clock=Clock())


async def settle(pilot, app) -> None:
    """Wait for workers, the messages they posted, and the repaint after them."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


OTHER_DECK = "# Other\n\n## Two plus two?\nid: four\ntype: typed\n\nfour\n"


def spy_reviews(app: GistQuizApp, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Selection, bool]]:
    """Every (selection, cram) handed to the app's one way into a review; the review still opens."""
    opened: list[tuple[Selection, bool]] = []
    open_review = app.open_review

    def spy(selection: Selection, cram: bool = False) -> None:
        opened.append((selection, cram))
        open_review(selection, cram=cram)

    monkeypatch.setattr(app, "open_review", spy)
    return opened


async def press_on_deck(pilot, app, deck: str, key: str) -> None:
    """On home, once its counts are in: put the cursor on ``deck`` ("*": all decks), then press ``key``."""
    await settle(pilot, app)
    table = app.screen.query_one("#decks", DataTable)
    table.move_cursor(row=table.get_row_index(deck))
    await pilot.press(key)


async def open_tiny(pilot, app) -> ReviewScreen:
    await press_on_deck(pilot, app, "tiny", "enter")
    await pilot.pause()
    assert isinstance(app.screen, ReviewScreen)
    return app.screen


def front(screen) -> str:
    return screen.sources["front"]


async def to_card(pilot, screen: ReviewScreen, key: str) -> None:
    """Make ``key`` the shown card (the queue's order is the deck's; tests want a given kind)."""
    screen.session.current = screen.session.cards[f"tiny:{key}"]
    screen.show_next()
    await pilot.pause()


# ----------------------------------------------------------------- home


async def test_home_lists_decks_with_counts_and_shows_broken_decks_in_place(app, decks_dir):
    (decks_dir / "broken.md").write_text("# Broken\n\n## Q\nfoo: bar\n\nA\n")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, HomeScreen)
        table = app.screen.query_one("#decks", DataTable)
        row = table.get_row("tiny")
        assert str(row[0]) == "Tiny deck" and row[1:] == [6, 0, 0, 7]  # 6 new today (cloze siblings: 1), 7 cards
        problems = str(app.screen.query_one("#problems", Static).render())
        assert "broken.md:4: unknown metadata key 'foo'" in problems
        assert "Welcome!" in str(app.screen.query_one("#hint", Static).render())


async def test_home_keys_open_each_screen(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        for key, screen in [("d", DemosScreen), ("s", StatsScreen), ("slash", BrowseScreen)]:
            await pilot.press(key)
            await settle(pilot, app)
            assert isinstance(app.screen, screen), key
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "KeysScreen"


async def test_home_opens_a_deck_or_all_decks_through_the_app_with_the_flag_said(app, decks_dir, monkeypatch):
    (decks_dir / "other.md").write_text(OTHER_DECK)
    opened = spy_reviews(app, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_deck(pilot, app, "*", "enter")
        await pilot.pause()
        assert opened == [(Selection("All decks", (), all_decks=True), False)]
        assert isinstance(app.screen, ReviewScreen) and {c.deck for c in app.screen.cards} == {"tiny", "other"}
        await pilot.press("escape")  # also from a typed card's answer box: Esc never reveals
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await press_on_deck(pilot, app, "other", "enter")  # after home's reload, which moves the cursor
        await pilot.pause()
        selection, cram = opened[-1]
        assert (selection.title, selection.all_decks, cram) == ("Other", False, False)
        assert [c.key for c in selection.cards] == [c.key for c in app.screen.cards] == ["other:four"]


async def test_stats_of_all_decks_says_so_and_a_toggles_between_one_deck_and_all(app, decks_dir):
    (decks_dir / "other.md").write_text(OTHER_DECK)
    async with app.run_test(size=(100, 50)) as pilot:
        await press_on_deck(pilot, app, "*", "s")
        await settle(pilot, app)
        assert app.screen.selection.all_decks and app.screen.title == "Stats: all decks"
        assert "8 cards" in str(app.screen.query_one("#stats-summary", Static).render())
        await pilot.press("a")  # already every deck: nothing to toggle
        await settle(pilot, app)
        assert app.screen.all_decks and "8 cards" in str(app.screen.query_one("#stats-summary", Static).render())
        await pilot.press("escape")
        await press_on_deck(pilot, app, "tiny", "s")
        await settle(pilot, app)
        assert not app.screen.selection.all_decks and app.screen.title == "Stats: Tiny deck"
        assert "7 cards" in str(app.screen.query_one("#stats-summary", Static).render())
        await pilot.press("a")
        await settle(pilot, app)
        assert app.screen.title == "Stats: all decks"
        assert "8 cards" in str(app.screen.query_one("#stats-summary", Static).render())


# ----------------------------------------------------------------- review


async def test_each_rating_is_on_disk_before_the_next_card_shows(app):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_tiny(pilot, app)
        store = app.workspace.store
        for rating in (1, 2, 3, 4):
            card = screen.card
            assert card is not None and not screen.revealed
            if card.kind.value in ("typed", "cloze"):
                await pilot.press("enter")  # an empty answer just reveals
            else:
                await pilot.press("space")
            assert screen.revealed
            reviews_before = len(store.reviews())
            await pilot.press(str(rating))
            log = store.reviews()
            assert len(log) == reviews_before + 1 and log[-1].card_key == card.key and log[-1].rating == rating
            assert screen.card != card
        assert "4 answered" in str(screen.query_one("#progress", Static).render())


async def test_rating_keys_do_nothing_before_the_answer_is_shown(app):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_tiny(pilot, app)
        await to_card(pilot, screen, "prime")
        await pilot.press("3")
        assert app.workspace.store.reviews() == []


async def test_undo_suspend_and_bury(app):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_tiny(pilot, app)
        store = app.workspace.store
        await to_card(pilot, screen, "quick")
        await pilot.press("space", "3")
        assert store.state("tiny:quick").state == State.LEARNING
        await pilot.press("tab", "u")  # the next card is a typed one: Tab leaves its answer box, whose u would type
        await pilot.pause()
        assert screen.card.key == "tiny:quick" and store.state("tiny:quick").state == State.NEW
        await pilot.press("s")
        assert store.state("tiny:quick").suspended
        await to_card(pilot, screen, "prime")
        await pilot.press("space", "b")  # on its front, b picks option b)
        assert store.state("tiny:prime").buried_until == app.workspace.scheduler.next_day_start(T0)
        assert screen.card.key not in ("tiny:quick", "tiny:prime")


async def test_typed_answer_is_graded_leniently_with_a_diff(app):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_tiny(pilot, app)
        await to_card(pilot, screen, "paris")
        assert app.focused is screen.query_one("#typed", Input)
        await pilot.press(*"pariss", "enter")
        grade = str(screen.query_one("#grade", Static).render())
        assert "✓ Right" in grade and "{+" not in grade.split("expected")[0]
        assert screen.revealed
        await to_card(pilot, screen, "paris")
        await pilot.press(*"London", "enter")
        grade = str(screen.query_one("#grade", Static).render())
        assert "✗ Not quite: expected “Paris”" in grade and "[-" in grade


async def test_cloze_shows_the_blank_in_context_and_with_the_setting_asks_to_type_it(app, gistquiz_home):
    (gistquiz_home / "settings.toml").write_text("bundled_decks = false\ntype_cloze_answers = true\n")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_tiny(pilot, app)
        await to_card(pilot, screen, "parts/c1")
        assert "A CNN stacks **[...]** and max-pooling layers." in front(screen)
        assert app.focused is screen.query_one("#typed", Input)  # typing a cloze is opt-in (Anki reveals it)
        await pilot.press(*"convolution", "enter")
        assert "✓ Right" in str(screen.query_one("#grade", Static).render())
        assert "**convolution**" in screen.sources["back"]


async def test_edit_opens_the_deck_at_the_card_and_the_reworded_card_keeps_its_history(app, decks_dir, tmp_path):
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys, pathlib\n"
        "line, path = int(sys.argv[1][1:]), pathlib.Path(sys.argv[2])\n"
        "pathlib.Path(sys.argv[0]).with_suffix('.log').write_text(f'{line}')\n"
        "path.write_text(path.read_text().replace('Which number is prime?', 'Which of these numbers is prime?'))\n"
    )
    os.environ["EDITOR"] = f"{sys.executable} {editor}"
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_tiny(pilot, app)
            await to_card(pilot, screen, "prime")
            await pilot.press("space", "3")  # history
            await to_card(pilot, screen, "prime")
            await pilot.press("E")
            await pilot.pause()
            assert editor.with_suffix(".log").read_text() == str(screen.card.line)
            assert screen.card.front == "Which of these numbers is prime?"
            assert app.workspace.store.state("tiny:prime").reps == 1  # an id: keeps the key, history stays
    finally:
        del os.environ["EDITOR"]


async def test_a_card_answered_in_another_tab_meanwhile_is_not_answered_twice(app):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_tiny(pilot, app)
        await to_card(pilot, screen, "prime")
        await pilot.press("space")
        other = Session(screen.cards, app.workspace.store, app.workspace.scheduler, clock=app.clock)  # another tab
        card = other.cards["tiny:prime"]
        other.answer(card, Rating.AGAIN, shown=other.state(card))
        notes: list[str] = []
        app.notify = lambda message, **kw: notes.append(message)
        await pilot.press("4")
        await pilot.pause()
        assert notes == ["This card was answered elsewhere (another tab?) meanwhile; moving on."]
        assert [r.rating for r in app.workspace.store.reviews()] == [Rating.AGAIN]
        assert screen.card is None or screen.card.key != "tiny:prime"
        assert screen.answered == 0


async def open_editor(pilot, app, key: str, screen: ReviewScreen | None = None):
    from gistquiz.ui.screens.editor import EditorScreen

    screen = screen or await open_tiny(pilot, app)
    await to_card(pilot, screen, key)
    await pilot.press("e")
    await pilot.pause()
    assert isinstance(app.screen, EditorScreen)
    return screen, app.screen


async def test_in_app_editor_saves_the_section_with_ctrl_s_and_the_card_keeps_its_history(app, decks_dir):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_tiny(pilot, app)
        await to_card(pilot, screen, "prime")
        await pilot.press("space", "3")
        review, editor = await open_editor(pilot, app, "prime", screen)
        area = editor.query_one("#text")
        assert area.text.startswith("## Which number is prime?\nid: prime\n") and "## What does slow" not in area.text
        area.text = area.text.replace("Which number is prime?", "Which of these numbers is prime?")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is review
        assert review.card.front == "Which of these numbers is prime?"
        assert app.workspace.store.state("tiny:prime").reps == 1
        assert "## Which of these numbers is prime?\nid: prime" in (decks_dir / "tiny.md").read_text()


async def test_in_app_editor_shows_a_parse_error_in_place_and_writes_nothing(app, decks_dir):
    before = (decks_dir / "tiny.md").read_bytes()
    async with app.run_test(size=(80, 24)) as pilot:
        _, editor = await open_editor(pilot, app, "prime")
        editor.query_one("#text").text = "## Which number is prime?\nid: prime\ntype: nonsense\n\n- [ ] 4\n- [x] 7\n\n"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is editor
        problem = str(editor.query_one("#problem", Static).render())
        assert problem.startswith("Not saved: ") and "tiny.md:" in problem and "nonsense" in problem
    assert (decks_dir / "tiny.md").read_bytes() == before


async def test_in_app_editor_refuses_a_file_changed_since_it_opened(app, decks_dir):
    async with app.run_test(size=(80, 24)) as pilot:
        _, editor = await open_editor(pilot, app, "prime")
        (decks_dir / "tiny.md").write_text(DECK.replace("Paris\n", "Paris|paris\n"))
        editor.query_one("#text").text = "## Capital of Italy?\nid: paris\ntype: typed\n\nRome\n\n"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is editor
        assert "changed since the editor opened it" in str(editor.query_one("#problem", Static).render())
    assert "Rome" not in (decks_dir / "tiny.md").read_text()


async def test_escape_with_unsaved_changes_asks_before_discarding(app, decks_dir):
    from gistquiz.ui.screens.editor import DiscardScreen

    async with app.run_test(size=(80, 24)) as pilot:
        review, editor = await open_editor(pilot, app, "prime")
        editor.query_one("#text").text = "## Capital of Italy?\n\nRome\n"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DiscardScreen)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is editor and "Rome" in editor.query_one("#text").text
        await pilot.press("escape", "y")
        await pilot.pause()
        assert app.screen is review
        await to_card(pilot, review, "quick")
        await pilot.press("e")  # unchanged text: Esc closes at once
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is review
    assert "Rome" not in (decks_dir / "tiny.md").read_text()


async def test_the_bundled_deck_is_never_opened_for_editing(gistquiz_home, demos_dir):
    ws = Workspace(gistquiz_home, [], demos_folder=demos_dir)
    app = GistQuizApp(ws, clock=Clock())
    bundled = next(d for d in ws.library.decks if d.source == "bundled")
    before = Path(bundled.path).read_bytes()
    notes: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.notify = lambda message, **kw: notes.append(message)
        app.edit_card(bundled.cards[0], lambda written: notes.append(f"done {written}"))
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"
    assert notes == ["The bundled deck is never written: copy it into your decks folder to edit its cards."]
    assert Path(bundled.path).read_bytes() == before


# ----------------------------------------------------------------- undo, suspend, bury, edit (issue 16, point 2)

BASIC_DECK = "# Basic\n\n" + "".join(f"## Question {n}?\nid: q{n}\n\nAnswer {n}.\n\n" for n in range(1, 7))
REVERSED_DECK = "# Words\n\n## Learning rate\nid: lr\ntype: reversed\n\nThe step size of gradient descent.\n"


def spy_notices(app: GistQuizApp, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every message the app shows as a notification, in order."""
    said: list[str] = []
    notify = app.notify

    def spy(message, *args, **kwargs):
        said.append(str(message))
        return notify(message, *args, **kwargs)

    monkeypatch.setattr(app, "notify", spy)
    return said


def bar_key(screen, description: str) -> str:
    """The key the screen's key bar shows for ``description`` (the key a user reads there and presses)."""
    bar = screen.query_one("#keys", KeyBar).render()
    match = re.search(rf"(\S+) {re.escape(description)}\b", str(bar))
    assert match, f"{description!r} is not on the key bar: {bar}"
    return {"Space": "space", "Esc": "escape"}.get(match.group(1), match.group(1))


async def test_u_undoes_the_newest_action_whatever_it_was_one_at_a_time(app, decks_dir, monkeypatch):
    (decks_dir / "basic.md").write_text(BASIC_DECK)
    said = spy_notices(app, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_deck(pilot, app, "basic", "enter")
        await pilot.pause()
        screen, store = app.screen, app.workspace.store
        show, suspend, bury, undo = (bar_key(screen, d) for d in ("Show answer", "Suspend", "Bury", "Undo"))
        shown = []
        for _ in range(3):
            shown.append(screen.card.key)
            await pilot.press(show, "3")
        suspended, buried = screen.card.key, None
        await pilot.press(suspend)
        buried = screen.card.key
        await pilot.press(bury)
        assert store.state(suspended).suspended and store.state(buried).buried_until is not None
        await pilot.press(undo)
        assert said[-1] == "Undid the bury." and screen.card.key == buried
        assert store.state(buried).buried_until is None and store.state(suspended).suspended
        assert [e.card_key for e in store.reviews()] == shown  # the three answers stand
        await pilot.press(undo)
        assert said[-1] == "Undid the suspend." and screen.card.key == suspended
        assert not store.state(suspended).suspended
        await pilot.press(undo)
        assert said[-1] == "Undid the answer (Good)." and screen.card.key == shown[2]
        assert [e.card_key for e in store.reviews()] == shown[:2] and store.state(shown[2]).state == State.NEW
        log = store.reviews(include_undone=True)
        assert [e.action for e in log] == ["answer"] * 3 + ["suspend", "bury", "undo", "undo", "undo"]
        assert [e.undoes for e in log[5:]] == [log[4].id, log[3].id, log[2].id]


async def test_a_suspended_card_is_found_by_state_in_browse_and_s_unsuspends_it(app, decks_dir, monkeypatch):
    (decks_dir / "basic.md").write_text(BASIC_DECK)
    said = spy_notices(app, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_deck(pilot, app, "basic", "enter")
        await pilot.pause()
        store = app.workspace.store
        card = app.screen.card
        await pilot.press("s", "escape")
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"is:suspended")
        await pilot.pause()
        browse = app.screen
        assert [c.key for c in browse.found] == [card.key]
        table = browse.query_one("#results", DataTable)
        assert table.get_row_at(0)[table.get_column_index("state")] == "suspended"
        await pilot.press("enter", "enter")
        await pilot.pause()
        review = app.screen
        assert isinstance(review, ReviewScreen) and review.card == card
        assert review.sub_title == "this card: suspended"  # in the header
        await pilot.press("s")
        assert said[-1] == "Unsuspended." and not store.state(card.key).suspended
        assert review.sub_title == "this card: new"
        assert review.card == card  # still shown, to review it now
        assert store.reviews(include_undone=True)[-1].action == "unsuspend"


async def test_browse_toggles_suspend_and_bury_and_filters_by_state(app, decks_dir, monkeypatch):
    (decks_dir / "basic.md").write_text(BASIC_DECK)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"question 2", "enter")  # Enter moves to the results
        await pilot.pause()
        browse, store = app.screen, app.workspace.store
        table = browse.query_one("#results", DataTable)
        state = table.get_column_index("state")
        assert [c.key for c in browse.found] == ["basic:q2"] and table.get_row_at(0)[state] == "new"
        await pilot.press("s")
        assert store.state("basic:q2").suspended and table.get_row_at(0)[state] == "suspended"
        await pilot.press("s")
        assert not store.state("basic:q2").suspended and table.get_row_at(0)[state] == "new"
        await pilot.press("b")
        assert store.state("basic:q2").buried_until == app.workspace.scheduler.next_day_start(T0)
        assert table.get_row_at(0)[state] == "buried"
        browse.session.answer(app.workspace.library.card("basic:q3"), Rating.EASY)  # a due date to show
        browse.session.suspend(app.workspace.library.card("basic:q3"))
        browse.read_states()
        browse.query_one("#search", Input).value = "question 3"
        await pilot.pause()
        assert table.get_row_at(0)[state] == "suspended" and table.get_row_at(0)[table.get_column_index("due")]
        widths = [column.get_render_width(table) for column in table.columns.values()]
        assert sum(widths[: table.get_column_index("due") + 1]) <= 80 - 2  # state and due in view at 80x24
        assert [e.action for e in store.reviews(include_undone=True)][:3] == ["suspend", "unsuspend", "bury"]
        browse.query_one("#search", Input).value = "is:buried"
        await pilot.pause()
        assert [c.key for c in browse.found] == ["basic:q2"]
        browse.query_one("#search", Input).value = "is:new"
        await pilot.pause()
        assert "basic:q2" in [c.key for c in browse.found] and "basic:q1" in [c.key for c in browse.found]


def use_editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str) -> None:
    """$EDITOR becomes a script that replaces ``old`` with ``new`` in the file it is given."""
    editor = tmp_path / "replace_editor.py"
    editor.write_text(
        "import sys, pathlib\n"
        "path = pathlib.Path(sys.argv[2])\n"
        f"path.write_text(path.read_text().replace({old!r}, {new!r}))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")


async def test_edit_on_the_back_of_a_reversed_card_returns_to_that_card(app, decks_dir, tmp_path, monkeypatch):
    (decks_dir / "words.md").write_text(REVERSED_DECK)
    use_editor(tmp_path, monkeypatch, "gradient descent", "gradient descent, per update")
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_deck(pilot, app, "words", "enter")
        await pilot.pause()
        screen, store = app.screen, app.workspace.store
        front_card = screen.session.cards["words:lr"]
        screen.session.suspend(front_card)  # as in the report: the front card is suspended
        screen.session.refresh()
        screen.show_next()
        await pilot.pause()
        assert screen.card.key == "words:lr/rev"
        await pilot.press("space", "E")
        await pilot.pause()
        assert screen.card.key == "words:lr/rev" and "per update" in screen.card.front
        await pilot.press("space", "3")
        assert [e.card_key for e in store.reviews()] == ["words:lr/rev"]
        assert store.state("words:lr/rev").state == State.LEARNING and store.state("words:lr").reps == 0


async def test_edit_that_deletes_the_card_goes_on_to_the_next_due_one_and_u_still_undoes(
    app, decks_dir, tmp_path, monkeypatch
):
    (decks_dir / "basic.md").write_text(BASIC_DECK)
    use_editor(tmp_path, monkeypatch, "## Question 2?\nid: q2\n\nAnswer 2.\n", "")
    said = spy_notices(app, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_deck(pilot, app, "basic", "enter")
        await pilot.pause()
        screen, store = app.screen, app.workspace.store
        await pilot.press("space", "3")
        assert screen.card.key == "basic:q2"
        await pilot.press("E")
        await pilot.pause()
        assert screen.card.key == "basic:q3"
        await pilot.press("u")  # the answer before the edit: the edit is not an action of the log
        assert said[-1] == "Undid the answer (Good)." and screen.card.key == "basic:q1"
        assert store.reviews() == []


async def test_editing_a_bundled_card_copies_the_deck_and_keeps_its_history(app, gistquiz_home, tmp_path, monkeypatch):
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    (bundled / "basic.md").write_text(BASIC_DECK)
    monkeypatch.setattr("gistquiz.library.bundled_decks_dir", lambda: bundled)
    (gistquiz_home / "settings.toml").write_text("bundled_decks = true\n")
    use_editor(tmp_path, monkeypatch, "Answer 1.", "Answer one.")
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_deck(pilot, app, "basic", "enter")
        await pilot.pause()
        screen, store = app.screen, app.workspace.store
        assert screen.card.key == "basic:q1"
        await pilot.press("space", "3")
        before = store.state("basic:q1")
        screen.session.current = screen.session.cards["basic:q1"]
        screen.show_next()
        await pilot.press("E")
        await pilot.pause()
        assert (bundled / "basic.md").read_text() == BASIC_DECK  # never written
        copy = gistquiz_home / "decks" / "basic.md"
        assert "Answer one." in copy.read_text()
        deck = app.workspace.library.deck("basic")
        assert deck.source == "user" and deck.path == str(copy)
        assert [d.key for d in app.workspace.library.decks].count("basic") == 1
        assert screen.card.key == "basic:q1" and store.state("basic:q1") == before


async def test_e_on_a_bundled_card_opens_the_in_app_editor_on_a_copy(app, gistquiz_home, tmp_path, monkeypatch):
    from gistquiz.ui.screens.editor import EditorScreen

    bundled = tmp_path / "bundled"
    bundled.mkdir()
    (bundled / "basic.md").write_text(BASIC_DECK)
    monkeypatch.setattr("gistquiz.library.bundled_decks_dir", lambda: bundled)
    (gistquiz_home / "settings.toml").write_text("bundled_decks = true\n")
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_deck(pilot, app, "basic", "enter")
        await pilot.pause()
        await pilot.press("space", "e")
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen)
        copy = gistquiz_home / "decks" / "basic.md"
        assert copy.exists() and app.workspace.library.deck("basic").path == str(copy)
        assert (bundled / "basic.md").read_text() == BASIC_DECK  # never written


async def test_with_no_editor_set_the_app_says_which_it_uses_and_how_to_change_it(app, monkeypatch, tmp_path):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    vi = tmp_path / "vi"  # the default editor, found on PATH: here a stand-in that leaves the file alone
    vi.write_text("#!/bin/sh\nexit 0\n")
    vi.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    said = spy_notices(app, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.edit_file(str(tmp_path / "deck.md"), 3)
        assert any(
            m.startswith("Editing with vi: $VISUAL and $EDITOR are not set") and "export VISUAL=" in m for m in said
        )


# ----------------------------------------------------------------- demos


async def reveal_demo_card(pilot, app, key: str) -> tuple[ReviewScreen, DemoPanel]:
    screen = await open_tiny(pilot, app)
    await to_card(pilot, screen, key)
    await pilot.press("space")
    await pilot.pause()
    panel = screen.query_one("#demo", DemoPanel)
    assert panel.display and panel.demo == key
    return screen, panel


async def test_demo_runs_to_completion_shows_its_result_and_is_cached(app):
    async with app.run_test(size=(80, 40)) as pilot:
        screen, panel = await reveal_demo_card(pilot, app, "quick")
        assert "r runs it" in str(panel.query_one("#demo-status", Static).render())
        await pilot.press("r")
        await settle(pilot, app)
        assert not panel.running
        assert "Finished in" in str(panel.query_one("#demo-status", Static).render())
        shown = " ".join(str(s.render()) for s in panel.query(Static))
        assert "counted to 3" in shown and "Card says" in shown and "What does quick count to?" in shown
        assert panel.query("ResultPlot") and panel.query(".heatmap") and panel.query(".images")
        cached = app.workspace.demo_cache.get("tiny:quick", "quick", {"seed": 0})
        assert cached is not None and cached[0]["metrics"]["count"] == 3
        # revisiting the card shows the cached result at once, marked with when it ran
        await pilot.press("3")
        await to_card(pilot, screen, "quick")
        await pilot.press("space")
        await pilot.pause()
        assert "Last run just now (cached)" in str(panel.query_one("#demo-status", Static).render())
        assert "counted to 3" in " ".join(str(s.render()) for s in panel.query(Static))


async def test_demo_cancelled_mid_run_leaves_no_child_process(app):
    async with app.run_test(size=(80, 24)) as pilot:
        screen, panel = await reveal_demo_card(pilot, app, "slow")
        await pilot.press("r")
        for _ in range(100):
            await pilot.pause(0.05)
            if (
                panel._run is not None
                and panel._run.proc is not None
                and "step" in str(panel.query_one("#demo-status", Static).render())
            ):
                break
        proc = panel._run.proc
        assert proc is not None and proc.poll() is None
        # the app stays responsive while the demo runs: keys are handled
        await pilot.press("u")
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("escape")  # cancels the demo, does not leave the screen
        await settle(pilot, app)
        assert isinstance(app.screen, ReviewScreen)
        assert proc.poll() is not None
        assert "Cancelled" in str(panel.query_one("#demo-status", Static).render())
        with pytest.raises(ProcessLookupError):
            os.kill(proc.pid, 0)


async def test_crashing_demo_shows_its_error_in_place_and_the_app_keeps_running(app):
    async with app.run_test(size=(80, 24)) as pilot:
        screen, panel = await reveal_demo_card(pilot, app, "crash")
        await pilot.press("r")
        await settle(pilot, app)
        status = str(panel.query_one("#demo-status", Static).render())
        assert "! The demo failed" in status and "RuntimeError: the demo broke on purpose" in status
        assert 'raise RuntimeError("the demo broke on purpose")' in status  # the last lines of its output
        await pilot.press("3")
        assert app.workspace.store.state("tiny:crash").reps == 1


async def test_parameter_form_rejects_a_bad_value_in_place_and_runs_good_ones(app):
    async with app.run_test(size=(80, 24)) as pilot:
        screen, panel = await reveal_demo_card(pilot, app, "quick")
        await pilot.press("p")
        await settle(pilot, app)
        assert isinstance(app.screen, ParamsScreen)
        field = app.screen.query_one("#param-n", Input)
        field.value = "99"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ParamsScreen)
        assert "n: must be <= 10, got 99" in str(app.screen.query_one("#error-n", Static).render())
        field.value = "5"
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        assert isinstance(app.screen, ReviewScreen)
        assert "counted to 5" in " ".join(str(s.render()) for s in panel.query(Static))
        assert app.workspace.demo_cache.get("tiny:quick", "quick", {"n": 5, "seed": 0}) is not None


async def test_parameter_form_from_the_demos_screen_runs_the_demo_and_cancel_keeps_the_last_values(app):
    async with app.run_test(size=(80, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("d")
        await settle(pilot, app)
        demos = app.screen
        table = demos.query_one("#demo-list", DataTable)
        table.move_cursor(row=table.get_row_index("quick"))
        await pilot.pause()
        await pilot.press("p")
        await settle(pilot, app)
        assert isinstance(app.screen, ParamsScreen) and app.screen.demo == "quick"
        app.screen.query_one("#param-n", Input).value = "4"
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        assert app.screen is demos
        panel = demos.query_one("#demo", DemoPanel)
        assert "counted to 4" in " ".join(str(s.render()) for s in panel.query(Static))
        assert app.workspace.demo_cache.get("demo:quick", "quick", {"n": 4, "seed": 0}) is not None
        await pilot.press("p")
        await settle(pilot, app)
        assert app.screen.query_one("#param-n", Input).value == "4"  # the form opens on the values last run
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.screen is demos and panel.params == {"n": 4}
        assert "Last run just now (cached)" in str(panel.query_one("#demo-status", Static).render())


async def test_the_demo_panel_asks_its_host_for_the_form_by_message_and_never_opens_a_screen(gistquiz_home, demos_dir):
    from textual.app import App

    class Host(App[None]):
        def compose(self):
            yield DemoPanel(id="demo")

        def on_demo_panel_params_wanted(self, message: DemoPanel.ParamsWanted) -> None:
            wanted.append(message)

    wanted: list[DemoPanel.ParamsWanted] = []
    host = Host()
    host.clock = Clock()  # the panel stamps results with the app's clock
    cache = Workspace(gistquiz_home, [], demos_folder=demos_dir).demo_cache
    async with host.run_test(size=(80, 30)) as pilot:
        panel = host.query_one(DemoPanel)
        panel.show_card(None, demos_dir, cache, demo="quick")
        panel.edit_params()
        await settle(pilot, host)
        assert len(host.screen_stack) == 1 and len(wanted) == 1
        m = wanted[0]
        assert (m.panel, m.demo, m.params, m.seed, m.folder) == (panel, "quick", {}, 0, demos_dir)
        assert [p["name"] for p in m.spec] == ["n"] and m.control is panel
        panel.use_params((2, {"n": 2}))
        await settle(pilot, host)
        assert "counted to 2" in " ".join(str(s.render()) for s in panel.query(Static))
        assert cache.get("demo:quick", "quick", {"n": 2, "seed": 2}) is not None


async def test_demos_screen_lists_claims_and_linked_cards_and_runs_one(app):
    async with app.run_test(size=(80, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("d")
        await pilot.pause()
        table = app.screen.query_one("#demo-list", DataTable)
        assert [str(c) for c in table.get_row("quick")] == ["quick", "1", "Quick: counting to n gives n."]
        table.move_cursor(row=table.get_row_index("quick"))
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot, app)
        panel = app.screen.query_one("#demo", DemoPanel)
        assert "counted to 3" in " ".join(str(s.render()) for s in panel.query(Static))


# ----------------------------------------------------------------- quiz


async def test_quiz_grades_right_and_wrong_answers_and_sums_up(app, decks_dir):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        cards = app.workspace.library.deck("tiny").cards
        chosen = [c for c in cards if c.key in ("tiny:prime", "tiny:paris", "tiny:parts/c1")]
        app.push_screen(QuizScreen("tiny", chosen, count=3, seed=1))
        await pilot.pause()
        screen = app.screen
        right = wrong = 0
        while isinstance(app.screen, QuizScreen):
            q = screen.question
            if q.kind.value == "choice":
                index = min(q.correct) if right == 0 else (set(range(len(q.options))) - set(q.correct)).pop()
                await pilot.press("abcdefgh"[index])
            elif q.card.key == "tiny:paris":
                await pilot.press(*"Paris", "enter")
            else:
                await pilot.press(*"pooling", "enter")
            feedback = str(screen.query_one("#quiz-verdict", Static).render())
            assert ("✓ Right" in feedback) or ("✗ Not quite" in feedback)
            right, wrong = right + ("✓" in feedback), wrong + ("✗" in feedback)
            await pilot.press("enter")
            await pilot.pause()
        assert isinstance(app.screen, QuizSummaryScreen)
        score = str(app.screen.query_one("#quiz-score", Static).render())
        assert f"Score: {right} / 3" in score and right >= 2 and wrong >= 1
        assert app.workspace.store.reviews() == []  # quiz answers leave the schedule alone by default
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen) and len(app.screen.questions) == wrong


async def test_quiz_answers_count_as_good_or_again_when_the_setting_says_so(app, gistquiz_home):
    (gistquiz_home / "settings.toml").write_text("bundled_decks = false\nquiz_updates_schedule = true\n")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        cards = app.workspace.library.deck("tiny").cards
        chosen = [c for c in cards if c.key in ("tiny:paris", "tiny:parts/c1")]
        app.push_screen(QuizScreen("tiny", chosen, count=2, seed=1))
        await pilot.pause()
        screen, shown = app.screen, {}
        while isinstance(app.screen, QuizScreen):
            q = screen.question
            await pilot.press(*("Paris" if q.card.key == "tiny:paris" else "pooling"), "enter")
            shown[q.card.key] = "✓" in str(screen.query_one("#quiz-verdict", Static).render())
            await pilot.press("enter")
            await pilot.pause()
        assert shown == {"tiny:paris": True, "tiny:parts/c1": False}
        logged = {e.card_key: (e.rating, e.source) for e in app.workspace.store.reviews()}
        assert logged == {"tiny:paris": (3, "quiz"), "tiny:parts/c1": (1, "quiz")}  # right: Good, wrong: Again


async def test_quiz_setup_filters_by_tag(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one("#decks", DataTable)
        table.move_cursor(row=table.get_row_index("tiny"))
        await pilot.press("q")
        await pilot.pause()
        app.screen.query_one("#quiz-tag").value = "demo"
        await pilot.click("#start")
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen)
        assert [q.card.key for q in app.screen.questions] == ["tiny:quick"]


# ----------------------------------------------------------------- stats and search


async def test_stats_on_an_empty_and_a_full_history(app):
    async with app.run_test(size=(100, 50)) as pilot:
        await settle(pilot, app)
        await pilot.press("s")
        await settle(pilot, app)
        summary = str(app.screen.query_one("#stats-summary", Static).render())
        assert "0 reviews" in summary and "true retention –" in summary
        await pilot.press("escape")
        # a full history: every card answered on many days, with lapses
        from gistquiz.scheduler import Rating
        from gistquiz.session import Session

        ws, clock = app.workspace, app.clock
        cards = ws.library.deck("tiny").cards
        for day in range(40):
            clock.t = T0 + timedelta(days=day)
            s = Session(cards, ws.store, ws.scheduler, clock=clock)
            while (card := s.next()) is not None:
                s.answer(card, Rating.AGAIN if day % 7 == 0 else Rating.GOOD)
                clock.t += timedelta(minutes=11)
        await pilot.press("s")
        await settle(pilot, app)
        screen = app.screen
        summary = str(screen.query_one("#stats-summary", Static).render())
        assert "true retention –" not in summary and "%" in summary
        assert "Reviews per day" in str(screen.query_one("#stats-calendar", Static).render())
        assert "busiest" in str(screen.query_one("#stats-forecast", Static).render())


async def test_search_updates_as_you_type_and_opens_a_card(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash")
        await pilot.pause()
        screen = app.screen
        await pilot.press(*"paris")
        await pilot.pause()
        assert [c.key for c in screen.found] == ["tiny:paris"]
        await pilot.press("backspace", *"", "ctrl+u")
        screen.query_one("#search", Input).value = "tag:demo"
        await pilot.pause()
        assert [c.key for c in screen.found] == ["tiny:quick"]
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen) and app.screen.card.key == "tiny:quick"


async def test_a_card_found_by_search_opens_through_the_app_as_itself_not_all_decks(app, monkeypatch):
    opened = spy_reviews(app, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"paris", "enter", "enter")
        await pilot.pause()
        paris = app.workspace.library.card("tiny:paris")
        assert opened == [(Selection("tiny: Capital of France?", (paris,)), True)]
        assert isinstance(app.screen, ReviewScreen) and app.screen.card == paris and app.screen.cram


async def test_a_leech_opens_from_stats_through_the_app_as_itself(app, gistquiz_home, monkeypatch):
    (gistquiz_home / "settings.toml").write_text("bundled_decks = false\nleech_threshold = 1\n")
    opened = spy_reviews(app, monkeypatch)
    async with app.run_test(size=(100, 50)) as pilot:
        await settle(pilot, app)
        ws, clock = app.workspace, app.clock
        quick = ws.library.card("tiny:quick")
        session = Session([quick], ws.store, ws.scheduler, clock=clock)
        session.answer(quick, Rating.EASY)  # straight to review
        clock.t = T0 + timedelta(days=30)
        session.refresh()
        session.answer(quick, Rating.AGAIN)  # a lapse: one is a leech here
        assert ws.store.state("tiny:quick").leech
        await press_on_deck(pilot, app, "tiny", "s")
        await settle(pilot, app)
        leeches = app.screen.query_one("#stats-leeches", DataTable)
        assert leeches.row_count == 1
        leeches.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert opened == [(Selection("Leech in tiny", (quick,)), True)]
        assert isinstance(app.screen, ReviewScreen) and app.screen.card == quick


# ----------------------------------------------------------------- how it looks (SVG snapshots, 80x24)


def test_app_stylesheet_names_no_id_each_screen_styles_its_own():
    """An id belongs to one screen or widget, so its style sits beside it (DEFAULT_CSS), not in app.tcss."""
    import re

    tcss = (ROOT / "gistquiz" / "ui" / "app.tcss").read_text()
    rules = re.sub(r"/\*.*?\*/", "", tcss, flags=re.S)
    assert re.findall(r"#[\w-]+", rules) == []


def test_snapshot_home(app, snap_compare):
    async def loaded(pilot):
        await settle(pilot, app)

    assert snap_compare(app, terminal_size=(80, 24), run_before=loaded)


def test_snapshot_review_revealed_with_intervals(app, snap_compare):
    async def revealed(pilot):
        screen = await open_tiny(pilot, app)
        await to_card(pilot, screen, "prime")
        await pilot.press("space")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=revealed)


def test_snapshot_demo_result(app, snap_compare):
    """A cached result (a real run, its timing fixed), so that the picture does not depend on speed."""

    async def ran(pilot):
        from gistquiz.runner import DemoRun

        outcome = DemoRun("quick", folder=app.workspace.demos_folder).run()
        outcome.result["elapsed_s"] = 0.25
        app.workspace.demo_cache.save("tiny:quick", "quick", {"seed": 0}, outcome.result, T0)
        screen, panel = await reveal_demo_card(pilot, app, "quick")
        await settle(pilot, app)

    assert snap_compare(app, terminal_size=(80, 24), run_before=ran)


def test_snapshot_quiz_question(app, snap_compare):
    async def quizzing(pilot):
        await settle(pilot, app)
        app.push_screen(QuizScreen("tiny", app.workspace.library.deck("tiny").cards, count=5, seed=4))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=quizzing)


async def test_a_bad_settings_file_is_shown_on_home_and_the_app_stays_open(app, gistquiz_home):
    (gistquiz_home / "settings.toml").write_text("desired_retention = 7\n")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        hint = str(app.screen.query_one("#hint", Static).render())
        assert "! " in hint and "'desired_retention' must be between 0.7 and 0.99" in hint
        assert isinstance(app.screen, HomeScreen) and app.is_running


# ----------------------------------------------------------------- keys typed at once
# Keys act in the order typed, even when they arrive at once (fast typing, a paste, tmux, a busy machine).
#
# Pilot's ``press`` waits for the app to go idle after every key, so it never shows the race a terminal
# delivers: several keys read in one go, a priority binding (Enter on home and in a quiz, Ctrl+S and Esc in
# the editor) handled by the app at once while the keys before it still wait in the focused widget's queue.
# :func:`burst` sends keys the way a terminal does. Each test failed before gistquiz/ui/in_order.py.


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


# ----------------------------------------------------------------- every screen's key bar at 80 columns


@pytest.mark.parametrize("key", ["", "s", "d", "slash"])
async def test_each_screens_bar_names_its_keys_and_quit_whole_at_80_columns(app, key):
    """Textual's Footer cut "^q Quit" to "^q Qui" on the stats screen at 80x24 (seen in tmux); every
    screen now draws gistquiz's KeyBar, each entry whole and inside the screen."""
    from gistquiz.ui.widgets.key_bar import KeyBar

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        if key:
            await pilot.press(key)
            await settle(pilot, app)
        bar = app.screen.query_one(KeyBar)
        drawn = str(bar.render())
        assert drawn.rstrip().endswith("^q Quit")
        assert "Esc Back" in drawn or not key  # every screen but home goes back with Esc
        assert bar.region.bottom <= 24 and bar.region.right <= 80 and bar.region.height == 1
        for binding in app.screen.BINDINGS:
            if getattr(binding, "show", True) and binding.description:
                assert binding.description in drawn, (type(app.screen).__name__, binding.description)
