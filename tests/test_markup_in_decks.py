"""A deck's own words are shown as written, never read as markup.

Rich and Textual both read ``[...]`` in a plain string as markup: a deck titled ``a [/] b`` crashed the app's
first screen (a closing tag with nothing to close), ``x[i]`` lost its ``[i]`` (italic), ``:smile:`` became an
emoji, and ``[@click=app.quit]`` made a clickable action out of the learner's text. Every place that shows
a deck's words (the deck table, browse, the review's header and card, notifications) must show them as
text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gistquiz.ui.app import GistQuizApp
from gistquiz.ui.screens.browse import BrowseScreen
from gistquiz.ui.screens.review import ReviewScreen
from gistquiz.workspace import Workspace

TITLE = "Odd [/] deck :smile: [b]bold[/b] [@click=app.quit]q"
FRONT = "What does x[i] pick [/] from [@click=app.quit]x?"
DECK = f"# {TITLE}\n\n## {FRONT}\ntags: a[b]\n\nThe element at [i].\n"


@pytest.fixture
def app(gistquiz_home: Path, tmp_path: Path) -> GistQuizApp:
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "odd.md").write_text(DECK)
    (gistquiz_home / "settings.toml").write_text("bundled_decks = false\n")
    return GistQuizApp(Workspace(gistquiz_home, [decks]))


def screen_text(app) -> str:
    return "\n".join("".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips())


async def settle(pilot, app) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def test_a_deck_whose_words_look_like_markup_shows_them_as_written(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        text = screen_text(app)
        assert "Odd [/] deck :smile: [b]bold[/b]" in text  # the deck table, and the welcome line
        assert "😄" not in text
        await pilot.press("slash")  # browse: the card's front and tags
        await pilot.pause()
        assert isinstance(app.screen, BrowseScreen)
        assert "What does x[i] pick [/]" in screen_text(app)
        assert "a[b]" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("enter")  # review: the header's title and the card
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("space")
        await pilot.pause()
        text = screen_text(app)
        assert "x[i] pick [/]" in text and "[i]." in text
        assert app.is_running  # nothing in the deck became an action or an error


async def test_a_notification_quoting_a_deck_shows_its_brackets(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.notify(f"About {TITLE}")
        await pilot.pause()
        await pilot.pause()
        assert "Odd [/] deck" in screen_text(app)


def test_every_static_the_ui_composes_takes_plain_text():
    """Textual reads a str given to a ``Static`` as markup unless told otherwise: each one the UI builds says
    ``markup=False``, so that a new screen cannot bring the crash back (the strings they show quote decks)."""
    import ast

    ui = Path(__file__).parent.parent / "gistquiz" / "ui"
    missing = []
    for path in sorted(ui.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Static":
                plain = any(k.arg == "markup" and getattr(k.value, "value", None) is False for k in node.keywords)
                if not plain:
                    missing.append(f"{path.relative_to(ui)}:{node.lineno}")
    assert not missing, missing
