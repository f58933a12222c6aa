"""Every key a bar names does what it says, in every state of the review, at 80x24 and 60x20.

The keys are read from the key bar the screen actually draws (the ``KeyBar``'s text), not from a list
written here, and each is pressed in a fresh copy of its state and checked for its own effect: a row
of the review log, a flag in the store, the screen's state. The layout tests compare the bar's and the
verdict's regions with the screen's.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from quick_demo import quick
from textual.geometry import Region
from textual.widgets import Static

from gistquiz.scheduler import Rating, State
from gistquiz.ui.app import GistQuizApp
from gistquiz.ui.screens.review import ReviewScreen
from gistquiz.ui.widgets.demo_panel import DemoPanel
from gistquiz.ui.widgets.key_bar import KeyBar
from gistquiz.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SIZES = [(80, 24), (60, 20)]

DECK = """\
# Keys

## What does quick count to?
id: quick
demo: quick

Three, by default.

## Capital of France?
id: paris
type: typed

Paris

## Parts of a CNN
id: parts

A CNN stacks {{c1::convolution}} layers.

## Which number is prime?
id: prime

- [ ] 4
- [x] 7
- [ ] 9
- [ ] 8
- [ ] 10

## Which number is odd?
id: odd

- [ ] 2
- [x] 3
- [ ] 4

## Which numbers are even?
id: even

- [x] 2
- [x] 4
- [ ] 5

## A tall card
id: tall

Line 1 of a card taller than the screen.
Line 2 of a card taller than the screen.
Line 3 of a card taller than the screen.
Line 4 of a card taller than the screen.
Line 5 of a card taller than the screen.
Line 6 of a card taller than the screen.
Line 7 of a card taller than the screen.
Line 8 of a card taller than the screen.
Line 9 of a card taller than the screen.
Line 10 of a card taller than the screen.
Line 11 of a card taller than the screen.
Line 12 of a card taller than the screen.
Line 13 of a card taller than the screen.
Line 14 of a card taller than the screen.
Line 15 of a card taller than the screen.
Line 16 of a card taller than the screen.
Line 17 of a card taller than the screen.
Line 18 of a card taller than the screen.
Line 19 of a card taller than the screen.
Line 20 of a card taller than the screen.
Line 21 of a card taller than the screen.
Line 22 of a card taller than the screen.
Line 23 of a card taller than the screen.
Line 24 of a card taller than the screen.
Line 25 of a card taller than the screen.
Line 26 of a card taller than the screen.
Line 27 of a card taller than the screen.
Line 28 of a card taller than the screen.
Line 29 of a card taller than the screen.
Line 30 of a card taller than the screen.
?
The answer, below the thirty lines.

## Warm-up
id: warm

A card rated before each state, so that Undo has something to undo.
"""

EDITOR = """import sys, pathlib
pathlib.Path(sys.argv[0]).with_suffix('.log').write_text(sys.argv[1])
"""


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> datetime:
        return self.t


def new_app(root: Path) -> GistQuizApp:
    """A fresh data folder, deck and demo under ``root``: each key is pressed on untouched state."""
    home, decks, demos = root / "home", root / "decks", root / "demos"
    for folder in (home, decks, demos):
        folder.mkdir(parents=True)
    (home / "settings.toml").write_text("bundled_decks = false\n")
    (decks / "keys.md").write_text(DECK)
    for helper in ("harness.py", "textreport.py"):
        shutil.copy(ROOT / "demos" / helper, demos / helper)
    (demos / "quick.py").write_text(quick(3.0))  # still running when a loaded machine reads the bar
    return GistQuizApp(Workspace(home, [decks], demos_folder=demos), clock=Clock())


@pytest.fixture
def editor_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the test's $EDITOR writes the line it was asked to open."""
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    monkeypatch.delenv("VISUAL", raising=False)
    return editor.with_suffix(".log")


async def settle(pilot, app) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


# ----------------------------------------------------------------- reading the bar


def shown_keys(screen) -> list[tuple[str, str]]:
    """(key, label) of every entry the screen's key bar draws, read from its text."""
    text = screen.query_one(KeyBar).content.plain
    return [tuple(entry.split(" ", 1)) for line in text.splitlines() for entry in line.split("  ")]


PRESS = {
    "Space": "space",
    "Esc": "escape",
    "Enter": "enter",
    "Tab": "tab",
    "?": "question_mark",
    "F1": "f1",
    "^q": "ctrl+q",
    "PgDn": "pagedown",
    "PgUp": "pageup",
}


def to_press(key: str) -> list[str]:
    """The key names Pilot presses for one entry: for a range such as ``a-e``, both ends."""
    if len(key) == 3 and key[1] == "-":
        return [key[0], key[2]]
    return [PRESS.get(key, key)]


