"""The quiz as a user meets it at 80x24 and 60x20: several right answers, Markdown options that wrap
at word boundaries, a verdict that is always on screen, a summary that never cuts an answer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widgets import OptionList, Static

from gistquiz.ui.app import GistQuizApp
from gistquiz.ui.screens.quiz import QuizScreen, QuizSummaryScreen
from gistquiz.workspace import Workspace

SIZES = [(80, 24), (60, 20)]

LONG_OPTIONS = [
    "- [ ] It prints **(2, 3) (3, 2) (3, 2, 1)** and then (4, 3) 0.0 (3,), because the transpose swaps the two axes"
    " and concatenate stacks along the last axis",
    "- [x] It prints **(2, 3) (3, 2) (3, 2, 1)** and then (4, 3) 0.0 (3,), because the transpose swaps the axes and"
    " concatenate stacks along the first axis by default",
    "- [ ] It prints **(2, 3) (2, 3) (3, 2, 1)** and then (2, 6) 0.0 (6,), because a transpose of a view changes"
    " nothing and concatenate joins along the columns",
    "- [ ] It raises an error, because **reshape** cannot add a trailing axis of length one to a transposed view that"
    " is not contiguous in memory",
]
LONG_TEMPLATE = """\
# Long

## What does this code print, and why does each shape come out the way it does?

```python
import numpy as np
x = np.zeros((2, 3))
y = x.T
z = y.reshape(3, 2, 1)
w = np.concatenate([x, x])
print(x.shape, y.shape, z.shape)
print(w.shape, w.sum(), w.mean(axis=0).shape)
```
?

{options}

Transposing swaps the axes; concatenate joins along axis 0 unless told otherwise.

## Which numbers are even?

- [x] 2
- [ ] 5
- [x] 4
- [ ] 7

## Which convolution kernels find edges in an image?

The Sobel kernels, which respond to a change of brightness in one direction, and the Laplacian kernels, which
respond to a change in every direction at once
"""
LONG = LONG_TEMPLATE.replace("{options}", "\n".join(LONG_OPTIONS))


@pytest.fixture
def app(gistquiz_home: Path, tmp_path: Path) -> GistQuizApp:
    (gistquiz_home / "settings.toml").write_text("bundled_decks = false\n")
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "long.md").write_text(LONG)
    return GistQuizApp(Workspace(gistquiz_home, [decks]))


async def start(pilot, app, front: str) -> QuizScreen:
    await pilot.pause()
    await app.workers.wait_for_complete()
    card = next(c for c in app.workspace.library.deck("long").cards if c.front.startswith(front))
    app.push_screen(QuizScreen("long", [card], count=1, seed=0))
    await pilot.pause()
    return app.screen


def lines(widget) -> list[str]:
    """The text rows a widget draws at its current size."""
    region = Region(0, 0, widget.outer_size.width, widget.outer_size.height)
    return [strip.text for strip in widget.render_lines(region)]


def drawn(app, widget, text: str) -> bool:
    """Whether the row of ``widget`` that holds ``text`` is on screen and not covered or scrolled away."""
    row = next(n for n, line in enumerate(lines(widget)) if text in line)
    region = widget.region  # the rows above are the widget's whole box, padding included
    width, height = app.size
    y = region.y + row
    return 0 <= y < height and app.screen.get_widget_at(region.x, y)[0] is widget


def words_whole(rendered: list[str], source: str) -> None:
    """Every word of ``source`` is drawn whole on some row: nothing cut mid-word, no Markdown marks left."""
    text = "\n".join(rendered)
    assert "**" not in text
    rows = [set(re.findall(r"\w+", row)) for row in rendered]
    for word in re.findall(r"\w+", source.replace("**", "")):
        assert any(word in row for row in rows), (word, rendered)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "60x20"])
async def test_the_verdict_and_the_next_hint_stay_on_screen_under_a_long_question(app, size):
    async with app.run_test(size=size) as pilot:
        screen = await start(pilot, app, "What does this code print")
        q = screen.question
        wrong = min(set(range(len(q.options))) - set(q.correct))
        await pilot.press("abcd"[wrong])
        await pilot.pause()
        verdict = next(s for s in screen.query(Static) if "✗ Not quite" in str(s.render()))
        hint = next(s for s in screen.query(Static) if "Enter: " in str(s.render()))
        assert drawn(app, verdict, "✗ Not quite") and drawn(app, hint, "Enter: ")


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "60x20"])
async def test_options_render_markdown_and_wrap_at_word_boundaries(app, size):
    async with app.run_test(size=size) as pilot:
        screen = await start(pilot, app, "What does this code print")
        options = screen.query_one(OptionList)
        rendered = lines(options)
        for option in screen.question.options:
            words_whole(rendered, option)


async def test_several_right_answers_toggle_with_letters_and_enter_checks(app):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app, "Which numbers are even")
        q = screen.question
        assert "Pick 2" in q.prompt
        first, second = sorted(q.correct)
        await pilot.press("abcd"[first])
        assert not screen.answered  # one letter is not the answer yet
        await pilot.press("abcd"[second], "abcd"[second], "abcd"[second])  # toggled off and on again
        await pilot.press("enter")
        verdict = next(s for s in screen.query(Static) if "Right" in str(s.render()) or "Not quite" in str(s.render()))
        assert "✓ Right" in str(verdict.render())
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, QuizSummaryScreen)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "60x20"])
async def test_the_summary_shows_a_missed_answer_whole(app, size):
    async with app.run_test(size=size) as pilot:
        await start(pilot, app, "Which convolution kernels")
        await pilot.press(*"sobel", "enter", "enter")  # typed (one card: no options to pick from): wrong
        await pilot.pause()
        summary = app.screen
        assert isinstance(summary, QuizSummaryScreen)
        missed = summary.query(".missed").first()
        words_whole(lines(missed), summary.results[0][1].expected)