def assert_bar_fits(app, screen, back: bool = True) -> None:
    """The whole bar lies on the screen, no row wider than the bar: nothing it names is cut off."""
    bar = screen.query_one(KeyBar)
    width, height = app.size
    region = bar.region
    assert region.x >= 0 and region.right <= width and region.y >= 0 and region.bottom <= height
    rows = bar.content.plain.splitlines()
    assert len(rows) == region.height, (rows, region)
    assert all(len(row) <= bar.content_region.width for row in rows), rows
    labels = [f"{k} {label}" for k, label in shown_keys(screen)]
    assert not back or {"Esc Back", "Esc Cancel demo"} & set(labels), labels
    assert {"? Keys", "F1 Keys"} & set(labels), labels
    assert "^q Quit" in labels


# ----------------------------------------------------------------- the review's states


async def open_review(pilot, app) -> ReviewScreen:
    await settle(pilot, app)
    table = app.screen.query_one("#decks")
    table.move_cursor(row=table.get_row_index("keys"))
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, ReviewScreen)
    return app.screen


async def state(pilot, app, name: str) -> ReviewScreen:
    """A fresh review in one named state, after the warm-up card was rated Good (so Undo has work)."""
    screen = await open_review(pilot, app)
    warm = screen.session.cards["keys:warm"]
    screen.session.answer(warm, Rating.GOOD)
    card, *steps = STATES[name]
    screen.session.current = screen.session.cards[f"keys:{card}"]
    screen.show_next()
    await pilot.pause()
    for step in steps:
        await pilot.press(step)
        await pilot.pause()
    return screen


STATES = {
    "basic front": ("quick",),
    "basic back with a demo": ("quick", "space"),
    "typed, typing": ("paris",),
    "typed, the card's keys": ("paris", "tab"),
    "cloze front": ("parts/c1",),
    "choice front": ("prime",),
    "choice front, three options": ("odd",),
    "several right, one picked": ("even", "a"),
}


STATES["demo running"] = ("quick", "space", "r")
STATES["tall front"] = ("tall",)  # taller than 24 rows: the bar names PgDn
STATES["tall back, at the end"] = ("tall", "space", "end")  # scrolled to the end: PgUp


def observe(app, screen: ReviewScreen, card) -> dict:
    """What is observably true: the screen on top, the review's state, the store's flags for ``card``."""
    store = app.workspace.store
    st = store.state(card.key)
    warm = store.state("keys:warm")
    mounted = screen.is_attached  # Esc took it off the stack
    return {
        "screen": type(app.screen).__name__,
        "card": screen.card,
        "revealed": screen.revealed,
        "focus": getattr(screen.focused, "id", None),
        "picked": set(getattr(screen, "picked", ())),
        "grade": str(screen.query_one("#grade", Static).render()) if mounted else "",
        "suspended": bool(st and st.suspended),
        "buried": bool(st and st.buried_until),
        "warm undone": warm is None or warm.state == State.NEW,
        "demo running": mounted and screen.query_one("#demo", DemoPanel).running,
        "running": app.is_running,
        "edit line": getattr(getattr(app.screen, "opened", None), "line", None),  # the in-app editor's section
        "scroll": screen.query_one("#card").scroll_target_y if mounted else None,
    }


def check_key(label: str, key: str, before: dict, after: dict) -> None:
    """The specific effect each label promises."""
    card = before["card"]
    if label in ("Show answer", "Show", "Check"):
        assert after["revealed"] and after["card"] == card
        if before["picked"]:
            assert "Not quite" in after["grade"] or "Right" in after["grade"]
    elif label in ("Other keys", "Type answer"):
        assert not after["revealed"] and after["focus"] == ("typed" if label == "Type answer" else "card")
    elif label == "Pick":  # one right option: the letter answers; several: it toggles
        if card.key in ("keys:prime", "keys:odd"):
            assert after["revealed"] and ("✓ Right" in after["grade"] or "✗ Not quite" in after["grade"])
        else:
            assert not after["revealed"] and after["picked"] ^ before["picked"] == {ord(key) - ord("a")}
    elif label == "Undo":
        assert after["warm undone"] and after["card"].key == "keys:warm"
    elif label == "Suspend":
        assert after["suspended"] and after["card"] != card
    elif label == "Bury":
        assert after["buried"] and after["card"] != card
    elif label == "Edit":  # the in-app editor, on the card's section ($EDITOR is E, not on the bar)
        assert after["screen"] == "EditorScreen" and after["edit line"] == card.line and after["edited"] is None
    elif label == "Run":
        assert after["demo running"]
    elif label == "Params":
        assert after["screen"] == "ParamsScreen"
    elif label == "Back":
        assert after["screen"] == "HomeScreen" and after["revealed"] == before["revealed"]  # never reveals
    elif label == "Cancel demo":  # one level back: the demo stops, the review stays
        assert before["demo running"] and not after["demo running"] and after["screen"] == "ReviewScreen"
    elif label == "More":  # a page further down the card, which stays as it was
        assert after["scroll"] > before["scroll"] and after["card"] == card and after["revealed"] == before["revealed"]
    elif label == "Up":
        assert after["scroll"] < before["scroll"] and after["card"] == card and after["revealed"] == before["revealed"]
    elif label == "Keys":
        assert after["screen"] == "KeysScreen"
    elif label == "Quit":
        assert not after["running"]
    else:
        raise AssertionError(f"the bar names {key} {label}, which this test does not know: add its effect")


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "60x20"])
@pytest.mark.parametrize("name", list(STATES))
async def test_the_review_bar_keeps_every_key_on_screen(tmp_path, name, size):
    app = new_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        screen = await state(pilot, app, name)
        assert_bar_fits(app, screen)
        if size == (80, 24):
            assert screen.query_one(KeyBar).region.height == 1  # one row is enough at 80 columns
        answer_bar = str(screen.query_one("#answer-bar", Static).render())
        if not screen.revealed and not screen.query_one("#demo", DemoPanel).running:
            named = answer_bar.split()[-1]  # "Show answer  Space", "Check  Enter": the key the bar names
            await pilot.press(PRESS[named])
            await pilot.pause()
            assert screen.revealed, (answer_bar, named)


@pytest.mark.parametrize("name", list(STATES))
async def test_every_key_the_review_bar_names_does_that(tmp_path, editor_log, name):
    """Pressed at 80x24 (which keys the bar names does not depend on the size; their layout does, above)."""
    size = (80, 24)
    app = new_app(tmp_path / "look")
    async with app.run_test(size=size) as pilot:
        screen = await state(pilot, app, name)
        entries = shown_keys(screen)
    for n, (key, label) in enumerate(entries):
        for press in to_press(key):
            app = new_app(tmp_path / f"{n}-{press}")
            editor_log.unlink(missing_ok=True)
            async with app.run_test(size=size) as pilot:
                screen = await state(pilot, app, name)
                assert shown_keys(screen) == entries
                before = observe(app, screen, screen.card)
                await pilot.press(press)
                await pilot.pause()
                if label in ("Params", "Cancel demo", "Edit"):
                    # the form reads the demo's parameters in a worker; a run ends in one; the editor's screen
                    # covers the review while the reveal's worker may still be filling the demo panel
                    await settle(pilot, app)
                after = observe(app, screen, before["card"])
                after["edited"] = editor_log.read_text() if editor_log.exists() else None
                check_key(label, press, before, after)
                if screen.is_attached:
                    screen.query_one("#demo", DemoPanel).stop()


# ----------------------------------------------------------------- the answer box, clozes, choices


async def test_ctrl_z_in_the_answer_box_undoes_typing_never_the_last_rating(tmp_path):
    app = new_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await state(pilot, app, "typed, typing")
        log = app.workspace.store.reviews()
        await pilot.press(*"Pari", "ctrl+z")
        await pilot.pause()
        assert screen.query_one("#typed").value == "Par" and screen.card.key == "keys:paris"
        assert app.workspace.store.reviews() == log and app.workspace.store.state("keys:warm").reps == 1
        await pilot.press("ctrl+z", "ctrl+z", "ctrl+z", "ctrl+z")  # past the start: the box stays empty
        assert screen.query_one("#typed").value == "" and app.workspace.store.reviews() == log
        await pilot.press(*"u s b e")  # letters type: none of them acts while the box has the focus
        assert screen.query_one("#typed").value == "u s b e" and screen.card.key == "keys:paris"
        assert app.workspace.store.reviews() == log and not app.workspace.store.state("keys:paris")


async def test_a_cloze_is_revealed_with_space_and_rated_as_in_anki(tmp_path):
    app = new_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await state(pilot, app, "cloze front")
        assert not screen.query_one("#typed").display and screen.focused.id == "card"
        await pilot.press("space")
        assert screen.revealed and "**convolution**" in screen.sources["back"]
        await pilot.press("4")
        assert app.workspace.store.reviews()[-1].card_key == "keys:parts/c1"
        assert app.workspace.store.reviews()[-1].rating == Rating.EASY


async def test_esc_on_a_cloze_front_goes_back_and_does_not_reveal(tmp_path):
    app = new_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await state(pilot, app, "cloze front")
        await pilot.press("escape")
        await pilot.pause()
        assert not screen.revealed and type(app.screen).__name__ == "HomeScreen"


async def test_several_right_options_toggle_with_letters_and_enter_checks(tmp_path):
    app = new_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await state(pilot, app, "several right, one picked")
        card = screen.card
        assert "Pick 2." in screen.sources["front"]
        shown = [card.options[i].text for i in screen.order]  # a), b), c) as the screen shows them
        right = [chr(ord("a") + n) for n, text in enumerate(shown) if text in ("2", "4")]
        await pilot.press("a")  # untoggle the state's pick
        await pilot.press(*right)
        assert not screen.revealed and "▸" in screen.sources["front"]
        await pilot.press("enter")
        assert screen.revealed and "✓ Right" in str(screen.query_one("#grade", Static).render())
        await pilot.press("3")
        assert app.workspace.store.reviews()[-1].card_key == "keys:even"


# ----------------------------------------------------------------- home's bar, the key list, the header


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "60x20"])
async def test_the_home_bar_is_not_cut_and_each_key_opens_its_screen(tmp_path, size):
    app = new_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        home = app.screen
        assert_bar_fits(app, home, back=False)
        if size == (80, 24):
            assert home.query_one(KeyBar).region.height == 1
        opens = {"Review": "ReviewScreen", "Quiz": "QuizSetupScreen", "Demos": "DemosScreen", "Stats": "StatsScreen"}
        opens |= {"Search": "BrowseScreen", "Keys": "KeysScreen"}
        for key, label in shown_keys(home):
            if label not in opens:
                continue
            table = home.query_one("#decks")
            table.move_cursor(row=table.get_row_index("keys"))
            await pilot.press(*to_press(key))
            await settle(pilot, app)
            assert type(app.screen).__name__ == opens[label], (key, label)
            await pilot.press("escape")
            await settle(pilot, app)
            assert app.screen is home
        assert {label for _, label in shown_keys(home)} >= set(opens) | {"Reload", "Quit"}


async def test_the_key_list_starts_with_this_screens_keys(tmp_path):
    app = new_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await state(pilot, app, "basic back with a demo")
        bar = [(k, label) for k, label in shown_keys(screen)]
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "KeysScreen"
        listing = app.screen.query_one("#keys-list", Static)
        box = Region(0, 0, listing.outer_size.width, listing.outer_size.height)
        text = "\n".join(strip.text.rstrip() for strip in listing.render_lines(box))
        rows = [row.split(None, 1) for row in text.splitlines() if row.strip()]
        assert rows[0] == ["This", "screen, now"]
        first = [(key, what.strip()) for key, what in rows[1 : len(bar) - 1]]
        assert first == bar[:-2]  # this screen's keys as the bar shows them, before the generic ones
        assert text.index("1 ") < text.index("Everywhere") < text.index("Tab / Shift+Tab")  # ratings on the list
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen is screen


async def test_the_header_shows_no_icon_that_fonts_lack(tmp_path):
    app = new_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        for icon in app.screen.query("HeaderIcon"):
            assert icon.region.width == 0 or icon.icon.isascii()


# ----------------------------------------------------------------- a card taller than the screen


async def test_a_tall_card_names_its_scroll_key_on_the_full_80_column_bar(tmp_path):
    app = new_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await state(pilot, app, "basic front")  # fits: no scroll key
        card_view = screen.query_one("#card")
        assert card_view.max_scroll_y == 0 and not {"PgDn", "PgUp"} & {k for k, _ in shown_keys(screen)}
        full = shown_keys(screen)
        screen.session.current = screen.session.cards["keys:tall"]
        screen.show_next()
        await pilot.pause()
        assert card_view.max_scroll_y > 0  # the thirty lines overflow the card's view
        entries = shown_keys(screen)
        assert ("PgDn", "More") in entries and screen.query_one(KeyBar).region.height == 1
        assert_bar_fits(app, screen)
        # The least important keys made room (they still work, and ? lists them); Show answer and Undo stayed.
        assert [e for e in full if e not in entries] == [("b", "Bury"), ("e", "Edit")]
        assert entries[:2] == [("Space", "Show answer"), ("u", "Undo")]
        await pilot.press("question_mark")
        await pilot.pause()
        listing = app.screen.query_one("#keys-list", Static)
        box = Region(0, 0, listing.outer_size.width, listing.outer_size.height)
        rows = [" ".join(strip.text.split()) for strip in listing.render_lines(box)]
        assert {"b Bury", "e Edit"} <= set(rows), rows
        assert any(r.startswith("PgDn PgUp Scroll a card taller than the screen") for r in rows), rows
        await pilot.press("escape")
        await pilot.press("pagedown")  # the key the bar names
        await pilot.pause()
        assert card_view.scroll_target_y > 0 and not screen.revealed
        await pilot.press("end")
        await pilot.pause()
        assert ("PgUp", "Up") in shown_keys(screen) and ("PgDn", "More") not in shown_keys(screen)
        await pilot.press("space", "3")  # rated: the next card fits again, and the bar is as before
        await pilot.pause()
        assert screen.card.key != "keys:tall" and card_view.max_scroll_y == 0
        assert not {"PgDn", "PgUp"} & {k for k, _ in shown_keys(screen)}
